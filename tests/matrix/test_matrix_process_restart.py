"""Restarts as they happen in production: ``hotline-bot run --matrix`` as a real process.

Every start is a NEW process on the same data dir and SQLite file. While the bot is
stopped (SIGTERM, a graceful exit), 5 users send 10 messages each; the next process is
SIGKILLed once it has stored them all and handled a few (not all), the one after
that in the middle of answering them; a fourth process finishes the work. Counted at the
end, from the rooms' history (nio) and the outbox table: every message answered exactly
once, nothing lost, nothing shown twice. The outbox rows a killed process had leased are
released in between as if their lease (5 minutes) had run out.

Also here, running from a config file: a team room given by the room id Synapse hands out
(room version 12: no server part), and cards with ``run --matrix`` on a config that disables
Matrix.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import nio
from sqlalchemy import select, update

from bot.config.loader import check_config
from storage.models import InboundEventRow, OutboxRow, TicketRow
from tests.matrix.bot_fixture import (
    Chat,
    create_room,
    eventually,
    is_edit,
    is_notice_from,
    room_history,
    ticket_number,
    wait_for_join,
)
from tests.matrix.bot_process import BotProcess, Database, write_config
from tests.matrix.conftest import ClientFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import OFFLINE_SCRIPT, file_request

USERS = 5
# The welcome when the DM is opened, greeting + group question, then 11 answers to the 10
# messages of the burst.
BEFORE = 3  # answers per user before the burst
ANSWERS_PER_USER = BEFORE + 11
BURST_ANSWERS = USERS * (ANSWERS_PER_USER - BEFORE)
EARLIER_EVENTS = 2  # inbox rows per user before the burst: the DM's join (welcome), "Hallo"


async def _requester(
    server: SynapseServer, make_client: ClientFactory, bot_id: str, n: int
) -> tuple[Chat, str]:
    """A fresh user with a DM (is_direct) the bot has joined."""
    chat = Chat(await make_client(await server.register(f"user{n}")), bot_id)
    await chat.sync(timeout_ms=0)
    dm = await create_room(chat.client, [bot_id], direct=True)
    await chat.sync_until(lambda: dm in chat.client.rooms)
    await wait_for_join(chat, dm, bot_id, within=60)
    return chat, dm


async def _until(
    bot: BotProcess, check: Callable[[], Awaitable[bool]], within: float, what: str
) -> None:
    """Poll `check` every 50 ms; fail with the bot's log if it dies or time runs out."""

    async def alive_and_done() -> bool:
        bot.check_alive()
        return await check()

    try:
        await eventually(alive_and_done, within=within, interval=0.05, what=what)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{bot.log_tail()}") from None


async def _expire_leases(db: Database) -> int:
    """Release the rows the killed process had leased, as if their 5-minute lease had run
    out (the new process would otherwise wait that long); return how many there were."""
    async with db.sessions() as session, session.begin():
        released = await session.execute(
            update(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.lease_until.is_not(None))
            .values(lease_until=None)
        )
    return int(released.rowcount)  # type: ignore[attr-defined]


def _in_order(bodies: list[str], expected: list[str]) -> bool:
    """Whether each expected text occurs in `bodies`, one after the other."""
    remaining = iter(bodies)
    return all(any(text in body for body in remaining) for text in expected)


@dataclass
class Stage:
    """A bot account, an agent with the team room (by alias) and the bot process, not yet
    started; `db` reads the process's SQLite file."""

    bot_id: str
    agent: Chat
    room: str
    bot: BotProcess
    db: Database


