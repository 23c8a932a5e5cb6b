"""Deadline policies and pause/resume on the sample DE-BY calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.model import CalendarConfig, MonthDay, OfficeInterval, SlaPolicy
from bot.sla.calendar import WorkingCalendar
from bot.sla.policies import due_after_resume, due_at, remaining_at_pause

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
FIRST_RESPONSE = SlaPolicy(
    name="first_response", kind="same_or_next_working_day", min_remaining=2 * H
)
RESOLUTION = SlaPolicy(name="resolution", kind="working_hours", duration=16 * H)
UPDATE = SlaPolicy(name="update", kind="working_hours", duration=8 * H)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Berlin wall-clock instant."""
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.from_config(SAMPLE)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(at(2026, 3, 9, 13), at(2026, 3, 9, 15, 30), id="mon-1300-same-day"),
        pytest.param(at(2026, 3, 9, 13, 31), at(2026, 3, 10, 15, 30), id="mon-1331-next-day"),
        pytest.param(at(2026, 3, 9, 7), at(2026, 3, 9, 15, 30), id="mon-0700-before-opening"),
        pytest.param(at(2026, 3, 9, 12, 30), at(2026, 3, 9, 15, 30), id="mon-lunch"),
        pytest.param(at(2026, 3, 9, 16), at(2026, 3, 10, 15, 30), id="mon-after-close"),
        pytest.param(at(2026, 3, 13, 10), at(2026, 3, 13, 12), id="fri-1000-same-day"),
        pytest.param(at(2026, 3, 13, 10, 1), at(2026, 3, 16, 15, 30), id="fri-1001-monday"),
        pytest.param(at(2026, 12, 23, 14, 10), at(2026, 12, 28, 15, 30), id="christmas"),
        pytest.param(at(2026, 4, 2, 14), at(2026, 4, 7, 15, 30), id="maundy-thursday-easter"),
        pytest.param(at(2026, 5, 25, 10), at(2026, 5, 26, 15, 30), id="whit-monday"),
        pytest.param(at(2026, 6, 4, 9), at(2026, 6, 5, 12), id="corpus-christi"),
        pytest.param(at(2028, 8, 15, 9), at(2028, 8, 16, 15, 30), id="assumption-day"),
        pytest.param(at(2028, 10, 3, 9), at(2028, 10, 4, 15, 30), id="german-unity-day"),
        pytest.param(at(2026, 3, 14, 11), at(2026, 3, 16, 15, 30), id="saturday"),
        pytest.param(at(2026, 3, 15, 20), at(2026, 3, 16, 15, 30), id="sunday-evening"),
        pytest.param(at(2026, 12, 30, 14), at(2027, 1, 4, 15, 30), id="new-year"),
        pytest.param(at(2027, 1, 5, 14), at(2027, 1, 7, 15, 30), id="epiphany"),
    ],
)
def test_first_response_same_or_next_working_day(
    cal: WorkingCalendar, start: datetime, expected: datetime
) -> None:
    result = due_at(FIRST_RESPONSE, cal, start)
    assert result == expected
    assert result.tzinfo == BERLIN


@pytest.mark.parametrize(
    ("start", "iso"),
    [
        pytest.param(at(2026, 12, 23, 14, 10), "2026-12-28T15:30:00+01:00", id="christmas"),
        pytest.param(at(2026, 5, 25, 10), "2026-05-26T15:30:00+02:00", id="whit-monday"),
        # 07:00 UTC is 08:00 in Berlin on a Monday in winter: whole day ahead.
        pytest.param(
            datetime(2026, 3, 9, 7, tzinfo=UTC), "2026-03-09T15:30:00+01:00", id="utc-input"
        ),
    ],
)
def test_first_response_isoformat(cal: WorkingCalendar, start: datetime, iso: str) -> None:
    assert due_at(FIRST_RESPONSE, cal, start).isoformat() == iso


