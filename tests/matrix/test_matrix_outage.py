"""Matrix while the database is away, end to end against Synapse: messages sent in that time
are not skipped (the sync token does not move past events that could not be stored) and are
answered, in order and each once, as soon as the database is back.

The bot runs on a PostgreSQL server of the module's own, stopped and started for real."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import select

from storage.models import InboundEventRow
from tests.matrix.bot_fixture import eventually, is_notice_from, room_history
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.world import wait_for_outbox
from tests.private_postgres import PrivatePostgres, fresh_database

HIDDEN = "kann ich Ihnen nicht zeigen"


async def test_messages_sent_while_the_database_is_away_are_answered_in_order(
    synapse: SynapseServer,
    worlds: WorldFactory,
    private_pg: PrivatePostgres,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await worlds(synapse, database_url=await fresh_database(private_pg))
    requester, dm = await world.requester("schule")
    await requester.say(dm, "Hallo")
    await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    await wait_for_outbox(world.bot, within=30)

    caplog.set_level(logging.WARNING, logger="adapters.matrix.sync")
    private_pg.stop()
    stopped = time.monotonic()
    numbers = list(range(201, 211))
    sent = [await requester.say(dm, f"/status {n}") for n in numbers]

    async def refused_thrice() -> bool:  # the same events, not stored, fetched again
        return sum("database unavailable" in r.getMessage() for r in caplog.records) >= 3

    await eventually(refused_thrice, within=30, interval=0.1, what="syncs refused by the store")
    private_pg.start()
    outage = time.monotonic() - stopped

    for n in numbers:
        await requester.expect(dm, f"Nr. {n} {HIDDEN}", within=60)
    await wait_for_outbox(world.bot, within=30)
    assert world.bot.app is not None
    async with world.bot.app.sessions() as session:
        seen = set((await session.scalars(select(InboundEventRow.event_id))).all())
    assert set(sent) <= seen
    history = await room_history(requester.client, dm)
    bodies = [e.body for e in history if is_notice_from(e, world.bot_id)]
    answers = [body.split(":")[0] for body in bodies if HIDDEN in body]
    assert answers == [f"Nr. {n} {HIDDEN}" for n in numbers], f"outage {outage:.1f} s"
    assert not any("interner Fehler" in body for body in bodies)
