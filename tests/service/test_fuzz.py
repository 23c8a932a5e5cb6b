"""The fuzz as a check (issue 14): seeded messages and button payloads from requesters,
agents, leads and complaint managers, on SQLite and PostgreSQL, with 0 escaped exceptions,
0 unanswered messages and 0 internal-error apologies. The long run is
`python -m tests.fuzz --messages 5000 --store sqlite|postgres` (README, "Hostile input")."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from tests.conftest import world_day_start
from tests.fuzz.run import Fuzz

MESSAGES = 300


async def test_fuzzed_messages_are_all_answered_without_an_error(
    config: OrgConfig, sessions: async_sessionmaker[AsyncSession]
) -> None:
    clock = FrozenClock(world_day_start())
    figures = await Fuzz(config, sessions, clock, seed=14).run(MESSAGES)
    report = figures.report("this store")
    assert figures.messages == MESSAGES
    assert figures.notices >= MESSAGES // 2, report  # the run did reach the bot
    assert figures.kinds["button:valid"] and figures.kinds["button:forged"], report
    assert figures.clean, report
