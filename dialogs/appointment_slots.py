"""Appointment slots as an agent types them: "Mo 10:00, 15.12. 14:30, morgen 9 Uhr".

Pure: `read_slots(text, now, calendar)` gives the slots as aware datetimes in the calendar's
zone, or the catalogue key (and arguments) of what is wrong with them. A slot is refused
when it lies in the past or outside the team's office hours (its whole length must fit into
one office-hours block of a working day); at most MAX_SLOTS are proposed at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.sla.calendar import WorkingCalendar

MAX_SLOTS = 3
DURATION = timedelta(minutes=30)  # one screen-sharing session
_WEEKDAYS = {
    "mo": 0, "montag": 0, "mon": 0, "monday": 0,
    "di": 1, "dienstag": 1, "tue": 1, "tuesday": 1,
    "mi": 2, "mittwoch": 2, "wed": 2, "wednesday": 2,
    "do": 3, "donnerstag": 3, "thu": 3, "thursday": 3,
    "fr": 4, "freitag": 4, "fri": 4, "friday": 4,
    "sa": 5, "samstag": 5, "sat": 5, "saturday": 5,
    "so": 6, "sonntag": 6, "sun": 6, "sunday": 6,
}  # fmt: skip
_RELATIVE = {"heute": 0, "today": 0, "morgen": 1, "tomorrow": 1, "übermorgen": 2}
_FILLERS = frozenset({"am", "on", "den", "um", "at"})
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_SPLIT = re.compile(r"\s*(?:,|;|\bund\b|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class SlotProblem:
    """Why the typed slots cannot be proposed: a catalogue key and its arguments."""

    key: str
    slot: str = ""


def read_slots(
    text: str, now: datetime, calendar: WorkingCalendar
) -> tuple[datetime, ...] | SlotProblem:
    """The slots in `text` (sorted, without repeats), or the first problem with them."""
    parts = [part.strip() for part in _SPLIT.split(text.strip()) if part.strip()]
    if not parts:
        return SlotProblem("appointment.slots_missing")
    if len(parts) > MAX_SLOTS:
        return SlotProblem("appointment.too_many_slots")
    slots: list[datetime] = []
    for part in parts:
        start = read_slot(part, now, calendar)
        if start is None:
            return SlotProblem("appointment.slot_unreadable", part)
        problem = slot_problem(start, now, calendar)
        if problem is not None:
            return SlotProblem(problem, part)
        if start not in slots:
            slots.append(start)
    return tuple(sorted(slots))


def read_slot(text: str, now: datetime, calendar: WorkingCalendar) -> datetime | None:
    """One slot: an optional day (weekday, "morgen", "15.12." or "15.12.2026") and a time
    ("10:00", "9 Uhr"); None when it is not one."""
    words = [w for w in text.casefold().replace("uhr", " ").split() if w not in _FILLERS]
    if not words or len(words) > 2:
        return None
    clock = _time(words[-1])
    if clock is None:
        return None
    today = now.astimezone(calendar.tz).date()
    day = today
    if len(words) == 2:
        found = _day(words[0].rstrip(","), today, clock, now, calendar)
        if found is None:
            return None
        day = found
    return datetime.combine(day, clock, tzinfo=calendar.tz)


def slot_problem(start: datetime, now: datetime, calendar: WorkingCalendar) -> str | None:
    """Why `start` cannot be offered (a catalogue key), or None when it can."""
    if start <= now:
        return "appointment.slot_past"
    end = start + DURATION
    day = start.astimezone(calendar.tz).date()
    if not any(
        opens <= start and end <= closes for opens, closes in calendar.office_intervals(day)
    ):
        return "appointment.slot_outside_hours"
    return None


def _time(word: str) -> time | None:
    match = _TIME.match(word)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day(
    word: str, today: date, clock: time, now: datetime, calendar: WorkingCalendar
) -> date | None:
    if word in _RELATIVE:
        return today + timedelta(days=_RELATIVE[word])
    if word.rstrip(".") in _WEEKDAYS:
        ahead = (_WEEKDAYS[word.rstrip(".")] - today.weekday()) % 7
        day = today + timedelta(days=ahead)
        if ahead == 0 and datetime.combine(day, clock, tzinfo=calendar.tz) <= now:
            day += timedelta(days=7)  # "Mo 10:00" said on a Monday afternoon: next Monday
        return day
    match = _DATE.match(word if word.count(".") >= 2 else word + ".")
    if match is None:
        return None
    day_no, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    year = today.year if year_text is None else int(year_text)
    if year_text is not None and len(year_text) == 2:
        year += 2000
    try:
        day = date(year, month, day_no)
    except ValueError:
        return None
    if year_text is None and day < today:
        day = date(year + 1, month, day_no) if _valid(year + 1, month, day_no) else day
    return day


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
