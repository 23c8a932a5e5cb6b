"""Reading "/abwesend [vom TAG] bis TAG [Vertretung]" and "/away [from DAY] until DAY [deputy]".

Pure: the text and today's date in, a request or a problem out. A day is a date
("18.12.", "18.12.2026", "2026-12-18"), a weekday ("Freitag", "fr", "friday": the next one,
today included) or "heute", "morgen", "übermorgen" (today, tomorrow). A date without a year
is the next such date, not before the start, so "vom 21.12. bis 4.1." spans New Year. A
leading word that is no keyword and no day names the person (a lead enters an absence for
a team member); the words after the last day name the deputy. Turning days into moments
(the end of the last day, Europe/Berlin) is the caller's, who knows the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

FROM = frozenset({"vom", "von", "ab", "from", "since"})
UNTIL = frozenset({"bis", "until", "till", "to", "bis:"})
END = frozenset({"beenden", "ende", "end", "zurück", "zurueck", "back", "stop"})
DEPUTY = frozenset(
    {"vertretung", "vertretung:", "vertreten", "durch", "deputy", "deputy:", "by", "mit", "with"}
)
WEEKDAYS: dict[str, int] = {
    **dict.fromkeys(("montag", "mo", "monday", "mon"), 0),
    **dict.fromkeys(("dienstag", "di", "tuesday", "tue", "tues"), 1),
    **dict.fromkeys(("mittwoch", "mi", "wednesday", "wed"), 2),
    **dict.fromkeys(("donnerstag", "do", "thursday", "thu", "thurs"), 3),
    **dict.fromkeys(("freitag", "fr", "friday", "fri"), 4),
    **dict.fromkeys(("samstag", "sonnabend", "sa", "saturday", "sat"), 5),
    **dict.fromkeys(("sonntag", "so", "sunday", "sun"), 6),
}
RELATIVE = {"heute": 0, "today": 0, "morgen": 1, "tomorrow": 1, "übermorgen": 2, "uebermorgen": 2}
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.?(\d{2}|\d{4})?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MAX_AHEAD = timedelta(days=366)  # an absence is entered for at most a year


@dataclass(frozen=True)
class AwayRequest:
    """Away from `since` (None: from now) to the end of `until`; `person` and `deputy` are
    the words naming them ("" when not given), resolved by the caller."""

    until: date
    since: date | None = None
    person: str = ""
    deputy: str = ""


@dataclass(frozen=True)
class EndRequest:
    """Back again: the running absence ends now, planned ones are dropped."""

    person: str = ""


@dataclass(frozen=True)
class Problem:
    """Why the text was not understood: a catalogue key and its arguments."""

    key: str
    value: str = ""


def parse_absence(text: str, today: date) -> AwayRequest | EndRequest | Problem:
    """Read the words after the command; `today` is the local date the days count from."""
    words = text.split()
    if not words:
        return Problem("away.usage")
    person = ""
    if not _is_keyword(words[0]) and parse_day(words[0], today) is None:
        person, words = words[0], words[1:]
    if not words:
        return Problem("away.usage")
    if words[0].casefold() in END:
        return EndRequest(person) if len(words) == 1 else Problem("away.usage")
    since: date | None = None
    if words[0].casefold() in FROM:
        if len(words) < 2 or (since := parse_day(words[1], today)) is None:
            return Problem("away.bad_day", words[1] if len(words) > 1 else "")
        words = words[2:]
    if words and words[0].casefold() in UNTIL:
        words = words[1:]
    elif since is not None or not words:
        return Problem("away.usage")
    if not words:
        return Problem("away.usage")
    until = parse_day(words[0], since or today)
    if until is None:
        return Problem("away.bad_day", words[0])
    return _checked(AwayRequest(until, since, person, _deputy(words[1:])), today)


def parse_day(word: str, not_before: date) -> date | None:
    """One day: a date, a weekday or a relative word; None when it is none of them."""
    token = word.casefold().rstrip(",;")
    if token in RELATIVE:
        return not_before + timedelta(days=RELATIVE[token])
    if token.rstrip(".") in WEEKDAYS:
        ahead = (WEEKDAYS[token.rstrip(".")] - not_before.weekday()) % 7
        return not_before + timedelta(days=ahead)
    if match := _ISO.fullmatch(token):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _DOTTED.fullmatch(token):
        day, month, year = int(match[1]), int(match[2]), match[3]
        if year is not None:
            return _date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        for candidate in range(not_before.year, not_before.year + 5):  # 29.2. waits for a leap
            found = _date(candidate, month, day)
            if found is not None and found >= not_before:
                return found
    return None


def _checked(request: AwayRequest, today: date) -> AwayRequest | Problem:
    start = request.since or today
    if request.until < today:
        return Problem("away.in_past")
    if request.until < start:
        return Problem("away.end_before_start")
    if request.until - today > MAX_AHEAD:
        return Problem("away.too_far")
    return request


def _deputy(words: list[str]) -> str:
    while words and words[0].casefold() in DEPUTY:
        words = words[1:]
    return " ".join(words)


def _is_keyword(word: str) -> bool:
    return word.casefold() in FROM | UNTIL | END


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