async def _stage(
    server: SynapseServer,
    make_client: ClientFactory,
    tmp_path: Path,
    *,
    matrix_enabled: bool,
    database_url: str | None = None,
) -> Stage:
    """Register bot and agent, create the haushalt room (alias), write the config, migrate
    (the SQLite file in the data dir unless `database_url` names another database)."""
    bot_user = await server.register("hotline")
    agent = Chat(await make_client(await server.register("agent")), bot_user.user_id)
    await agent.sync(timeout_ms=0)
    alias = f"hotline-haushalt-{uuid.uuid4().hex[:6]}"
    room = await create_room(agent.client, [bot_user.user_id], name="Hotline haushalt", alias=alias)
    config = write_config(  # by alias: check-config refuses Synapse's room ids (see below)
        tmp_path / "hotline.yaml",
        homeserver=server.base_url,
        bot_user_id=bot_user.user_id,
        team_rooms={"haushalt": f"#{alias}:{server.server_name}"},
        people={"hh.schneider": agent.user_id},
        matrix_enabled=matrix_enabled,
    )
    bot = BotProcess(config, tmp_path / "data", bot_user.access_token, database_url)
    await bot.upgrade()
    return Stage(bot_user.user_id, agent, room, bot, Database(bot.database_url))


async def test_a_new_process_answers_every_message_once_after_a_stop_and_a_kill(
    synapse: SynapseServer, matrix_client: ClientFactory, tmp_path: Path
) -> None:
    began = time.monotonic()
    stage = await _stage(synapse, matrix_client, tmp_path, matrix_enabled=True)
    bot, db, agent, room, bot_id = stage.bot, stage.db, stage.agent, stage.room, stage.bot_id
    figures: dict[str, float] = {}
    try:
        bot.start()  # process 1: a fresh database
        await wait_for_join(agent, room, bot_id, within=60)
        users = [await _requester(synapse, matrix_client, bot_id, n) for n in range(USERS)]
        addresses = {chat.user_id for chat, _ in users}
        for chat, dm in users:
            await chat.say(dm, "Hallo")
        for chat, dm in users:
            await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?", within=30)

        async def settled() -> bool:
            return not [r for r in await db.outbox() if r.status != "delivered"]

        await _until(bot, settled, 30, "greetings delivered")
        assert await bot.stop() == 0, bot.log_tail()

        # The bot is down: 5 users x 10 messages, interleaved.
        sent: dict[str, list[str]] = {chat.user_id: [] for chat, _ in users}
        for typed, _answer in OFFLINE_SCRIPT:
            for n, (chat, dm) in enumerate(users):
                sent[chat.user_id].append(await chat.say(dm, typed.format(n=n)))
        sent_ids = {event_id for ids in sent.values() for event_id in ids}
        assert len(sent_ids) == USERS * len(OFFLINE_SCRIPT) == 50

        started = time.monotonic()
        bot.start()  # process 2: catches up (stores all 50), dies while handling them

        async def handling() -> bool:
            stored = await db.stored(sent_ids) == len(sent_ids)
            return stored and await db.seen(sent_ids) >= 10

        await _until(bot, handling, 60, "the burst stored and being handled")
        bot.kill()
        figures["start to 1st kill (s)"] = time.monotonic() - started
        handled = await db.seen(sent_ids)
        figures["1st kill: handled"] = handled
        figures["1st kill: marked done"] = (
            sum(r.done for r in await db.inbox()) - EARLIER_EVENTS * USERS
        )
        figures["1st kill: answered"] = await db.delivered_to(addresses) - BEFORE * USERS
        assert handled < len(sent_ids), "the first kill must land before all are handled"
        figures["1st kill: leased rows"] = await _expire_leases(db)

        started = time.monotonic()
        bot.start()  # process 3: dies in the middle of answering

        async def partly_answered() -> bool:
            return await db.delivered_to(addresses) >= BEFORE * USERS + 5

        await _until(bot, partly_answered, 60, "the burst partly answered")
        bot.kill()
        answered = await db.delivered_to(addresses) - BEFORE * USERS
        figures["2nd kill: answered"] = answered
        figures["2nd kill: handled (marked)"] = (
            sum(r.done for r in await db.inbox()) - EARLIER_EVENTS * USERS
        )
        assert 5 <= answered < BURST_ANSWERS, "the second kill must land mid-burst"
        figures["2nd kill: leased rows"] = await _expire_leases(db)

        started = time.monotonic()
        bot.start()  # process 4: the same database, the rest of the work
        for chat, dm in users:
            for _typed, answer in OFFLINE_SCRIPT:
                await chat.expect(dm, answer, within=90)
        await _until(bot, settled, 60, "everything delivered")
        figures["restart to last answer (s)"] = time.monotonic() - started
        await asyncio.sleep(2.0)  # anything sent twice would arrive by now
        assert await bot.stop() == 0, bot.log_tail()

        async with db.sessions() as session:
            seen = set((await session.scalars(select(InboundEventRow.event_id))).all())
            tickets = list((await session.scalars(select(TicketRow))).all())
        assert sent_ids <= seen, "events lost"
        assert all(row.done for row in await db.inbox())
        assert sorted(t.requester_id for t in tickets) == sorted(addresses)

        for chat, dm in users:
            rows = await db.outbox(target_kind="user", target_address=chat.user_id)
            assert len(rows) == ANSWERS_PER_USER, [r.payload for r in rows]
            assert all(row.status == "delivered" for row in rows)
            history = await room_history(chat.client, dm)
            notices = [e for e in history if is_notice_from(e, bot_id)]
            assert not [e for e in notices if is_edit(e)]
            ids = [e.event_id for e in notices]
            assert len(ids) == len(set(ids)) == ANSWERS_PER_USER, "a notice shown twice or lost"
            assert sorted(ids) == sorted(str(r.message_ref) for r in rows)
            bodies = [n.body for n in notices]
            expected = ["Guten Tag", "Zu welcher Kundengruppe"] + [a for _, a in OFFLINE_SCRIPT]
            assert _in_order(bodies, expected), bodies
            assert sum("eingegangen" in b for b in bodies) == 1
            assert sum("auf Deutsch" in b for b in bodies) == 1
            reactions = [
                (e.reacts_to, e.key)
                for e in history
                if isinstance(e, nio.ReactionEvent) and e.sender == bot_id
            ]
            assert len(reactions) == len(set(reactions)), "a reaction added twice"

        cards = [
            e
            for e in await room_history(agent.client, room)
            if is_notice_from(e, bot_id) and not is_edit(e) and "Ticket Nr." in e.body
        ]
        assert sorted(ticket_number(c.body) for c in cards) == sorted(t.id for t in tickets)
    finally:
        bot.kill()
        await db.close()
        figures["whole test (s)"] = time.monotonic() - began
        print("process restart figures:", {k: round(v, 1) for k, v in figures.items()})


