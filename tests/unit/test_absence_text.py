"""/abwesend and /away: the days, the person and the deputy read from the text.

Today is Monday 30 November 2026 throughout (the shared test clock's date).
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.people.absence_text import AwayRequest, EndRequest, Problem, parse_absence, parse_day

TODAY = date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bis 18.12.", AwayRequest(date(2026, 12, 18))),
        ("bis 18.12", AwayRequest(date(2026, 12, 18))),
        ("18.12.2026", AwayRequest(date(2026, 12, 18))),
        ("bis Freitag", AwayRequest(date(2026, 12, 4))),
        ("bis fr", AwayRequest(date(2026, 12, 4))),
        ("bis Montag", AwayRequest(date(2026, 11, 30))),  # today is Monday: until tonight
        ("bis morgen", AwayRequest(date(2026, 12, 1))),
        ("bis übermorgen", AwayRequest(date(2026, 12, 2))),
        ("vom 21.12. bis 4.1.", AwayRequest(date(2027, 1, 4), date(2026, 12, 21))),
        ("ab Mittwoch bis Freitag", AwayRequest(date(2026, 12, 4), date(2026, 12, 2))),
        ("bis 18.12. Julia Weber", AwayRequest(date(2026, 12, 18), deputy="Julia Weber")),
        ("bis 18.12. Vertretung: hh.weber", AwayRequest(date(2026, 12, 18), deputy="hh.weber")),
        ("hh.weber bis 2026-12-11", AwayRequest(date(2026, 12, 11), person="hh.weber")),
        (
            "@julia.weber:stadt.example vom 7.12. bis 9.12. hh.schneider",
            AwayRequest(
                date(2026, 12, 9),
                date(2026, 12, 7),
                person="@julia.weber:stadt.example",
                deputy="hh.schneider",
            ),
        ),
        ("beenden", EndRequest()),
        ("hh.weber beenden", EndRequest("hh.weber")),
    ],
)
def test_german_absences_are_read(text: str, expected: AwayRequest | EndRequest) -> None:
    assert parse_absence(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("until Friday", AwayRequest(date(2026, 12, 4))),
        ("until tomorrow", AwayRequest(date(2026, 12, 1))),
        (
            "from 21.12. until 4.1. deputy hh.weber",
            AwayRequest(date(2027, 1, 4), date(2026, 12, 21), deputy="hh.weber"),
        ),
        ("till fri with Julia Weber", AwayRequest(date(2026, 12, 4), deputy="Julia Weber")),
        ("end", EndRequest()),
        ("back", EndRequest()),
    ],
)
def test_english_absences_are_read(text: str, expected: AwayRequest | EndRequest) -> None:
    assert parse_absence(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "away.usage"),
        ("bis", "away.usage"),
        ("vom 21.12.", "away.usage"),
        ("bis 31.02.", "away.bad_day"),
        ("bis Weihnachten", "away.bad_day"),
        ("vom gestern bis Freitag", "away.bad_day"),
        ("bis 1.11.2026", "away.in_past"),
        ("vom 21.12.2026 bis 4.12.2026", "away.end_before_start"),
        ("bis 1.1.2028", "away.too_far"),
        ("beenden sofort", "away.usage"),
        ("hh.weber", "away.usage"),
    ],
)
def test_unreadable_text_names_the_problem(text: str, key: str) -> None:
    found = parse_absence(text, TODAY)
    assert isinstance(found, Problem) and found.key == key


def test_a_day_without_year_is_the_next_one_and_29_february_waits_for_a_leap_year() -> None:
    assert parse_day("1.12.", TODAY) == date(2026, 12, 1)
    assert parse_day("1.11.", TODAY) == date(2027, 11, 1)
    assert parse_day("29.2.", TODAY) == date(2028, 2, 29)
    assert parse_day("18.12.26", TODAY) == date(2026, 12, 18)
    assert parse_day("Weber", TODAY) is None
