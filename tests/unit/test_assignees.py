"""Reading "PERSON [Notiz]" of /zuweisen against the sample config (pure)."""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig, Person
from bot.domain.errors import UnknownPerson
from bot.service.assignees import Named, everyone, resolve


def _team(config: OrgConfig, team_id: str) -> tuple[Person, ...]:
    return config.team(team_id).members


@pytest.mark.parametrize(
    ("text", "person", "note"),
    [
        ("Julia Weber", "hh.weber", ""),
        ("julia   WEBER: Rückruf morgen", "hh.weber", "Rückruf morgen"),
        ("@Julia Weber Beleg liegt\nim Ordner", "hh.weber", "Beleg liegt\nim Ordner"),
        ("@julia.weber:stadt.example bitte", "hh.weber", "bitte"),
        ("hh.weber, bitte", "hh.weber", "bitte"),
        ("@hh.weber", "hh.weber", ""),
        ("fb9f98ee-26dc-404b-9abc-a90b0b7d48d0 Notiz", "hh.weber", "Notiz"),  # Teams id
        ("Weber Urlaub ab morgen", "hh.weber", "Urlaub ab morgen"),
        ("martin", "hh.schneider", ""),
        ("Dr. Katharina Hoffmann: eilt", "leitung.hoffmann", "eilt"),
        ("Deniz Yilmaz Notiz", "bk.yilmaz", "Notiz"),  # "Yılmaz" typed without the ı
        ("deniz yılmaz", "bk.yilmaz", ""),
        ("Petra Wagner", "kred.wagner", ""),  # known, if not in this team: the service says so
    ],
)
def test_the_person_and_the_note(config: OrgConfig, text: str, person: str, note: str) -> None:
    named = resolve(config, text, _team(config, "haushalt"), ticket_id=7)
    assert (named.person.id, named.note) == (person, note)


def test_the_longest_name_wins_over_a_short_one(config: OrgConfig) -> None:
    # "Julia" alone would be ambiguous nowhere here; the full name must not leave "Weber"
    # in the note.
    named = resolve(config, "Julia Weber Weber-Akte prüfen", _team(config, "haushalt"), ticket_id=1)
    assert (named.person.id, named.note) == ("hh.weber", "Weber-Akte prüfen")


def test_candidates_decide_between_namesakes(config: OrgConfig) -> None:
    # "Julia" is Julia Weber across the organisation, but among these candidates it is
    # the one Julia there; two Julias there are for the asker to tell apart.
    berg, stein = _person("x.berg", "Julia Berg"), _person("x.stein", "Julia Stein")
    assert resolve(config, "Julia eilt", (berg,), ticket_id=1) == Named(berg, "eilt")
    assert resolve(config, "Julia eilt", (), ticket_id=1).person.id == "hh.weber"
    with pytest.raises(UnknownPerson) as caught:
        resolve(config, "Julia eilt", (berg, stein), ticket_id=1)
    assert caught.value.args_for_message["known"] == "Julia Berg (x.berg), Julia Stein (x.stein)"


def _person(person_id: str, name: str) -> Person:
    return Person(id=person_id, display_name=name, platform_ids={"local": person_id})


@pytest.mark.parametrize("text", ["Erika Mustermann", "", "   ", "@nobody:stadt.example"])
def test_nobody_known_names_the_candidates(config: OrgConfig, text: str) -> None:
    with pytest.raises(UnknownPerson) as caught:
        resolve(config, text, _team(config, "haushalt"), ticket_id=7)
    args = caught.value.args_for_message
    assert args["id"] == 7
    assert args["known"] == "Martin Schneider (hh.schneider), Julia Weber (hh.weber)"
    assert args["name"] == (text.split()[0] if text.strip() else "")


def test_everyone_lists_each_person_once(config: OrgConfig) -> None:
    ids = [person.id for person in everyone(config)]
    assert len(ids) == len(set(ids)) and "hh.weber" in ids and "leitung.hoffmann" in ids
