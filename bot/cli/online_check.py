"""`check-config --online`: the config's platform setup checked against the platforms.

Matrix is asked (adapters/matrix/online_check.py). Microsoft's side of Teams is not
reachable from inside the city's network in every setup, so for Teams the forms are checked
that Azure would refuse: the app id and the tenant id are GUIDs, and the password is set.
"""

from __future__ import annotations

import os
import re

from adapters.matrix.online_check import Finding, check_matrix
from bot.config.model import OrgConfig

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


async def online_findings(config: OrgConfig) -> list[Finding]:
    """Every finding for the enabled platforms."""
    found: list[Finding] = []
    matrix = config.platforms.get("matrix")
    if matrix is not None and matrix.enabled:
        token_ref = matrix.secrets.get("access_token")
        token = token_ref.resolve(os.environ) if token_ref else None
        if token is None:
            found.append(Finding("platforms.matrix.access_token", False, "not set"))
        else:
            rooms = {
                f"teams[{index}].channels.matrix": team.channels["matrix"]
                for index, team in enumerate(config.teams)
                if "matrix" in team.channels
            }
            leads_room = matrix.settings.get("leads_room")
            if leads_room:
                rooms["platforms.matrix.leads_room"] = str(leads_room)
            people = {
                f"teams[{t}].members[{m}].ids.matrix": person.platform_ids["matrix"]
                for t, team in enumerate(config.teams)
                for m, person in enumerate(team.members)
                if "matrix" in person.platform_ids
            }
            found += await check_matrix(
                str(matrix.settings.get("homeserver", "")),
                token,
                str(matrix.settings.get("user_id", "")),
                rooms,
                people,
            )
    teams = config.platforms.get("teams")
    if teams is not None and teams.enabled:
        for key in ("app_id", "tenant_id"):
            ref = teams.secrets.get(key)
            value = ref.resolve(os.environ) if ref else teams.settings.get(key)
            if value is None:
                found.append(Finding(f"platforms.teams.{key}", False, "not set"))
            else:
                ok = bool(GUID.fullmatch(str(value)))
                detail = "a GUID" if ok else "not a GUID (Azure shows it as 8-4-4-4-12 hex)"
                found.append(Finding(f"platforms.teams.{key}", ok, detail))
        password = teams.secrets.get("app_password")
        if password is None or password.resolve(os.environ) is None:
            found.append(Finding("platforms.teams.app_password", False, "not set"))
    return found
