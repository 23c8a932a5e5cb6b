"""The issue type and a collector with typed readers shared by all config validators.

Every reader reports a problem and returns None instead of raising, so one pass over a
config finds all of its problems.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta

from bot.config.durations import parse_duration
from bot.config.model import Texts
from bot.config.yaml_lines import KeyPath, format_path, line_of
from bot.kernel import limits

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file: where (key path and line) and what to do about it."""

    path: str
    message: str
    line: int | None
    source: str | None = None

    def __str__(self) -> str:
        """E.g. `sample.yaml:57: topics[3].team: topic routes to unknown team 'x'; ...`."""
        where = self.source or "config"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.path}: {self.message}"


def describe(value: object) -> str:
    """Name the YAML type of a value for messages ("a string", "a list", ...)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({value})"


def known(names: Iterable[str]) -> str:
    """A sorted, comma-separated list of names for "known ...: " hints."""
    return ", ".join(sorted(names)) or "(none)"


def unknown_key(key: str, allowed: Iterable[str]) -> str:
    """The message for a key that is not allowed, with a "did you mean" for typos."""
    names = sorted(allowed)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key '{key}'; {hint}allowed here: {known(names)}"


class Checker:
    """Collects issues and reads typed values out of the raw YAML data."""

    def __init__(self, lines: Mapping[KeyPath, int]) -> None:
        self.lines = lines
        self.issues: list[ConfigIssue] = []

    def report(self, path: KeyPath, message: str) -> None:
        """Record an issue at `path` (its line is looked up, or its nearest ancestor's)."""
        self.issues.append(ConfigIssue(format_path(path), message, line_of(self.lines, path)))

    def expect(self, value: object, path: KeyPath, what: str) -> None:
        """Report a wrong type: expected `what`, found something else."""
        self.report(path, f"expected {what}, found {describe(value)}")

    # --- containers ---------------------------------------------------------------
    def mapping(
        self,
        value: object,
        path: KeyPath,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        *,
        what: str = "a mapping",
        check_keys: bool = True,
    ) -> dict[str, object] | None:
        """`value` as a mapping; reports missing required keys and unknown keys."""
        if not isinstance(value, dict):
            self.expect(value, path, what)
            return None
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key in required:
            if key not in value:
                self.report(path, f"missing required key '{key}'")
        if check_keys:
            for key in value:
                if key not in allowed:
                    self.report((*path, key), unknown_key(key, allowed))
        return value

    def sequence(self, value: object, path: KeyPath, what: str = "a list") -> list[object] | None:
        """`value` as a list (reports anything else)."""
        if not isinstance(value, list):
            self.expect(value, path, what)
            return None
        return value

    def optional_sequence(self, value: object, path: KeyPath, what: str) -> list[object] | None:
        """Like `sequence`, but a missing value (null) is an empty list."""
        return [] if value is None else self.sequence(value, path, what)

    # --- scalars ------------------------------------------------------------------
    def string(self, value: object, path: KeyPath, what: str = "a non-empty string") -> str | None:
        """A non-empty string."""
        if not isinstance(value, str) or not value.strip():
            hint = ""
            if isinstance(value, bool):
                hint = " (YAML reads yes/no/on/off/NO as booleans: put the value in quotes)"
            self.report(path, f"expected {what}, found {describe(value)}{hint}")
            return None
        return value

    def ident(self, value: object, path: KeyPath, what: str = "id") -> str | None:
        """An id: lowercase ASCII letters, digits, '.', '_' or '-', as long as the stores'
        columns allow (the length policy, `bot.kernel.limits`)."""
        article = "an" if what[:1] in "aeiou" else "a"
        text = self.string(value, path, f"{article} {what} (a non-empty string)")
        if text is not None and not ID_PATTERN.fullmatch(text):
            self.report(
                path,
                f"invalid {what} {text!r}: use lowercase ASCII letters, digits, '.', '_' or '-'",
            )
            return None
        if text is not None and not limits.fits("config_id", text):
            most = limits.limit("config_id")
            self.report(path, f"{what} too long: at most {most} characters, found {len(text)}")
            return None
        return text

    def choice(self, value: object, path: KeyPath, choices: Iterable[str], what: str) -> str | None:
        """One of `choices`; unknown values get a "did you mean" hint."""
        names = sorted(choices)
        if not isinstance(value, str):
            self.expect(value, path, f"a {what} ({known(names)})")
            return None
        if value in names:
            return value
        close = difflib.get_close_matches(value, names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        self.report(path, f"unknown {what} {value!r}; {hint}known: {known(names)}")
        return None

    def boolean(self, value: object, path: KeyPath) -> bool | None:
        """true or false."""
        if not isinstance(value, bool):
            self.expect(value, path, "true or false")
            return None
        return value

    def integer(self, value: object, path: KeyPath, minimum: int | None = None) -> int | None:
        """A whole number, optionally at least `minimum`."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.expect(value, path, "a whole number")
            return None
        if minimum is not None and value < minimum:
            self.report(path, f"must be at least {minimum}, found {value}")
            return None
        return value

    def duration(
        self, value: object, path: KeyPath, *, allow_zero: bool = True
    ) -> timedelta | None:
        """A non-negative duration like "2h" or "1h30m" (positive unless `allow_zero`)."""
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.expect(value, path, "a duration like '2h', '30m' or '1h30m'")
            return None
        try:
            delta = parse_duration(str(value))
        except ValueError as exc:
            self.report(path, str(exc))
            return None
        if delta < timedelta(0):
            self.report(path, f"duration must not be negative, found {value!r}")
            return None
        if not allow_zero and delta == timedelta(0):
            self.report(path, "duration must be greater than zero")
            return None
        return delta

    def clock(self, value: object, path: KeyPath) -> time | None:
        """A local time "HH:MM"."""
        if isinstance(value, int) and not isinstance(value, bool):
            self.report(
                path,
                f'expected a time "HH:MM" in quotes, found the number {value} '
                "(YAML reads unquoted H:MM as a number of minutes)",
            )
            return None
        if not isinstance(value, str):
            self.expect(value, path, 'a time "HH:MM"')
            return None
        parsed = parse_clock(value)
        if parsed is None:
            self.report(path, f'invalid time {value!r}: expected "HH:MM" between 00:00 and 23:59')
        return parsed

    def texts(self, value: object, path: KeyPath, what: str = "a name") -> Texts | None:
        """A text: a string (German) or a mapping {de: ..., en: ...}."""
        if isinstance(value, str) and value.strip():
            return Texts(de=value)
        if not isinstance(value, dict):
            self.expect(value, path, f"{what}: a string or a mapping {{de: ..., en: ...}}")
            return None
        node = self.mapping(value, path, required=("de",), optional=("en",))
        if node is None or "de" not in node:
            return None
        de = self.string(node["de"], (*path, "de"))
        en = self.string(node["en"], (*path, "en")) if node.get("en") is not None else ""
        if de is None or en is None:
            return None
        return Texts(de=de, en=en)


class Ids:
    """Remembers ids of one kind and reports duplicates (with the first one's line)."""

    def __init__(self, ck: Checker, kind: str) -> None:
        self._ck, self._kind = ck, kind
        self.lines: dict[str, int | None] = {}

    def add(self, value: object, path: KeyPath) -> str | None:
        """The id if valid and new; otherwise report it and return None."""
        ident = self._ck.ident(value, path, f"{self._kind} id")
        if ident is None:
            return None
        if ident in self.lines:
            first = self.lines[ident]
            self._ck.report(path, f"duplicate {self._kind} id '{ident}' (first on line {first})")
            return None
        self.lines[ident] = line_of(self._ck.lines, path)
        return ident


def parse_clock(text: str) -> time | None:
    """ "08:30" -> time(8, 30); None when not a valid HH:MM."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
