"""Validate standing deputies (Stellvertretung): who stands in for a lead or a person.

A deputy is named by person id on a team (for the team's leads) or on a member (for that
person). It must be a person some team lists, and nobody stands in for themselves: an
absence would then ask the very person who is away. Checked after all teams are read,
because a deputy may belong to another team.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.config.validate_base import Checker, known
from bot.config.yaml_lines import KeyPath


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
