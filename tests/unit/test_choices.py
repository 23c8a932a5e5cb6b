"""Matching a pressed button or typed text against the offered choices."""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.kernel.notices import Choice
from dialogs.choices import match_choice, numbered

HAUSHALT = Choice("topic:haushalt", "Budget / Haushaltsmittel")
KONTIERUNG = Choice("topic:kontierung", "Kontierung")
KREDITOREN = Choice("topic:kreditoren", "Kreditoren / Rechnungen")
MAHNUNG = Choice("topic:kreditoren.mahnung", "Kreditoren: Mahnung eines Lieferanten")
IDEE = Choice("topic:idee", "Idee")
IDEE_LONG = Choice("topic:anregung", "Idee / Anregung")
BACK = Choice("back", "zurück")
CHOICES = (HAUSHALT, KONTIERUNG, KREDITOREN, MAHNUNG, IDEE, IDEE_LONG, BACK)


def typed(text: str) -> Choice | None:
    return match_choice(CHOICES, text=text, action_id=None)


def test_pressed_id_wins_over_the_text() -> None:
    assert match_choice(CHOICES, text="1", action_id="topic:kontierung") == KONTIERUNG


def test_pressed_unknown_id_matches_nothing_even_with_a_matching_text() -> None:
    assert match_choice(CHOICES, text="Kontierung", action_id="topic:nope") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", HAUSHALT),
        ("2", KONTIERUNG),
        ("7", BACK),
        (" 3 ", KREDITOREN),
        ("2.", KONTIERUNG),
        (" 2. ", KONTIERUNG),
        ("02", KONTIERUNG),
    ],
)
def test_typed_number_is_one_based(text: str, expected: Choice) -> None:
    assert typed(text) == expected


@pytest.mark.parametrize("text", ["0", "8", "99", "-1", "1.5", "²", "³"])
def test_typed_number_out_of_range_or_odd_is_none(text: str) -> None:
    assert typed(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kontierung", KONTIERUNG),
        ("kontierung", KONTIERUNG),
        ("KONTIERUNG", KONTIERUNG),
        ("  kontierung.  ", KONTIERUNG),
        ("ZURÜCK", BACK),
        ("budget / haushaltsmittel", HAUSHALT),
    ],
)
def test_typed_label_is_case_insensitive(text: str, expected: Choice) -> None:
    assert typed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haushalt", HAUSHALT),
        ("HAUSHALT", HAUSHALT),
        ("kreditoren.mahnung", MAHNUNG),
        ("back", BACK),
        ("anregung", IDEE_LONG),
    ],
)
def test_typed_id_suffix(text: str, expected: Choice) -> None:
    assert typed(text) == expected


def test_exact_id_suffix_beats_an_ambiguous_prefix() -> None:
    # "kreditoren" is a prefix of two labels but the exact id of one choice.
    assert typed("kreditoren") == KREDITOREN


def test_exact_label_beats_a_longer_label_with_the_same_start() -> None:
    assert typed("idee") == IDEE


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Bud", HAUSHALT), ("kont", KONTIERUNG), ("zur", BACK), ("Idee /", IDEE_LONG)],
)
def test_unique_prefix(text: str, expected: Choice) -> None:
    assert typed(text) == expected


@pytest.mark.parametrize("text", ["Kredit", "k", "Id"])
def test_ambiguous_prefix_is_none(text: str) -> None:
    assert typed(text) is None


@pytest.mark.parametrize("text", ["", "   ", ".", " . ", "\n"])
def test_empty_is_none(text: str) -> None:
    assert typed(text) is None


@pytest.mark.parametrize("text", ["Steuern", "topic:haushalt", "haushalt budget"])
def test_nothing_matching_is_none(text: str) -> None:
    assert typed(text) is None


def test_no_choices_match_nothing() -> None:
    assert match_choice((), text="1", action_id=None) is None
    assert match_choice((), text="", action_id="back") is None


def test_customer_groups_of_the_sample(config: OrgConfig) -> None:
    groups = tuple(Choice(f"group:{g.id}", g.name.get("de")) for g in config.customer_groups)
    by_id = {c.id: c for c in groups}
    assert match_choice(groups, text="kern", action_id=None) == by_id["group:kern"]
    assert match_choice(groups, text="F4", action_id=None) == by_id["group:f4"]
    assert match_choice(groups, text="lieferanten", action_id=None) == by_id["group:lieferanten"]
    assert match_choice(groups, text="Kassen", action_id=None) == by_id["group:kassen-steueramt"]
    # Both F1-F3 and F4 start with "Dezentrale Einrichtungen".
    assert match_choice(groups, text="Dezentrale", action_id=None) is None


def test_numbered_menu() -> None:
    assert numbered((HAUSHALT, KONTIERUNG)) == "1. Budget / Haushaltsmittel\n2. Kontierung"
    assert numbered(()) == ""
