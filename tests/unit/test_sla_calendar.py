"""WorkingCalendar: office hours, holidays (DE-BY), closure days, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.model import (
    CalendarConfig,
    EscalationConfig,
    Level,
    MonthDay,
    OfficeInterval,
    OrgConfig,
    SlaConfig,
    SlaTargets,
    Team,
    Texts,
)
from bot.sla.calendar import WorkingCalendar, calendar_for

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
MORNING = OfficeInterval(time(8, 30), time(12, 0))
AFTERNOON = OfficeInterval(time(13, 0), time(15, 30))
SAMPLE = CalendarConfig(
    timezone="Europe/Berlin",
    office_hours={d: (MORNING, AFTERNOON) for d in range(4)} | {4: (MORNING,)},
    holiday_country="DE",
    holiday_subdivision="BY",
    holiday_categories=("public", "catholic"),
    closure_days=(MonthDay(12, 24), MonthDay(12, 31)),
)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Berlin wall-clock instant."""
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.from_config(SAMPLE)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2026, 3, 9), True, id="monday"),
        pytest.param(date(2026, 3, 13), True, id="friday"),
        pytest.param(date(2026, 3, 14), False, id="saturday"),
        pytest.param(date(2026, 3, 15), False, id="sunday"),
        pytest.param(date(2026, 12, 24), False, id="closure-24-dec"),
        pytest.param(date(2027, 12, 31), False, id="closure-31-dec-recurring"),
        pytest.param(date(2028, 8, 15), False, id="assumption-day-by-catholic"),
        pytest.param(date(2027, 1, 6), False, id="epiphany"),
        pytest.param(date(2026, 6, 4), False, id="corpus-christi"),
    ],
)
def test_is_working_day(cal: WorkingCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working


def test_office_intervals_and_closing_time(cal: WorkingCalendar) -> None:
    assert cal.office_intervals(date(2026, 3, 9)) == [
        (at(2026, 3, 9, 8, 30), at(2026, 3, 9, 12)),
        (at(2026, 3, 9, 13), at(2026, 3, 9, 15, 30)),
    ]
    assert cal.office_intervals(date(2026, 3, 14)) == []
    assert cal.closing_time(date(2026, 3, 9)) == at(2026, 3, 9, 15, 30)
    assert cal.closing_time(date(2026, 3, 13)) == at(2026, 3, 13, 12)
    with pytest.raises(ValueError):
        cal.closing_time(date(2026, 3, 14))


def test_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    assert cal.next_working_day(date(2026, 3, 13)) == date(2026, 3, 16)
    assert cal.next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)


def test_next_working_day_gives_up_without_office_hours() -> None:
    closed = WorkingCalendar(tz=BERLIN, office_hours={}, is_holiday=lambda _: False)
    with pytest.raises(ValueError):
        closed.next_working_day(date(2026, 3, 9))
    with pytest.raises(ValueError):
        closed.add_working_time(at(2026, 3, 9, 9), H)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(at(2026, 3, 9, 9), at(2026, 3, 9, 11), 2 * H, id="within-morning"),
        pytest.param(at(2026, 3, 9, 11), at(2026, 3, 9, 14), 2 * H, id="over-lunch"),
        pytest.param(at(2026, 3, 9, 0), at(2026, 3, 10, 0), 6 * H, id="whole-monday"),
        pytest.param(at(2026, 3, 13, 0), at(2026, 3, 16, 0), 3.5 * H, id="friday-and-weekend"),
        pytest.param(at(2026, 3, 14, 9), at(2026, 3, 15, 17), timedelta(0), id="weekend-only"),
        pytest.param(at(2026, 4, 2, 14), at(2026, 4, 7, 10), 3 * H, id="over-easter-holidays"),
        pytest.param(at(2026, 3, 9, 11), at(2026, 3, 9, 9), timedelta(0), id="end-before-start"),
        pytest.param(at(2026, 3, 9, 12), at(2026, 3, 9, 12), timedelta(0), id="empty"),
    ],
)
def test_working_time_between(
    cal: WorkingCalendar, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert cal.working_time_between(start, end) == expected


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        pytest.param(at(2026, 3, 9, 8, 30), 3.5 * H, at(2026, 3, 9, 12), id="ends-at-12-not-13"),
        pytest.param(at(2026, 3, 9, 8, 30), 6 * H, at(2026, 3, 9, 15, 30), id="ends-at-close"),
        pytest.param(at(2026, 3, 9, 8, 30), 8 * H, at(2026, 3, 10, 10, 30), id="8h-from-monday"),
        pytest.param(at(2026, 3, 9, 7), H, at(2026, 3, 9, 9, 30), id="before-opening"),
        pytest.param(at(2026, 3, 9, 12, 15), H, at(2026, 3, 9, 14), id="during-lunch"),
        pytest.param(at(2026, 3, 13, 11), H, at(2026, 3, 13, 12), id="friday-exact-close"),
        pytest.param(at(2026, 3, 12, 14), 16 * H, at(2026, 3, 17, 14, 30), id="16h-from-thu"),
        pytest.param(at(2026, 3, 13, 11), 16 * H, at(2026, 3, 18, 11, 30), id="16h-from-fri"),
        pytest.param(at(2026, 3, 14, 10), timedelta(0), at(2026, 3, 14, 10), id="zero"),
    ],
)
def test_add_working_time(
    cal: WorkingCalendar, start: datetime, amount: timedelta, expected: datetime
) -> None:
    result = cal.add_working_time(start, amount)
    assert result == expected
    assert result.tzinfo == BERLIN