@pytest.mark.parametrize(
    ("policy", "start", "expected"),
    [
        # Thu 1.5h, Fri 3.5h (5h), Mon 6h (11h), Tue 3.5h + 1.5h -> 14:30
        pytest.param(RESOLUTION, at(2026, 3, 12, 14), at(2026, 3, 17, 14, 30), id="16h-thu"),
        # Fri 1h, Mon 6h (7h), Tue 6h (13h), Wed 3h -> 11:30
        pytest.param(RESOLUTION, at(2026, 3, 13, 11), at(2026, 3, 18, 11, 30), id="16h-fri"),
        # Mon 6h, Tue 2h -> 10:30
        pytest.param(UPDATE, at(2026, 3, 9, 8, 30), at(2026, 3, 10, 10, 30), id="8h-mon"),
        # Thu 2.5h (to 12:00) + 2.5h (5h), Fri 3h -> 11:30
        pytest.param(UPDATE, at(2026, 3, 12, 9, 30), at(2026, 3, 13, 11, 30), id="8h-thu"),
        # starts at Mon's close: Tue 6h, Wed 2h -> 10:30
        pytest.param(UPDATE, at(2026, 3, 9, 15, 30), at(2026, 3, 11, 10, 30), id="8h-at-close"),
        # Mon 10:00 + 8h: Mon 2h + 2.5h = 4.5h, Tue 3.5h -> exactly 12:00 (not 13:00)
        pytest.param(UPDATE, at(2026, 3, 9, 10), at(2026, 3, 10, 12), id="8h-ends-at-noon"),
    ],
)
def test_working_hours(
    cal: WorkingCalendar, policy: SlaPolicy, start: datetime, expected: datetime
) -> None:
    assert due_at(policy, cal, start) == expected


def test_working_hours_across_dst(cal: WorkingCalendar) -> None:
    # Fri 1h, Mon 6h, Tue 6h, Wed 3h; clocks go forward on Sun 29 Mar 2026.
    spring = due_at(RESOLUTION, cal, at(2026, 3, 27, 11))
    assert spring.isoformat() == "2026-04-01T11:30:00+02:00"
    # Fri 1h, Mon 6h, Tue 1h; clocks go back on Sun 25 Oct 2026.
    autumn = due_at(UPDATE, cal, at(2026, 10, 23, 11))
    assert autumn.isoformat() == "2026-10-27T09:30:00+01:00"


def test_pause_and_resume(cal: WorkingCalendar) -> None:
    opened = at(2026, 3, 9, 9)
    # Mon 3h + 2.5h, Tue 6h (11.5h), Wed 3.5h + 1h -> Wed 14:00
    due = due_at(RESOLUTION, cal, opened)
    assert due == at(2026, 3, 11, 14)
    remaining = remaining_at_pause(cal, due, at(2026, 3, 9, 11))
    assert remaining == 14 * H
    # Wed 10:00: Wed 2h + 2.5h (4.5h), Thu 6h (10.5h), Fri 3.5h -> Fri 12:00 exactly
    resumed = due_after_resume(cal, remaining, at(2026, 3, 11, 10))
    assert resumed == at(2026, 3, 13, 12)
    assert resumed.isoformat() == "2026-03-13T12:00:00+01:00"


def test_pause_while_overdue_resumes_due_immediately(cal: WorkingCalendar) -> None:
    due = at(2026, 3, 9, 15, 30)
    remaining = remaining_at_pause(cal, due, at(2026, 3, 10, 10))
    assert remaining == -1.5 * H
    resumed_at = at(2026, 3, 12, 9)
    assert due_after_resume(cal, remaining, resumed_at) == resumed_at


def test_pause_exactly_at_due(cal: WorkingCalendar) -> None:
    due = at(2026, 3, 9, 15, 30)
    assert remaining_at_pause(cal, due, due) == timedelta(0)
    resumed_at = at(2026, 3, 16, 9)
    assert due_after_resume(cal, timedelta(0), resumed_at) == resumed_at


def test_naive_datetimes_are_rejected(cal: WorkingCalendar) -> None:
    naive = datetime(2026, 3, 9, 9)  # noqa: DTZ001
    with pytest.raises(ValueError):
        due_at(FIRST_RESPONSE, cal, naive)
    with pytest.raises(ValueError):
        due_at(RESOLUTION, cal, naive)
    with pytest.raises(ValueError):
        remaining_at_pause(cal, naive, at(2026, 3, 9, 10))
    with pytest.raises(ValueError):
        due_after_resume(cal, H, naive)
    with pytest.raises(ValueError):
        due_after_resume(cal, -H, naive)


def test_policy_without_parameter_is_rejected(cal: WorkingCalendar) -> None:
    start = at(2026, 3, 9, 9)
    with pytest.raises(ValueError):
        due_at(SlaPolicy(name="x", kind="working_hours"), cal, start)
    with pytest.raises(ValueError):
        due_at(SlaPolicy(name="y", kind="same_or_next_working_day"), cal, start)


def test_team_closure_day_moves_first_response() -> None:
    team_cal = WorkingCalendar.from_config(SAMPLE, extra_closure_days=[date(2026, 3, 10)])
    assert due_at(FIRST_RESPONSE, team_cal, at(2026, 3, 9, 13, 31)) == at(2026, 3, 11, 15, 30)
