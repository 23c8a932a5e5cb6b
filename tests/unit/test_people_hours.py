"""Personal working hours: the /arbeitszeit syntax (German and English) and a person's
working time, their hours cut to the team's office calendar (holidays still apply)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.config.model import CalendarConfig, MonthDay, OfficeInterval
from bot.config.weekly_hours import HoursSyntaxError, describe, parse, weekday
from bot.people.hours import is_working, next_working_minute, reachable, working_intervals
from bot.sla.calendar import WorkingCalendar

BERLIN = ZoneInfo("Europe/Berlin")


def iv(start: str, end: str) -> OfficeInterval:
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return OfficeInterval(time(h1, m1), time(h2, m2))


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


MORNING, AFTERNOON = iv("08:30", "12:00"), iv("13:00", "15:30")
CALENDAR = WorkingCalendar.from_config(
    CalendarConfig(
        timezone="Europe/Berlin",
        office_hours={d: (MORNING, AFTERNOON) for d in range(4)} | {4: (MORNING,)},
        holiday_country="DE",
        holiday_subdivision="BY",
        holiday_categories=("public", "catholic"),
        closure_days=(MonthDay(12, 24), MonthDay(12, 31)),
    )
)
OPEN_ALL_DAY = WorkingCalendar.from_config(
    CalendarConfig(
        timezone="Europe/Berlin",
        office_hours={d: (iv("08:00", "16:00"),) for d in range(5)},
        holiday_country="DE",
        holiday_subdivision="BY",
        holiday_categories=("public",),
    )
)
PART_TIME = parse("Mo-Do 08:00-12:30")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Mo-Do 08:00-12:30", {d: (iv("08:00", "12:30"),) for d in range(4)}, id="de"),
        pytest.param(
            "Mon-Thu 08:00-12:30", {d: (iv("08:00", "12:30"),) for d in range(4)}, id="en"
        ),
        pytest.param(
            "Mo,Mi 8-12", {0: (iv("08:00", "12:00"),), 2: (iv("08:00", "12:00"),)}, id="list"
        ),
        pytest.param(
            "Mo-Fr 08:00-12:00, Di 13:00-16:00",
            {d: (iv("08:00", "12:00"),) for d in range(5)}
            | {1: (iv("08:00", "12:00"), iv("13:00", "16:00"))},
            id="several",
        ),
        pytest.param(
            "montag bis mittwoch 8 - 12.30",
            {d: (iv("08:00", "12:30"),) for d in range(3)},
            id="words",
        ),
        pytest.param(
            "Tuesday and Friday 9-11 14-15",
            {
                1: (iv("09:00", "11:00"), iv("14:00", "15:00")),
                4: (iv("09:00", "11:00"), iv("14:00", "15:00")),
            },
            id="english-words",
        ),
        pytest.param("Mo 8-12, Mo 11-14", {0: (iv("08:00", "14:00"),)}, id="overlap-merged"),
        pytest.param(
            "Sa-Mo 9-10",
            {5: (iv("09:00", "10:00"),), 6: (iv("09:00", "10:00"),), 0: (iv("09:00", "10:00"),)},
            id="across-weekend",
        ),
    ],
)
def test_parse_understands_german_and_english(
    text: str, expected: dict[int, tuple[OfficeInterval, ...]]
) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason", "part"),
    [
        pytest.param("", "empty", "", id="empty"),
        pytest.param("8-12", "no_days", "8-12", id="no-days"),
        pytest.param("Mo-Do", "no_time", "Mo-Do", id="no-time"),
        pytest.param("Mo-Do morgens", "unknown", "morgens", id="unknown"),
        pytest.param("Mo 12-8", "backwards", "12-8", id="backwards"),
        pytest.param("Mo 8-25", "unknown", "8-25", id="no-such-hour"),
        pytest.param("M 8-12", "unknown", "M", id="one-letter-day"),
    ],
)
def test_parse_refuses_with_reason_and_part(text: str, reason: str, part: str) -> None:
    with pytest.raises(HoursSyntaxError) as raised:
        parse(text)
    assert (raised.value.reason, raised.value.part) == (reason, part)


def test_day_names_need_two_letters_and_must_be_unambiguous() -> None:
    assert [weekday(n) for n in ("Mo", "di.", "Mi", "Do", "fr", "Sa", "So")] == list(range(7))
    assert [weekday(n) for n in ("Tu", "We", "Th", "Su", "Saturday")] == [1, 2, 3, 6, 5]
    assert weekday("M") is None and weekday("xy") is None


def test_describe_groups_days_and_parses_back() -> None:
    hours = parse("Mo-Fr 08:00-12:00, Di 13:00-16:00, Sa 9-10")
    assert (
        describe(hours)
        == "Mo 08:00-12:00, Di 08:00-12:00 13:00-16:00, Mi-Fr 08:00-12:00, Sa 09:00-10:00"
    )
    assert describe(PART_TIME, "en") == "Mon-Thu 08:00-12:30"
    assert describe(parse("Mo,Mi 8-12")) == "Mo 08:00-12:00, Mi 08:00-12:00"
    assert describe(parse("Mo,Di 8-12")) == "Mo,Di 08:00-12:00"
    assert parse(describe(hours)) == hours


def test_working_time_is_the_intersection_with_office_hours() -> None:
    thursday = date(2026, 12, 10)
    assert working_intervals(CALENDAR, PART_TIME, thursday) == [
        (at(2026, 12, 10, 8, 30), at(2026, 12, 10, 12, 0))
    ]
    assert working_intervals(CALENDAR, None, thursday) == CALENDAR.office_intervals(thursday)
    assert working_intervals(CALENDAR, PART_TIME, date(2026, 12, 11)) == []  # Friday off
    assert is_working(CALENDAR, PART_TIME, at(2026, 12, 10, 11, 59))
    assert not is_working(CALENDAR, PART_TIME, at(2026, 12, 10, 12, 0))
    assert not is_working(CALENDAR, PART_TIME, at(2026, 12, 10, 14, 0))  # office, but not hers


def test_next_working_minute_skips_the_free_friday_and_the_weekend() -> None:
    thursday_afternoon = at(2026, 12, 10, 14, 0)
    monday = next_working_minute(OPEN_ALL_DAY, PART_TIME, thursday_afternoon)
    assert monday == at(2026, 12, 14, 8, 0) and monday.tzinfo == BERLIN
    assert next_working_minute(OPEN_ALL_DAY, None, thursday_afternoon) == thursday_afternoon
    inside = at(2026, 12, 10, 9, 15)
    assert next_working_minute(OPEN_ALL_DAY, PART_TIME, inside) == inside
    utc = datetime(2026, 12, 10, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
    assert next_working_minute(OPEN_ALL_DAY, PART_TIME, utc) == at(2026, 12, 14, 8, 0)


def test_holidays_and_closure_days_still_apply() -> None:
    # Wednesday 23 Dec after her hours: 24 Dec closed, 25 Dec a holiday, then the weekend.
    assert next_working_minute(CALENDAR, PART_TIME, at(2026, 12, 23, 13, 0)) == at(
        2026, 12, 28, 8, 30
    )
    # Easter 2027: Maundy Thursday afternoon -> Good Friday, Easter Monday -> Tuesday.
    assert next_working_minute(CALENDAR, PART_TIME, at(2027, 3, 25, 13, 0)) == at(
        2027, 3, 30, 8, 30
    )


def test_hours_that_never_meet_the_office_are_unreachable() -> None:
    weekend = parse("Sa-So 9-12")
    assert not reachable(CALENDAR, weekend, at(2026, 12, 10, 9, 0))
    assert reachable(CALENDAR, PART_TIME, at(2026, 12, 10, 9, 0))
    assert reachable(CALENDAR, None, at(2026, 12, 10, 9, 0))
    with pytest.raises(ValueError):
        next_working_minute(CALENDAR, parse("Mo 06:00-08:00"), at(2026, 12, 10, 9, 0))