def test_add_working_time_is_inverse_of_working_time_between(cal: WorkingCalendar) -> None:
    start = at(2026, 12, 22, 10, 17)
    for minutes in range(0, 40 * 60, 37):
        end = cal.add_working_time(start, timedelta(minutes=minutes))
        assert cal.working_time_between(start, end) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("start", "amount", "iso"),
    [
        # Fri 1h, Mon 6h, Tue 6h, Wed 3h; DST begins Sun 29 Mar 2026.
        pytest.param(at(2026, 3, 27, 11), 16 * H, "2026-04-01T11:30:00+02:00", id="dst-march"),
        # Fri 1h, Mon 6h, Tue 1h; DST ends Sun 25 Oct 2026.
        pytest.param(at(2026, 10, 23, 11), 8 * H, "2026-10-27T09:30:00+01:00", id="dst-october"),
        pytest.param(
            datetime(2026, 10, 23, 9, tzinfo=UTC), 8 * H, "2026-10-27T09:30:00+01:00", id="utc-in"
        ),
    ],
)
def test_add_working_time_across_dst(
    cal: WorkingCalendar, start: datetime, amount: timedelta, iso: str
) -> None:
    result = cal.add_working_time(start, amount)
    assert result.isoformat() == iso
    assert result == datetime.fromisoformat(iso)


def test_working_time_between_across_dst(cal: WorkingCalendar) -> None:
    assert cal.working_time_between(at(2026, 3, 27, 11), at(2026, 3, 30, 9, 30)) == 2 * H
    assert cal.working_time_between(at(2026, 10, 23, 11), at(2026, 10, 26, 9, 30)) == 2 * H


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(at(2026, 3, 9, 7), 6 * H, id="before-opening"),
        pytest.param(at(2026, 3, 9, 13), 2.5 * H, id="after-lunch"),
        pytest.param(at(2026, 3, 9, 11), 3.5 * H, id="morning"),
        pytest.param(at(2026, 3, 9, 16), timedelta(0), id="after-close"),
        pytest.param(at(2026, 3, 14, 9), timedelta(0), id="saturday"),
    ],
)
def test_remaining_office_time(cal: WorkingCalendar, moment: datetime, expected: timedelta) -> None:
    assert cal.remaining_office_time(moment) == expected


def test_naive_datetimes_are_rejected(cal: WorkingCalendar) -> None:
    naive = datetime(2026, 3, 9, 9)  # noqa: DTZ001
    with pytest.raises(ValueError):
        cal.add_working_time(naive, H)
    with pytest.raises(ValueError):
        cal.working_time_between(naive, at(2026, 3, 9, 10))
    with pytest.raises(ValueError):
        cal.working_time_between(at(2026, 3, 9, 8), naive)
    with pytest.raises(ValueError):
        cal.remaining_office_time(naive)


def test_negative_amount_is_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_time(at(2026, 3, 9, 9), -H)


def test_invalid_office_interval_is_rejected() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(
            tz=BERLIN,
            office_hours={0: (OfficeInterval(time(12), time(8)),)},
            is_holiday=lambda _: False,
        )


def test_extra_closure_days(cal: WorkingCalendar) -> None:
    team_cal = WorkingCalendar.from_config(SAMPLE, extra_closure_days=[date(2026, 3, 10)])
    assert cal.is_working_day(date(2026, 3, 10))
    assert not team_cal.is_working_day(date(2026, 3, 10))
    assert team_cal.next_working_day(date(2026, 3, 9)) == date(2026, 3, 11)
    assert team_cal.add_working_time(at(2026, 3, 9, 15), H) == at(2026, 3, 11, 9)


def test_calendar_for_adds_team_closure_days() -> None:
    targets = SlaTargets(first_response="fr", resolution="res", update="upd")
    team = Team(
        id="vollstreckung",
        name=Texts("Vollstreckung"),
        level=Level.SECOND,
        channels={},
        members=(),
        leads=(),
        closure_days=(date(2026, 3, 10),),
    )
    org = OrgConfig(
        name="Kämmerei",
        default_locale="de",
        calendar=SAMPLE,
        customer_groups=(),
        teams=(team,),
        topics=(),
        sla=SlaConfig(policies={}, default=targets),
        escalation=EscalationConfig(
            policies={},
            default_policy="default",
            sweep_interval=timedelta(minutes=1),
            digest_at=time(8),
            interim_update_after=8 * H,
            claim_lease=timedelta(minutes=5),
        ),
        platforms={},
    )
    assert calendar_for(org).is_working_day(date(2026, 3, 10))
    assert not calendar_for(org, "vollstreckung").is_working_day(date(2026, 3, 10))
    with pytest.raises(KeyError):
        calendar_for(org, "unknown")
