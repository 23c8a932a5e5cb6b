"""Whom `/zuweisen N PERSON [Notiz]` means, and who may be given a ticket.

PERSON is written as a platform address (a Matrix id "@julia.weber:stadt.example", which
the Matrix adapter also puts in place of a mention pill), as the config id ("hh.weber"),
or as the display name the config gives ("Julia Weber"; any case, accents optional, a
leading "@" allowed; a Teams mention arrives as the name it shows). Names have spaces and
the note follows without a separator, so the words are read against the known names,
longest first, and what follows is the note. A single word may also be a first or last
name when exactly one colleague who could take the ticket carries it. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config.model import OrgConfig, Person
from bot.domain.errors import UnknownPerson
from bot.kernel.markup import literal
from bot.service import permissions
from storage.models import TicketRow

TRAILING = ",:;"  # "Julia Weber: bitte morgen zurückrufen"
DOTLESS = str.maketrans({"ı": "i"})  # has no decomposition to strip


@dataclass(frozen=True)
class Named:
    """The colleague the words name, and the note that follows the name."""

    person: Person
    note: str


def eligible(config: OrgConfig, ticket: TicketRow) -> tuple[Person, ...]:
    """Who may be given the ticket: its team's members, for a complaint the complaint
    managers (tickets stay in their queue's circle; handing on is a handoff)."""
    if ticket.confidential:
        return permissions.complaint_managers(config)
    return config.team(ticket.team_id).members


def everyone(config: OrgConfig) -> tuple[Person, ...]:
    """Every staff member once, in config order (a person may sit in several teams)."""
    seen: dict[str, Person] = {}
    for team in config.teams:
        for person in team.members:
            seen.setdefault(person.id, person)
    return tuple(seen.values())


def listing(people: Sequence[Person]) -> str:
    """ "Martin Schneider (hh.schneider), Julia Weber (hh.weber)" for a reply."""
    return ", ".join(f"{literal(p.display_name)} ({literal(p.id)})" for p in people)


def resolve(config: OrgConfig, text: str, candidates: Sequence[Person], *, ticket_id: int) -> Named:
    """The person `text` starts with, and the rest as the note; UnknownPerson (naming
    ticket `ticket_id` and the candidates) when the words name nobody, or a short name
    that more than one candidate carries. `candidates` are who could take the ticket:
    they decide between namesakes."""
    words = text.split()
    if not words:
        raise UnknownPerson("no person", id=ticket_id, name="", known=listing(candidates))
    people = everyone(config)
    found = _by_address(people, words[0]) or _by_full_name(people, words)
    if found is None:
        short = _by_short_name(candidates, words[0]) or _by_short_name(people, words[0])
        found = (short[0], 1) if len(short) == 1 else None  # several: say who is meant
    if found is None:
        name = literal(words[0].rstrip(TRAILING))
        known = listing(candidates)
        raise UnknownPerson("unknown person", id=ticket_id, name=name, known=known)
    person, used = found
    rest = text.split(maxsplit=used)
    return Named(person, rest[used].strip() if len(rest) > used else "")


def _fold(text: str) -> str:
    """Case and accents set aside: "Yılmaz" is "yilmaz", as typed on any keyboard."""
    plain = unicodedata.normalize("NFKD", text.casefold().translate(DOTLESS))
    return "".join(char for char in plain if not unicodedata.combining(char))


def _key(word: str) -> str:
    return _fold(word.rstrip(TRAILING))


def _by_address(people: Sequence[Person], word: str) -> tuple[Person, int] | None:
    """A config id or platform id, as typed or with "@" in front ("@hh.weber")."""
    typed = _key(word)
    for person in people:
        known = {_fold(person.id), *(_fold(v) for v in person.platform_ids.values())}
        if typed in known or typed.removeprefix("@") in known:
            return person, 1
    return None


def _by_full_name(people: Sequence[Person], words: Sequence[str]) -> tuple[Person, int] | None:
    """The longest display name the words begin with (the last word may end in ":")."""
    typed = [words[0].removeprefix("@"), *words[1:]]
    best: tuple[Person, int] | None = None
    for person in people:
        name = _fold(person.display_name).split()
        size = len(name)
        if not name or size > len(typed) or (best is not None and size <= best[1]):
            continue
        head = [_fold(w) for w in typed[: size - 1]] + [_key(typed[size - 1])]
        if head == name:
            best = person, size
    return best


def _by_short_name(people: Sequence[Person], word: str) -> list[Person]:
    """The people whose first or last name is `word`."""
    typed = _key(word.removeprefix("@"))
    return [p for p in people if typed in _first_and_last(p.display_name)]


def _first_and_last(name: str) -> set[str]:
    parts = [part for part in _fold(name).split() if not part.endswith(".")]  # "Dr."
    return {parts[0], parts[-1]} if parts else set()
