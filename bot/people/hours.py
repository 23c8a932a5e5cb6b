"""A person's working time: their own hours, cut to the team's office calendar.

Pure functions over a WorkingCalendar (bot/sla/calendar.py) and a person's weekly hours
(None: the office hours alone). Holidays and closure days still apply to everyone, and
nobody works outside office hours: personal hours only ever narrow the office's time.
Deadlines never use these functions: they stay on the team's office calendar. What does
is the question "when may the bot ping this person?" (bot/people/schedule.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.config.weekly_hours import WeeklyHours
from bot.kernel.clock import require_aware
from bot.sla.calendar import WorkingCalendar

_SEARCH_DAYS = 366 + 7  # a year of closures plus a week of hours: else there is no time


def working_intervals(
    calendar: WorkingCalendar, hours: WeeklyHours | None, day: date
) -> list[tuple[datetime, datetime]]:
    """The person's working time on `day`: office intervals intersected with their hours."""
    office = calendar.office_intervals(day)
    if hours is None:
        return office
    tz = calendar.tz
    personal = [
        (datetime.combine(day, iv.start, tzinfo=tz), datetime.combine(day, iv.end, tzinfo=tz))
        for iv in hours.get(day.weekday(), ())
    ]
    found = []
    for opens, closes in office:
        for starts, ends in personal:
            begin, finish = max(opens, starts), min(closes, ends)
            if begin < finish:
                found.append((begin, finish))
    return sorted(found)


def is_working(calendar: WorkingCalendar, hours: WeeklyHours | None, at: datetime) -> bool:
    """Whether the person is at work at `at`."""
    moment = _utc(at)
    day = moment.astimezone(calendar.tz).date()
    return any(_utc(b) <= moment < _utc(e) for b, e in working_intervals(calendar, hours, day))


def next_working_minute(
    calendar: WorkingCalendar, hours: WeeklyHours | None, at: datetime
) -> datetime:
    """`at` itself while the person works, else the start of their next working time.

    ValueError when they have none within a year (hours that never meet the office hours:
    check-config and /arbeitszeit refuse those)."""
    moment = _utc(at)
    day = moment.astimezone(calendar.tz).date()
    for offset in range(_SEARCH_DAYS):
        for begin, finish in working_intervals(calendar, hours, day + timedelta(days=offset)):
            if moment < _utc(finish):
                return max(moment, _utc(begin)).astimezone(calendar.tz)
    raise ValueError(f"no working time within {_SEARCH_DAYS} days after {at}")


def reachable(calendar: WorkingCalendar, hours: WeeklyHours | None, at: datetime) -> bool:
    """Whether the person has any working time within a year of `at`."""
    try:
        next_working_minute(calendar, hours, at)
    except ValueError:
        return False
    return True


def _utc(at: datetime) -> datetime:
    return require_aware(at).astimezone(UTC)
