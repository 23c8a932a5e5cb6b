"""The workshop catalogue as a file (YAML or CSV) -> validated entries, with an error per row.

Columns / keys: code (stable key; a second import updates), title, topic, start
("2027-01-20 09:00" local time, or ISO 8601 with offset), end (same) or duration ("3h"),
place (room or online link), seats, groups (customer group ids, comma-separated; empty:
everyone), trainer_team (team id; default: Team BK).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.config.durations import parse_duration
from bot.config.model import OrgConfig
from bot.kernel import limits

TOPICS = (
    "beschaffung",
    "haushalt",
    "kontierung",
    "berichtswesen",
    "zahlungsverkehr",
    "anlagen",
    "einnahmen",
)
REQUIRED = ("code", "title", "topic", "start", "place", "seats")


@dataclass(frozen=True)
class WorkshopEntry:
    """One valid row of the catalogue."""

    code: str
    title: str
    topic: str
    starts_at: datetime
    ends_at: datetime
    place: str
    seats: int
    groups: tuple[str, ...]
    trainer_team: str


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row (1-based, as a spreadsheet counts data rows)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


def read_records(path: Path) -> list[dict[str, object]]:
    """The rows of a .csv (comma or semicolon) or .yaml file; ValueError if unreadable."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
        return [dict(row) for row in csv.DictReader(io.StringIO(text), dialect=dialect)]
    data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("workshops")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("expected a list of workshops (or a mapping with 'workshops:')")
    return [{str(k): v for k, v in item.items()} for item in data]


def parse(
    config: OrgConfig, records: list[dict[str, object]]
) -> tuple[list[WorkshopEntry], list[RowError]]:
    """Every valid entry, and every error of every row (nothing is imported on errors)."""
    tz = ZoneInfo(config.calendar.timezone)
    entries: list[WorkshopEntry] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, record in enumerate(records, start=1):
        found = _Row(config, number, record, tz)
        entry = found.entry()
        errors += found.errors
        if entry is not None and entry.code in seen:
            errors.append(RowError(number, "code", f"'{entry.code}' appears twice"))
        elif entry is not None:
            seen.add(entry.code)
            entries.append(entry)
    return entries, errors


class _Row:
    def __init__(
        self, config: OrgConfig, number: int, record: dict[str, object], tz: ZoneInfo
    ) -> None:
        self.config, self.number, self.tz = config, number, tz
        self.values = {k.strip().lower(): v for k, v in record.items() if k}
        self.errors: list[RowError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(RowError(self.number, field, message))

    def text(self, field: str) -> str:
        value = self.values.get(field)
        return "" if value is None else str(value).strip()

    def entry(self) -> WorkshopEntry | None:
        for field in REQUIRED:
            if not self.text(field):
                self.fail(field, "missing")
        for field, policy in (("code", "workshop_code"), ("place", "workshop_place")):
            if not limits.fits(policy, self.text(field)):
                self.fail(field, f"longer than {limits.limit(policy)} characters")
        if self.errors:
            return None
        topic = self.text("topic").lower()
        if topic not in TOPICS:
            self.fail("topic", f"unknown topic '{topic}'; known: {', '.join(TOPICS)}")
        start = self.moment("start")
        end = self.end(start)
        seats = self.seats()
        groups = self.groups()
        team = self.text("trainer_team") or self.config.first_level_team().id
        if team not in {t.id for t in self.config.teams}:
            self.fail("trainer_team", f"unknown team '{team}'")
        if self.errors or start is None or end is None or seats is None:
            return None
        return WorkshopEntry(
            code=self.text("code"),
            title=self.text("title"),
            topic=topic,
            starts_at=start,
            ends_at=end,
            place=self.text("place"),
            seats=seats,
            groups=groups,
            trainer_team=team,
        )

    def moment(self, field: str) -> datetime | None:
        raw = self.values.get(field)
        if isinstance(raw, datetime):
            value = raw
        else:
            try:
                value = datetime.fromisoformat(self.text(field))
            except ValueError:
                self.fail(field, f"not a date and time like 2027-01-20 09:00: '{self.text(field)}'")
                return None
        return value.replace(tzinfo=self.tz) if value.tzinfo is None else value

    def end(self, start: datetime | None) -> datetime | None:
        if self.text("end"):
            end = self.moment("end")
        elif self.text("duration"):
            try:
                end = None if start is None else start + parse_duration(self.text("duration"))
            except ValueError as error:
                self.fail("duration", str(error))
                return None
        else:
            self.fail("end", "missing (give end or duration)")
            return None
        if start is not None and end is not None and end <= start:
            self.fail("end", "must be after the start")
            return None
        return end

    def seats(self) -> int | None:
        text = self.text("seats")
        if not text.isdecimal() or int(text) < 1:
            self.fail("seats", f"not a whole number of at least 1: '{text}'")
            return None
        return int(text)

    def groups(self) -> tuple[str, ...]:
        raw = self.values.get("groups")
        items = raw if isinstance(raw, list) else self.text("groups").replace(";", ",").split(",")
        groups = tuple(str(item).strip() for item in items if str(item).strip())
        known = {group.id for group in self.config.customer_groups}
        for group in groups:
            if group not in known:
                self.fail("groups", f"unknown customer group '{group}'")
        return groups
