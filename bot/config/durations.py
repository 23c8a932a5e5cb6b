"""Durations as written in the config: "2h", "30m", "45s", "1h30m", "-2h", "0"."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(
    r"(?P<sign>-)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?\s*(?:(?P<s>\d+)\s*s)?",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as "2h", "30m", "45s", "1h30m", "-2h" or "0".

    Hours, minutes and seconds appear in that order, each at most once. A leading "-"
    makes the duration negative (callers reject negative values where they make no
    sense). Raises ValueError with a readable message for anything else, including
    numbers without a unit.
    """
    if not isinstance(text, str):
        raise ValueError(
            f"expected a duration string like '2h', '30m' or '1h30m', got {type(text).__name__}"
        )
    stripped = text.strip()
    if stripped in ("0", "-0"):
        return timedelta(0)
    match = _DURATION.fullmatch(stripped)
    if not stripped or match is None or not any(match.group(g) for g in ("h", "m", "s")):
        raise ValueError(
            f"invalid duration {text!r}: use hours, minutes and seconds like "
            "'2h', '30m', '45s' or '1h30m' (units h, m, s in that order)"
        )
    delta = timedelta(
        hours=int(match.group("h") or 0),
        minutes=int(match.group("m") or 0),
        seconds=int(match.group("s") or 0),
    )
    return -delta if match.group("sign") else delta


def format_duration(td: timedelta) -> str:
    """Write a duration the way `parse_duration` reads it, e.g. "1h30m", "-2h", "0".

    Raises ValueError for fractions of a second, which the config format cannot express.
    """
    if td.microseconds:
        raise ValueError(f"cannot write {td!r} as a duration: fractions of a second")
    total = int(td.total_seconds())
    if total == 0:
        return "0"
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return sign + "".join(parts)
