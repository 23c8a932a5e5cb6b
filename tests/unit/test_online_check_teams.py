"""`check-config --online` for Teams: the forms Azure would refuse (offline by design)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.cli.online_check import online_findings
from bot.config.model import OrgConfig

GOOD = "8f2c1a4e-1b2c-4d5e-9f00-0123456789ab"


async def test_teams_ids_must_be_guids_and_the_password_set(
    config: OrgConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    platforms = dict(config.platforms)
    platforms["teams"] = replace(platforms["teams"], enabled=True)
    teams_on = replace(config, platforms=platforms)
    monkeypatch.setenv("HOTLINE_TEAMS_APP_ID", GOOD)
    monkeypatch.setenv("HOTLINE_TEAMS_TENANT_ID", "stadt.example")
    monkeypatch.delenv("HOTLINE_TEAMS_APP_PASSWORD", raising=False)
    found = {f.item: (f.ok, f.detail) for f in await online_findings(teams_on)}
    assert found == {
        "platforms.teams.app_id": (True, "a GUID"),
        "platforms.teams.tenant_id": (False, "not a GUID (Azure shows it as 8-4-4-4-12 hex)"),
        "platforms.teams.app_password": (False, "not set"),
    }
    monkeypatch.setenv("HOTLINE_TEAMS_TENANT_ID", GOOD.upper())
    monkeypatch.setenv("HOTLINE_TEAMS_APP_PASSWORD", "s3cr3t")
    assert all(f.ok for f in await online_findings(teams_on))


async def test_nothing_to_ask_when_only_the_local_chat_runs(config: OrgConfig) -> None:
    assert await online_findings(config) == []
