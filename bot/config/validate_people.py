"""Validate a person's own working hours: the text form or the structured form.

`hours: "Mo-Do 08:00-12:30"` (the /arbeitszeit syntax, bot/config/weekly_hours.py) or
`hours: {monday: ["08:00-12:30"], ...}` (the form of the calendar's office hours). Hours
that never meet the office hours would hold that person's pings forever, so they are an
error with the person's key path, not a surprise in production.
"""

from __future__ import annotations

from bot.config.model import CalendarConfig, OfficeInterval, Team
from bot.config.validate_base import Checker
from bot.config.validate_calendar import weekly_intervals
from bot.config.weekly_hours import HoursSyntaxError, WeeklyHours, describe, parse
from bot.config.yaml_lines import KeyPath

EXAMPLE = '"Mo-Do 08:00-12:30" or "Mo,Mi 8-12, Fr 8-10"'


def check_hours(ck: Checker, raw: object, path: KeyPath) -> WeeklyHours | None:
    """A person's hours from either form; None (with an issue) when invalid."""
    if isinstance(raw, str):
        try:
            return parse(raw)
        except HoursSyntaxError as error:
            ck.report(path, f"invalid working hours {raw!r}: {error}; expected e.g. {EXAMPLE}")
            return None
    if isinstance(raw, dict):
        return weekly_intervals(ck, raw, path)
    ck.expect(raw, path, f"working hours like {EXAMPLE}, or a mapping of weekday -> intervals")
    return None


def check_hours_meet_office(
    ck: Checker, teams: tuple[Team, ...], calendar: CalendarConfig, path: KeyPath
) -> None:
    """Every person's hours overlap the office hours on at least one weekday."""
    for team_index, team in enumerate(teams):
        for member_index, person in enumerate(team.members):
            if person.hours is None or _meets(person.hours, calendar):
                continue
            ck.report(
                (*path, team_index, "members", member_index, "hours"),
                f"the working hours of '{person.id}' ({describe(person.hours)}) never meet "
                "the office hours, so nobody could ever reach them; "
                "make them overlap the calendar's office_hours",
            )


def _meets(hours: WeeklyHours, calendar: CalendarConfig) -> bool:
    return any(
        _overlaps(mine, office)
        for day, intervals in hours.items()
        for mine in intervals
        for office in calendar.office_hours.get(day, ())
    )


def _overlaps(a: OfficeInterval, b: OfficeInterval) -> bool:
    return a.start < b.end and b.start < a.end
