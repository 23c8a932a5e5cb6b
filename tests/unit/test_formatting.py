"""Deadlines in plain words: today, tomorrow, another day; German and English; across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n.formatting import format_deadline, format_moment
from tests.conftest import berlin

TZ = ZoneInfo("Europe/Berlin")
MONDAY_9 = berlin(2026, 11, 30, 9, 0)


@pytest.mark.parametrize(
    ("moment", "de", "en"),
    [
        (berlin(2026, 11, 30, 15, 30), "heute, 15:30 Uhr", "today, 15:30"),
        (berlin(2026, 11, 30, 9, 0), "heute, 09:00 Uhr", "today, 09:00"),
        (berlin(2026, 11, 30, 23, 59), "heute, 23:59 Uhr", "today, 23:59"),
        (berlin(2026, 12, 1, 0, 0), "morgen, Dienstag, 00:00 Uhr", "tomorrow, Tuesday, 00:00"),
        (berlin(2026, 12, 1, 15, 30), "morgen, Dienstag, 15:30 Uhr", "tomorrow, Tuesday, 15:30"),
        (
            berlin(2026, 12, 2, 8, 30),
            "Mittwoch, 02.12.2026, 08:30 Uhr",
            "Wednesday, 2 December 2026, 08:30",
        ),
        (
            berlin(2027, 1, 4, 12, 0),
            "Montag, 04.01.2027, 12:00 Uhr",
            "Monday, 4 January 2027, 12:00",
        ),
        (
            berlin(2026, 11, 29, 15, 30),
            "Sonntag, 29.11.2026, 15:30 Uhr",
            "Sunday, 29 November 2026, 15:30",
        ),
    ],
)
def test_today_tomorrow_other_day(moment: datetime, de: str, en: str) -> None:
    assert format_deadline(moment, "de", TZ, MONDAY_9) == de
    assert format_deadline(moment, "en", TZ, MONDAY_9) == en


def test_moment_given_in_utc_is_shown_in_berlin_time() -> None:
    # 23:30 UTC on Monday is already 00:30 on Tuesday in Berlin.
    moment = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert format_deadline(moment, "de", TZ, MONDAY_9) == "morgen, Dienstag, 00:30 Uhr"


def test_now_given_in_utc_counts_days_in_berlin() -> None:
    # 23:30 UTC on Monday is Tuesday 00:30 in Berlin: a Tuesday deadline is "today".
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert format_deadline(berlin(2026, 12, 1, 15, 30), "de", TZ, now) == "heute, 15:30 Uhr"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-GB", "tomorrow, Tuesday, 15:30"),
        ("EN", "tomorrow, Tuesday, 15:30"),
        ("de-AT", "morgen, Dienstag, 15:30 Uhr"),
        ("fr", "morgen, Dienstag, 15:30 Uhr"),
        ("", "morgen, Dienstag, 15:30 Uhr"),
    ],
)
def test_locale_is_normalised(locale: str, expected: str) -> None:
    assert format_deadline(berlin(2026, 12, 1, 15, 30), locale, TZ, MONDAY_9) == expected


# --- daylight saving time: 2026 ends on Sun 25 Oct (03:00 CEST -> 02:00 CET) and starts on
# Sun 29 Mar (02:00 CET -> 03:00 CEST).


def test_autumn_change_tomorrow_keeps_the_wall_clock() -> None:
    now = berlin(2026, 10, 24, 16, 0)  # Saturday, CEST (UTC+2)
    moment = berlin(2026, 10, 25, 10, 0)  # Sunday, CET (UTC+1)
    assert format_deadline(moment, "de", TZ, now) == "morgen, Sonntag, 10:00 Uhr"
    assert format_deadline(moment, "en", TZ, now) == "tomorrow, Sunday, 10:00"


def test_autumn_change_uses_the_winter_offset_after_the_switch() -> None:
    now = berlin(2026, 10, 24, 16, 0)
    # 23:30 UTC on Sunday is Monday 00:30 CET; with the summer offset it would say 01:30.
    moment = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)
    assert format_deadline(moment, "de", TZ, now) == "Montag, 26.10.2026, 00:30 Uhr"
    assert format_deadline(moment, "en", TZ, now) == "Monday, 26 October 2026, 00:30"


def test_autumn_change_late_evening_now_in_summer_time() -> None:
    # 22:30 UTC on Saturday is Sunday 00:30 CEST: a Sunday-morning deadline is "today".
    now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    assert format_deadline(berlin(2026, 10, 25, 10, 0), "de", TZ, now) == "heute, 10:00 Uhr"


def test_spring_change() -> None:
    now = berlin(2026, 3, 28, 12, 0)  # Saturday, CET
    assert format_deadline(berlin(2026, 3, 29, 3, 30), "de", TZ, now) == (
        "morgen, Sonntag, 03:30 Uhr"
    )
    # 01:30 UTC on the Sunday is 03:30 CEST (not 02:30: that hour does not exist).
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert format_deadline(moment, "en", TZ, now) == "tomorrow, Sunday, 03:30"
    assert format_deadline(berlin(2026, 3, 30, 8, 30), "en", TZ, now) == (
        "Monday, 30 March 2026, 08:30"
    )


@pytest.mark.parametrize(
    ("month", "name"),
    list(
        enumerate(
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            start=1,
        )
    ),
)
def test_english_month_names(month: int, name: str) -> None:
    now = berlin(2025, 1, 1, 9, 0)
    text = format_deadline(berlin(2026, month, 15, 12, 0), "en", TZ, now)
    assert text.endswith(f", 15 {name} 2026, 12:00")


def test_format_moment() -> None:
    moment = datetime(2026, 11, 27, 13, 5, tzinfo=UTC)
    assert format_moment(moment, "de", TZ) == "27.11.2026 14:05"
    assert format_moment(moment, "en", TZ) == "2026-11-27 14:05"
    summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)
    assert format_moment(summer, "de", TZ) == "01.07.2026 15:05"
