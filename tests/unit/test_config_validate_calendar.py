"""Config validation of the calendar: office hours, time zone, holidays, closure days.

Office-hour intervals (order, overlap, format, range, weekday names), the time zone, the
holiday country, subdivision and categories, and the closure days of the organisation and
of a team, each reported with key path and line.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.config_validate_support import assert_issue_at, issue_cases

# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # calendar
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["12:00-08:30"]',
        "calendar.office_hours.friday[0]",
        "end before",
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["12:00-12:00"]',
        "calendar.office_hours.friday[0]",
        "end before",
        None,
    ),
    (
        '    monday: ["08:30-12:00", "13:00-15:30"]',
        '    monday: ["08:30-12:00", "11:30-15:30"]',
        "calendar.office_hours.monday[1]",
        "overlaps 08:30-12:00",
        None,
    ),
    (
        "    friday:",
        "    fryday:",
        "calendar.office_hours.fryday",
        "unknown weekday 'fryday'",
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["8.30-12"]',
        "calendar.office_hours.friday[0]",
        '"HH:MM-HH:MM"',
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["08:30-24:30"]',
        "calendar.office_hours.friday[0]",
        "invalid interval",
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: "08:30-12:00"',
        "calendar.office_hours.friday",
        "expected a list",
        None,
    ),
    (
        "  timezone: Europe/Berlin",
        "  timezone: Europe/Bonn",
        "calendar.timezone",
        "unknown time zone 'Europe/Bonn'",
        None,
    ),
    (
        "    country: DE",
        "    country: XX",
        "calendar.holidays.country",
        "unknown holiday country 'XX'",
        None,
    ),
    (
        "    country: DE",
        "    country: NO",
        "calendar.holidays.country",
        "put the value in quotes",
        None,
    ),
    (
        "    subdivision: BY",
        "    subdivision: ZZ",
        "calendar.holidays.subdivision",
        "unknown subdivision 'ZZ'",
        None,
    ),
    (
        "    categories: [public, catholic]",
        "    categories: [public, katholisch]",
        "calendar.holidays.categories[1]",
        "unknown holiday category 'katholisch'",
        None,
    ),
    (
        "    categories: [public, catholic]",
        "    categories: public",
        "calendar.holidays.categories",
        "expected a list",
        None,
    ),
    (
        '  closure_days: ["12-24", "12-31"]',
        '  closure_days: ["12-24", "13-31"]',
        "calendar.closure_days[1]",
        "invalid closure day",
        None,
    ),
    (
        "    closure_days: []\n",
        '    closure_days: ["12-24"]\n',
        "teams[0].closure_days[0]",
        '"YYYY-MM-DD"',
        None,
    ),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)