async def test_a_team_room_configured_by_the_room_id_synapse_gives_passes_check_config(
    synapse: SynapseServer, matrix_client: ClientFactory, tmp_path: Path
) -> None:
    """Synapse 1.163 creates rooms of version 12, whose ids have no server part
    ("!abc...", not "!abc:server"); the README says team rooms may be given by room id."""
    agent = await matrix_client(await synapse.register("agent"))
    room = await create_room(agent, [], name="Hotline haushalt")
    config = write_config(
        tmp_path / "hotline.yaml",
        homeserver=synapse.base_url,
        bot_user_id=f"@hotline:{synapse.server_name}",
        team_rooms={"haushalt": room},
        people={},
    )
    assert check_config(config) == []


async def test_run_with_the_matrix_flag_posts_cards_in_the_matrix_team_room(
    synapse: SynapseServer, matrix_client: ClientFactory, tmp_path: Path
) -> None:
    """`hotline-bot run --matrix` on a config with `platforms.matrix.enabled: false` (the
    flag's purpose): the requester is served, and so must be the team room."""
    stage = await _stage(synapse, matrix_client, tmp_path, matrix_enabled=False)
    try:
        stage.bot.start()
        try:  # this part works: only the card's absence may count as the expected failure
            await wait_for_join(stage.agent, stage.room, stage.bot_id, within=60)
            requester, dm = await _requester(synapse, matrix_client, stage.bot_id, 0)
            number = ticket_number((await file_request(requester, dm)).body)
        except AssertionError as error:
            raise RuntimeError(f"the requester was not served: {error}") from error
        await stage.agent.expect(stage.room, f"Ticket Nr. {number}", within=15)
    finally:
        stage.bot.kill()
        await stage.db.close()
