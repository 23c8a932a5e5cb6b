"""A staff member listed on several platforms reads about the ticket they work on where they
work on it: the platform of their last action on that ticket (Teams, say), not on every
platform they are known on; so do the deadline reminders and the note that their claim ran
out. Someone who never acted on the ticket hears on every one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Target
from bot.service.notify import person_targets
from storage.models import OutboxRow
from tests.conftest import berlin
from tests.harness import Harness
from tests.service.sweep_support import sweep_at

REQUESTER = "schule.sonne"
AGENT = "hh.schneider"
ON_TEAMS = "609502dc-333f-4233-986f-290ef3a893d3"  # the sample's ids of Martin Schneider
ON_MATRIX = "@martin.schneider:stadt.example"
TEAMS_CHANNEL = "19:bf08eb22d9bbba4a5e6643354606ffd9@thread.tacv2"  # Budget / Haushalt's
MATRIX_ROOM = "#hotline-haushalt:stadt.example"


def everywhere(config: OrgConfig) -> OrgConfig:
    """The sample with local chat, Matrix and Teams all served."""
    platforms = {name: replace(p, enabled=True) for name, p in config.platforms.items()}
    return replace(config, platforms=platforms)


@pytest.fixture
def hotline(
    config: OrgConfig, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> Harness:
    return Harness(everywhere(config), sessions, clock)


async def _agent_dms(hotline: Harness, contains: str) -> list[tuple[str, str]]:
    """(platform, address) of every DM to Martin Schneider whose text has `contains`."""
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    addresses = {AGENT, ON_TEAMS, ON_MATRIX}
    return [
        (row.platform, row.target_address)
        for row in rows
        if row.target_kind == "user"
        and row.target_address in addresses
        and contains in row.payload["text"]
    ]


async def test_the_agent_hears_where_he_last_worked_on_the_ticket(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    teams = {"channel": TEAMS_CHANNEL, "platform": "teams"}
    await hotline.say(ON_TEAMS, f"/claim {number}", **teams)
    await hotline.say(ON_TEAMS, f"/ask {number} Für welche Kostenstelle?", **teams)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    assert await _agent_dms(hotline, "Kostenstelle 4711") == [("teams", ON_TEAMS)]

    # He goes on in Matrix: what the requester adds now follows him there.
    await hotline.say(
        ON_MATRIX, f"/note {number} Rückruf morgen", channel=MATRIX_ROOM, platform="matrix"
    )
    await hotline.say(REQUESTER, "Und die Rechnung liegt bei.")
    assert await _agent_dms(hotline, "Und die Rechnung liegt bei.") == [("matrix", ON_MATRIX)]
    events = [(e.action, e.actor_platform) for e in await hotline.events(number)]
    assert events[1:] == [
        ("claim", "teams"),
        ("ask", "teams"),
        ("customer_reply", "local"),
        ("note", "matrix"),
        ("customer_info", "local"),
    ]


async def test_reminders_and_the_lapsed_claim_reach_him_where_he_claimed(
    hotline: Harness, clock: FrozenClock
) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")  # Mon 30 Nov 09:00
    clock.set(berlin(2026, 11, 30, 9, 30))
    await hotline.say(ON_TEAMS, f"/claim {number}", channel=TEAMS_CHANNEL, platform="teams")
    sweeper = Sweeper(hotline.config, hotline.sessions, clock)
    # 2 office hours after the claim: the reminder; 4 without activity: the claim lapses.
    assert len(await sweep_at(sweeper, clock, berlin(2026, 11, 30, 11, 30))) == 1
    assert await _agent_dms(hotline, f"Nr. {number} (") == [("teams", ON_TEAMS)]
    await sweep_at(sweeper, clock, berlin(2026, 11, 30, 14, 30))
    assert (await hotline.ticket(number)).assignee is None
    assert await _agent_dms(hotline, "") == [("teams", ON_TEAMS)] * 2  # reminder, lapse


def test_without_a_platform_of_his_own_he_hears_on_every_one(config: OrgConfig) -> None:
    served = everywhere(config)
    person = served.person(AGENT)
    assert person is not None
    every = {
        Target("local", "user", AGENT),
        Target("matrix", "user", ON_MATRIX),
        Target("teams", "user", ON_TEAMS),
    }
    assert set(person_targets(served, person)) == every
    assert person_targets(served, person, prefer="teams") == [Target("teams", "user", ON_TEAMS)]
    # Not known there, or the platform is not served: every platform he is known on.
    assert set(person_targets(served, person, prefer="slack")) == every
    matrix_off = replace(
        served,
        platforms={
            **served.platforms,
            "matrix": replace(served.platforms["matrix"], enabled=False),
        },
    )
    everywhere_served = every - {Target("matrix", "user", ON_MATRIX)}
    assert set(person_targets(matrix_off, person, prefer="matrix")) == everywhere_served
