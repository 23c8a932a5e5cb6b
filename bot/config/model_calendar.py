"""The office calendar's part of the organisation config: office hours, closure days.

Apart from bot/config/model.py (which re-exports them) to keep that module below its size
limit; a person's own working hours use the same interval type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time


@dataclass(frozen=True)
class OfficeInterval:
    """One block of office hours on a weekday, local time; start < end."""

    start: time
    end: time


@dataclass(frozen=True)
class MonthDay:
    """A closure day that recurs every year, e.g. 24 December."""

    month: int
    day: int


@dataclass(frozen=True)
class CalendarConfig:
    """Office hours (weekday 0 = Monday), holiday region and closure days."""

    timezone: str
    office_hours: Mapping[int, tuple[OfficeInterval, ...]]
    holiday_country: str
    holiday_subdivision: str | None
    holiday_categories: tuple[str, ...]
    closure_days: tuple[date | MonthDay, ...] = ()
