"""Weekly hours written the way people say them: "Mo-Do 08:00-12:30, Fr 8-11".

One syntax for the config (a person's `hours`) and the /arbeitszeit command, so what
check-config accepts is exactly what the command accepts and what both show back. Day names
are German or English, abbreviated to at least two letters (Mo, Di, Mi, Do, Fr, Sa, So;
Mo, Tu, We, Th, Fr, Sa, Su; or written out). Days come first (single days, ranges like
Mo-Do, lists like Mo,Mi), then one or more time ranges that apply to them; a comma may
separate the groups. Overlapping ranges of one day are merged: a person's day is a set of
minutes, not a list of appointments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time

from bot.config.model import OfficeInterval

WeeklyHours = Mapping[int, tuple[OfficeInterval, ...]]

_NAMES: tuple[tuple[str, ...], ...] = (
    ("montag", "monday"),
    ("dienstag", "tuesday"),
    ("mittwoch", "wednesday"),
    ("donnerstag", "thursday"),
    ("freitag", "friday"),
    ("samstag", "saturday"),
    ("sonntag", "sunday"),
)
SHORT: Mapping[str, tuple[str, ...]] = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?:h|uhr)?")
_RANGE = re.compile(r"([^-]+)-([^-]+)")
_SEPARATORS = re.compile(r"\s*[-–—]\s*|\s+bis\s+|\s+to\s+", re.IGNORECASE)
# Why a text was refused (HoursSyntaxError.reason): each has its chat wording.
REASONS: tuple[str, ...] = ("empty", "no_days", "unknown", "no_time", "backwards")
_JOINERS = frozenset({"und", "and", "sowie", "&", "+"})


class HoursSyntaxError(ValueError):
    """The text is not a valid set of weekly hours: the message names the offending part
    (for check-config); `reason` and `part` let a chat answer say it in German or English."""

    def __init__(self, message: str, *, reason: str, part: str = "") -> None:
        super().__init__(message)
        self.reason, self.part = reason, part


def weekday(token: str) -> int | None:
    """0 (Monday) to 6 for a German or English day name of two letters or more."""
    word = token.strip().rstrip(".").casefold()
    if len(word) < 2:
        return None
    found = {day for day, names in enumerate(_NAMES) if any(n.startswith(word) for n in names)}
    return found.pop() if len(found) == 1 else None


def clock(token: str) -> time | None:
    """ "8", "08:30", "8.30", "8h", "8uhr" -> a time of day; None when it is none."""
    match = _CLOCK.fullmatch(token.strip().casefold())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


def parse(text: str) -> dict[int, tuple[OfficeInterval, ...]]:
    """The weekly hours a text describes (weekday 0 = Monday); HoursSyntaxError if none."""
    tokens = _tokens(text)
    if not tokens:
        raise HoursSyntaxError("no days and times given", reason="empty")
    found: dict[int, list[OfficeInterval]] = {}
    days: list[int] = []
    timed = False  # whether the current days have got a time range yet
    for token in tokens:
        interval = _interval(token)
        if interval is not None:
            if not days:
                raise HoursSyntaxError(
                    f"time range {token!r} without days before it", reason="no_days", part=token
                )
            for day in days:
                found.setdefault(day, []).append(interval)
            timed = True
            continue
        named = _days(token)
        if named is None:
            raise HoursSyntaxError(
                f"neither days nor a time range: {token!r}", reason="unknown", part=token
            )
        if timed:
            days, timed = [], False
        days += [day for day in named if day not in days]
    if not timed:
        raise HoursSyntaxError(
            f"days without a time range: {tokens[-1]!r}", reason="no_time", part=tokens[-1]
        )
    return {day: _merged(found[day]) for day in sorted(found)}


def describe(hours: WeeklyHours, locale: str = "de") -> str:
    """The canonical text of `hours`: days with equal times grouped, e.g. "Mo-Do 08:00-12:30".

    `parse(describe(h, "de"))` gives back `h` (the German form is what is stored)."""
    names = SHORT["en" if locale.startswith("en") else "de"]
    groups: list[tuple[list[int], tuple[OfficeInterval, ...]]] = []
    for day in sorted(hours):
        intervals = hours[day]
        if groups and groups[-1][1] == intervals and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))
    parts = []
    for days, intervals in groups:
        span = names[days[0]] if len(days) == 1 else f"{names[days[0]]}-{names[days[-1]]}"
        if len(days) == 2:
            span = f"{names[days[0]]},{names[days[1]]}"
        times = " ".join(f"{iv.start:%H:%M}-{iv.end:%H:%M}" for iv in intervals)
        parts.append(f"{span} {times}")
    return ", ".join(parts)


def _tokens(text: str) -> list[str]:
    """Words of the text, with the blanks around range dashes ("8 - 12", "Mo bis Do") gone."""
    joined = _SEPARATORS.sub("-", text.strip())
    words = re.split(r"[\s,;]+", joined)
    return [w for w in words if w and w.casefold() not in _JOINERS]


def _interval(token: str) -> OfficeInterval | None:
    match = _RANGE.fullmatch(token)
    if match is None:
        return None
    start, end = clock(match.group(1)), clock(match.group(2))
    if start is None or end is None:
        return None
    if end <= start:
        raise HoursSyntaxError(
            f"time range {token!r} ends before or when it starts", reason="backwards", part=token
        )
    return OfficeInterval(start=start, end=end)


def _days(token: str) -> list[int] | None:
    """A day ("Mo") or a range of days ("Mo-Do", across the weekend too: "Sa-Mo")."""
    match = _RANGE.fullmatch(token)
    if match is None:
        day = weekday(token)
        return None if day is None else [day]
    first, last = weekday(match.group(1)), weekday(match.group(2))
    if first is None or last is None:
        return None
    return [(first + offset) % 7 for offset in range((last - first) % 7 + 1)]


def _merged(intervals: list[OfficeInterval]) -> tuple[OfficeInterval, ...]:
    result: list[OfficeInterval] = []
    for interval in sorted(intervals, key=lambda iv: iv.start):
        if result and interval.start <= result[-1].end:
            last = result[-1]
            result[-1] = OfficeInterval(last.start, max(last.end, interval.end))
        else:
            result.append(interval)
    return tuple(result)
