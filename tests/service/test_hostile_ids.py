"""Ids as long as a platform allows are served; longer ones are dropped the same way on
every store. Repro (issue 14): on PostgreSQL a 300-character user id made the turn raise
(`value too long for type character varying(255)`) and even the apology failed; exactly 255
characters got the internal-error apology; SQLite accepted both.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound
from storage.models import AuditLogRow, InboundEventRow, OutboxRow
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def count(hotline: Harness, model: type) -> int:
    async with hotline.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_ids_of_255_characters_are_served(hotline: Harness) -> None:
    """As long as Matrix allows (user and room ids up to 255 bytes)."""
    user, room = "@" + "u" * 254, "!" + "r" * 254

    async def say(text: str, event: str) -> str:
        inbound = Inbound("local", room, user, event, text=text, display_name="n" * 255)
        assert await hotline.engine.handle(inbound)
        return texts(await hotline.dm(user))

    answer = await say("Hallo", "e1")
    assert "Guten Tag" in answer and "schiefgelaufen" not in answer, answer
    assert "Guten Tag" not in await say("/meine", "e2")  # the dialog goes on


@pytest.mark.parametrize("field", ["user_id", "conversation_id", "event_id", "display_name"])
async def test_longer_ids_are_dropped_without_an_error(hotline: Harness, field: str) -> None:
    values = {
        "platform": "local",
        "conversation_id": "user:x",
        "user_id": "x",
        "event_id": "ev-long",
        "text": "Hallo",
        "is_direct": True,
        field: "y" * 300,
    }
    inbound = Inbound(**values)  # type: ignore[arg-type]
    handled = await hotline.engine.handle(inbound)
    if field == "display_name":  # a name is shortened, never a reason to drop the message
        assert handled and await count(hotline, OutboxRow) >= 1
        return
    assert handled is False
    assert await count(hotline, OutboxRow) == 0
    assert await count(hotline, InboundEventRow) == 0
    assert await count(hotline, AuditLogRow) == 0
