"""The working-day calendar: office hours, public holidays and closure days.

Every datetime that goes in must be timezone-aware; every datetime that comes out is
aware and expressed in the calendar's timezone. Arithmetic is done on UTC instants, so
results stay correct across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.config.model import CalendarConfig, MonthDay, OfficeInterval, OrgConfig
from bot.kernel.clock import require_aware

_MAX_SEARCH_DAYS = 366
_ZERO = timedelta(0)


@lru_cache(maxsize=256)
def _holidays_in(
    country: str, subdiv: str | None, categories: tuple[str, ...], year: int
) -> frozenset[date]:
    """The holidays of one region in one year (cached: the `holidays` package is slowish)."""
    table = holidays.country_holidays(
        country, subdiv=subdiv, categories=categories or None, years=year
    )
    return frozenset(table.keys())


class WorkingCalendar:
    """Office hours per weekday (0 = Monday), minus holidays and closure days."""

    def __init__(
        self,
        *,
        tz: ZoneInfo,
        office_hours: Mapping[int, Sequence[OfficeInterval]],
        is_holiday: Callable[[date], bool],
        closure_days: Iterable[date | MonthDay] = (),
    ) -> None:
        self._tz = tz
        self._hours: dict[int, tuple[OfficeInterval, ...]] = {}
        for weekday, intervals in office_hours.items():
            for interval in intervals:
                if interval.start >= interval.end:
                    raise ValueError(f"empty office interval on weekday {weekday}: {interval}")
            self._hours[weekday] = tuple(sorted(intervals, key=lambda iv: iv.start))
        self._is_holiday = is_holiday
        self._closed_dates: set[date] = set()
        self._closed_month_days: set[tuple[int, int]] = set()
        self._intervals: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        for closure in closure_days:
            if isinstance(closure, MonthDay):
                self._closed_month_days.add((closure.month, closure.day))
            else:
                self._closed_dates.add(closure)

    @classmethod
    def from_config(
        cls, config: CalendarConfig, extra_closure_days: Iterable[date] = ()
    ) -> WorkingCalendar:
        """Build the calendar from config; holidays come from the `holidays` package."""
        country, subdiv = config.holiday_country, config.holiday_subdivision
        categories = tuple(config.holiday_categories)

        def is_holiday(day: date) -> bool:
            return day in _holidays_in(country, subdiv, categories, day.year)

        return cls(
            tz=ZoneInfo(config.timezone),
            office_hours=config.office_hours,
            is_holiday=is_holiday,
            closure_days=(*config.closure_days, *extra_closure_days),
        )

    @property
    def tz(self) -> ZoneInfo:
        """The timezone that office hours are given in."""
        return self._tz

    def is_working_day(self, day: date) -> bool:
        """True if `day` has office hours and is neither a holiday nor a closure day."""
        return (
            bool(self._hours.get(day.weekday()))
            and day not in self._closed_dates
            and (day.month, day.day) not in self._closed_month_days
            and not self._is_holiday(day)
        )

    def office_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office hours of `day` as aware (start, end) pairs; [] on non-working days."""
        found = self._intervals.get(day)  # the calendar never changes: worked out once a day
        if found is None:
            found = self._intervals[day] = self._work_out_intervals(day)
        return list(found)

    def _work_out_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if not self.is_working_day(day):
            return ()
        return tuple(
            (
                datetime.combine(day, iv.start, tzinfo=self._tz),
                datetime.combine(day, iv.end, tzinfo=self._tz),
            )
            for iv in self._hours[day.weekday()]
        )

    def closing_time(self, day: date) -> datetime:
        """The last closing time of a working day; ValueError on a non-working day."""
        intervals = self.office_intervals(day)
        if not intervals:
            raise ValueError(f"{day.isoformat()} is not a working day")
        return intervals[-1][1]

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`; ValueError if none within a year."""
        for offset in range(1, _MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {day}")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time within [start, end); zero if `end` is not after `start`."""
        start_utc, end_utc = _utc(start), _utc(end)
        if end_utc <= start_utc:
            return _ZERO
        total = _ZERO
        day = start_utc.astimezone(self._tz).date()
        last_day = end_utc.astimezone(self._tz).date()
        while day <= last_day:
            total += _overlap(self.office_intervals(day), start_utc, end_utc)
            day += timedelta(days=1)
        return total

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of office time has passed since `start`.

        When the amount runs out exactly at the end of an office interval, that end is
        returned (not the next opening). A zero amount returns `start` itself (in the
        calendar's timezone), even outside office hours. Negative amounts: ValueError.
        """
        cursor = _utc(start)
        if amount < _ZERO:
            raise ValueError(f"negative working time: {amount}")
        if amount == _ZERO:
            return cursor.astimezone(self._tz)
        remaining = amount
        day = cursor.astimezone(self._tz).date()
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        while True:
            for opens, closes in self.office_intervals(day):
                begin, finish = max(cursor, _utc(opens)), _utc(closes)
                if finish <= begin:
                    continue
                available = finish - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self._tz)
                remaining -= available
            day = self.next_working_day(day)

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of office time before `end` (the mirror of add_working_time).

        When the amount runs out exactly at the start of an office interval, that start is
        returned. A zero amount returns `end` itself. Negative amounts: ValueError.
        """
        cursor = _utc(end)
        if amount < _ZERO:
            raise ValueError(f"negative working time: {amount}")
        if amount == _ZERO:
            return cursor.astimezone(self._tz)
        remaining = amount
        day = cursor.astimezone(self._tz).date()
        for _ in range(_MAX_SEARCH_DAYS * 2):
            for opens, closes in reversed(self.office_intervals(day)):
                begin, finish = _utc(opens), min(cursor, _utc(closes))
                if finish <= begin:
                    continue
                available = finish - begin
                if remaining <= available:
                    return (finish - remaining).astimezone(self._tz)
                remaining -= available
            day -= timedelta(days=1)
        raise ValueError(f"no office time within {_MAX_SEARCH_DAYS * 2} days before {end}")

    def is_office_time(self, at: datetime) -> bool:
        """Whether `at` lies within office hours of a working day."""
        at_utc = _utc(at)
        day = at_utc.astimezone(self._tz).date()
        return any(_utc(o) <= at_utc < _utc(c) for o, c in self.office_intervals(day))

    def next_office_time(self, at: datetime) -> datetime:
        """`at` itself during office hours, else the next opening after it."""
        at_utc = _utc(at)
        day = at_utc.astimezone(self._tz).date()
        for _ in range(_MAX_SEARCH_DAYS + 1):
            for opens, closes in self.office_intervals(day):
                if at_utc < _utc(closes):
                    return max(at_utc, _utc(opens)).astimezone(self._tz)
            day = self.next_working_day(day)
        raise ValueError(f"no office time within {_MAX_SEARCH_DAYS} days after {at}")

    def remaining_office_time(self, at: datetime) -> timedelta:
        """Office time left on `at`'s local day after `at` (the whole day before opening)."""
        at_utc = _utc(at)
        day = at_utc.astimezone(self._tz).date()
        return _overlap(self.office_intervals(day), at_utc, None)


def _utc(at: datetime) -> datetime:
    """`at` as a UTC instant; ValueError for naive datetimes."""
    return require_aware(at).astimezone(UTC)


def _overlap(
    intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime | None
) -> timedelta:
    """How much of the intervals lies within [start, end) (end None: unbounded)."""
    total = _ZERO
    for opens, closes in intervals:
        begin = max(start, _utc(opens))
        finish = _utc(closes) if end is None else min(end, _utc(closes))
        if finish > begin:
            total += finish - begin
    return total


def calendar_for(config: OrgConfig, team_id: str | None = None) -> WorkingCalendar:
    """The organisation's calendar, plus the closure days of team `team_id` if given."""
    extra = config.team(team_id).closure_days if team_id is not None else ()
    return WorkingCalendar.from_config(config.calendar, extra_closure_days=extra)
