"""`allowed_homeservers` decides who is served, not only whose invites are accepted.

One Synapse has one server name, so a user "of another server" is simulated the way it
happens in production: the user opened a DM while their server was allowed, then the list
was narrowed (here to stadt.example, which excludes the test server) and the bot
restarted. Their DM stays; what they write there must not be served any more. (An invite
from such a user is declined already, which tests/unit covers.)
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.config.model import OrgConfig
from storage.models import InboundEventRow, InboxRow, TicketRow
from tests.matrix.bot_fixture import HotlineBot, eventually, react
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.world import wait_for_outbox

REFUSAL_DE = "Diese Hotline bedient nur Konten der freigegebenen Server"
REFUSAL_EN = "this hotline only serves accounts on the approved servers"
SECRET = "Mein Kontostand ist 4711 Euro im Minus"


def narrowed(config: OrgConfig, servers: tuple[str, ...]) -> OrgConfig:
    matrix = config.platforms["matrix"]
    settings = dict(matrix.settings) | {"allowed_homeservers": servers}
    platforms = dict(config.platforms) | {"matrix": replace(matrix, settings=settings)}
    return replace(config, platforms=platforms)


async def inbox_done(bot: HotlineBot, event_ids: set[str]) -> bool:
    assert bot.app is not None
    async with bot.app.sessions() as session:
        rows = (
            await session.scalars(select(InboxRow).where(InboxRow.event_id.in_(event_ids)))
        ).all()
    return len(rows) == len(event_ids) and all(row.done for row in rows)


async def test_a_user_of_a_server_no_longer_allowed_is_refused_once_and_not_served(
    synapse: SynapseServer, worlds: WorldFactory, caplog: pytest.LogCaptureFixture
) -> None:
    world = await worlds(synapse)
    chat, dm = await world.requester(wait=True)
    await chat.say(dm, "Hallo")
    await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    await wait_for_outbox(world.bot, within=20)
    served_before = len(chat.notices(dm))

    await world.bot.stop()
    world.bot.config = narrowed(world.bot.config, ("stadt.example",))
    caplog.set_level(logging.INFO, logger="adapters.matrix.foreign")
    await world.bot.start()

    first = await chat.say(dm, SECRET)
    refusal = await chat.expect(dm, REFUSAL_DE)
    assert REFUSAL_EN in refusal.body and synapse.server_name in refusal.body
    assert refusal.source["content"]["m.mentions"] == {}  # a plain notice pings nobody
    second = await chat.say(dm, "1")
    reaction = await react(chat.client, dm, refusal.event_id, "1️⃣")
    foreign = {first, second, reaction}
    await eventually(
        lambda: inbox_done(world.bot, foreign), within=20, what="foreign events handled"
    )
    await wait_for_outbox(world.bot, within=20)
    await chat.sync(timeout_ms=0)
    after = chat.notices(dm)[served_before:]
    assert [notice.body for notice in after] == [refusal.body]  # once, and nothing else

    assert world.bot.app is not None
    async with world.bot.app.sessions() as session:
        tickets = await session.scalar(select(func.count()).select_from(TicketRow))
        seen = await session.scalar(
            select(func.count())
            .select_from(InboundEventRow)
            .where(InboundEventRow.event_id.in_(foreign))
        )
        stored = (
            await session.scalars(select(InboxRow).where(InboxRow.event_id.in_(foreign)))
        ).all()
    assert tickets == 0 and seen == 0  # the engine never saw them
    assert {row.payload["kind"] for row in stored} == {"foreign"}
    assert all("4711" not in str(row.payload) for row in stored)
    refused = [r for r in caplog.records if r.name == "adapters.matrix.foreign"]
    assert len(refused) == 3 and all(r.levelno == logging.INFO for r in refused)
    assert all("4711" not in r.getMessage() and chat.user_id not in r.getMessage() for r in refused)
