"""Validate people's settings: their own working hours and their standing deputies.

Hours: `hours: "Mo-Do 08:00-12:30"` (the /arbeitszeit syntax, bot/config/weekly_hours.py)
or `hours: {monday: ["08:00-12:30"], ...}` (the form of the calendar's office hours). Hours
that never meet the office hours would hold that person's pings forever, so they are an
error with the person's key path, not a surprise in production.

Deputies (Stellvertretung): named by person id on a team (for the team's leads) or on a
member (for that person). A deputy must be a person some team lists, and nobody stands in
for themselves: an absence would then ask the very person who is away. Checked after all
teams are read, because a deputy may belong to another team.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.config.model import CalendarConfig, OfficeInterval, Team
from bot.config.validate_base import Checker, known
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


def deputy_of(ck: Checker, node: Mapping[str, object], path: KeyPath) -> str | None:
    """The `deputy` of a team or member node, if given and well-formed."""
    raw = node.get("deputy")
    if raw is None:
        return None
    return ck.ident(raw, (*path, "deputy"), "person id")


def check_deputies(
    ck: Checker, raw_teams: list[object], path: KeyPath, person_ids: Collection[str]
) -> None:
    """Every deputy names a known person other than the one(s) it stands in for."""
    for index, team in enumerate(raw_teams):
        if not isinstance(team, dict):
            continue
        team_path = (*path, index)
        leads = team.get("leads")
        lead_ids = (
            {lead for lead in leads if isinstance(lead, str)} if isinstance(leads, list) else set()
        )
        _check_one(ck, team.get("deputy"), (*team_path, "deputy"), person_ids, lead_ids)
        members = team.get("members")
        for number, member in enumerate(members if isinstance(members, list) else []):
            if isinstance(member, dict):
                own = {member["id"]} if isinstance(member.get("id"), str) else set()
                member_path = (*team_path, "members", number, "deputy")
                _check_one(ck, member.get("deputy"), member_path, person_ids, own)


def _check_one(
    ck: Checker,
    deputy: object,
    path: KeyPath,
    person_ids: Collection[str],
    stands_in_for: Collection[str],
) -> None:
    if not isinstance(deputy, str):
        return  # absent, or already reported by `deputy_of`
    if deputy not in person_ids:
        ck.report(path, f"unknown deputy '{deputy}'; known persons: {known(person_ids)}")
    elif deputy in stands_in_for:
        ck.report(path, f"'{deputy}' cannot stand in for themselves; name another person")
