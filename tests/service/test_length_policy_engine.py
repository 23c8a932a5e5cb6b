"""Every inbound field at its limit and one past it (`bot.kernel.limits`), on SQLite and
PostgreSQL: never an exception; an answer, or the documented silent drop of an event whose
ids no platform gives. Afterwards every stored string fits its column, which SQLite would
not enforce by itself. (The Inbound has no attachment fields: files are not taken.)
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import storage.models  # noqa: F401  (registers every table)
from bot.config.model import OrgConfig
from bot.kernel import limits
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound
from storage.base import Base
from storage.models import AuditLogRow, InboundEventRow, OutboxRow, TicketRow, UserProfileRow
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
FIELDS = [
    "user_id",
    "conversation_id",
    "event_id",
    "channel_id",
    "display_name",
    "locale",
    "action_id",
    "text",
]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


def field_limit(field: str, config: OrgConfig) -> int:
    return config.dialogs.max_message_length if field == "text" else limits.limit(field)


def inbound_with(field: str, length: int) -> Inbound:
    """A requester's direct message (a channel's, for channel_id) with `field` that long."""
    base = Inbound("local", "user:req", "req", "ev-limit", text="Hallo", display_name="Req")
    if field == "channel_id":
        channel = "c" * length
        return replace(  # a command: other channel talk is not for the bot
            base, conversation_id=channel, channel_id=channel, is_direct=False, text="/hilfe"
        )
    value = {
        "locale": "en-" + "x" * (length - 3),
        "action_id": "topic:" + "x" * (length - len("topic:")),
        "text": "x" * length,
    }.get(field, "y" * length)
    changed = replace(base, **{field: value})
    return replace(changed, text="") if field == "action_id" else changed


async def count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def assert_every_string_fits(sessions: Sessions) -> None:
    """The longest stored value of every String(n) column is at most n."""
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String) or isinstance(column.type, Text):
                    continue
                longest = await session.scalar(select(func.max(func.length(column))))
                assert (longest or 0) <= (column.type.length or 0), f"{table.name}.{column.name}"


@pytest.mark.parametrize("over", [0, 1], ids=["at_limit", "over_limit"])
@pytest.mark.parametrize("field", FIELDS)
async def test_inbound_field_at_and_over_its_limit(
    hotline: Harness, config: OrgConfig, sessions: Sessions, field: str, over: int
) -> None:
    length = field_limit(field, config) + over
    inbound = inbound_with(field, length)
    handled = await hotline.engine.handle(inbound)
    dropped = over and limits.POLICY[field].too_long is limits.TooLong.DROP
    if dropped:  # not a platform's event: nothing stored, nobody to answer
        assert handled is False
        for model in (OutboxRow, InboundEventRow, AuditLogRow):
            assert await count(sessions, model) == 0, model
        return
    assert handled is True
    if field == "channel_id":
        answer = texts(await hotline.channel(inbound.channel_id or ""))
    else:
        answer = texts(await hotline.dm(inbound.user_id))
    assert answer, "no answer"
    assert "schiefgelaufen" not in answer and "went wrong" not in answer, answer
    if field == "text" and over:
        assert str(config.dialogs.max_message_length) in answer  # the polite refusal
    await assert_every_string_fits(sessions)


async def test_a_whole_request_with_every_value_at_its_longest(
    hotline: Harness, sessions: Sessions
) -> None:
    """The longest user id the local chat has, a name and a reference past their limits:
    the ticket is filed with the name and the reference cut to fit."""
    user = "u" * limits.limit("local_user_id")
    hotline.names[user] = "N" * (limits.limit("display_name") + 50)
    reference = "AZ-" + "1" * limits.limit("reference")
    ticket_id = await hotline.file_request(user, topic="haushalt", reference=reference)
    ticket = await hotline.ticket(ticket_id)
    assert ticket.requester_id == user
    assert ticket.requester_name == "N" * limits.limit("display_name")
    assert ticket.reference == reference[: limits.limit("reference")]
    async with sessions() as session:
        profile = await session.get(UserProfileRow, ("local", user))
        assert profile is not None and profile.locale in ("de", "en", "auto")
    assert await count(sessions, TicketRow) == 1
    await assert_every_string_fits(sessions)
