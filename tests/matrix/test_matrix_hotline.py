"""The hotline on Matrix, end to end: the real bot (serve, outbox, inbox) against Synapse.

Users are nio clients synced by hand (tests/matrix/bot_fixture.py); the bot runs in a
background task of the test's event loop, with its own SQLite file and data dir.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

import aiohttp
import nio
import pytest
from sqlalchemy import select

from bot.kernel.notices import Inbound
from storage.models import InboundEventRow, InboxRow, TicketRow
from tests.matrix.bot_fixture import (
    Chat,
    content,
    expect,
    is_edit,
    is_notice_from,
    react,
    react_encrypted,
    room_history,
    ticket_number,
)
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.world import World, wait_for_outbox

DESCRIPTION = "Mittel für Schulbücher fehlen im Budget der Grundschule"


async def file_request(
    chat: Chat,
    dm: str,
    description: str = DESCRIPTION,
    *,
    greeted: bool = False,
    group: str | None = "1",
    topic: str | None = "haushalt",
) -> Any:
    """Walk the intake by typing (group 1 and topic haushalt unless chosen already, FAQ
    declined); return the confirmation notice."""
    if not greeted:
        await chat.say(dm, "Hallo")
        await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    steps = [] if group is None else [(group, "Worum geht es?")]
    steps += [] if topic is None else [(topic, "Hat Ihnen das geholfen?")]
    for typed, answer in (
        *steps,
        ("nein", "Bitte beschreiben Sie Ihr Anliegen"),
        (description, "Rechnungsnummer"),
        ("-", "Soll ich das so an Budget / Haushalt weitergeben?"),
        ("ja", "eingegangen"),
    ):
        await chat.say(dm, typed)
        reply = await chat.expect(dm, answer)
    return reply


async def claim_and_resolve(
    world: World, requester: Chat, dm: str, number: int, card: Any | None = None
) -> None:
    """The agent claims by reacting ✋ on the card, then resolves by command."""
    room = world.team_rooms["haushalt"]
    agent = world.agent
    card = card or await agent.expect(room, f"Ticket Nr. {number}")
    await agent.sync_until(lambda: _bot_reacted(world, agent, room, card.event_id, "✋"))
    await react(agent.client, room, card.event_id, "✋")
    edit = await agent.expect(room, "Übernommen von", edits=True)
    edited = content(edit)
    assert edited["m.relates_to"] == {"rel_type": "m.replace", "event_id": card.event_id}
    assert "Übernommen von Martin Schneider" in edited["m.new_content"]["body"]
    assert f"Ticket Nr. {number}" in edited["m.new_content"]["body"]
    await requester.expect(dm, "bearbeitet jetzt Ihr Anliegen")
    posts = [  # edited, not posted again (a second card would also be an event of its own)
        e.event_id
        for e in await room_history(agent.client, room)
        if is_notice_from(e, world.bot_id) and not is_edit(e) and f"Ticket Nr. {number}" in e.body
    ]
    assert posts == [card.event_id], "the claim posted a second card instead of editing"
    await agent.say(room, f"/resolve {number} Die Mittel sind freigegeben.")
    answer = await requester.expect(dm, "Die Mittel sind freigegeben.")
    assert f"Ihr Anliegen Nr. {number} ist erledigt" in answer.body


async def test_full_flow_in_a_plain_dm(world: World) -> None:
    requester, dm = await world.requester("schule")
    # The requester writes at once, before the bot has even accepted the invite.
    await requester.say(dm, "Hallo")
    await expect(requester, dm, "Zu welcher Kundengruppe gehören Sie?")
    confirmation = await file_request(requester, dm, greeted=True)
    assert "Antwort spätestens" in confirmation.body
    number = ticket_number(confirmation.body)

    room = world.team_rooms["haushalt"]
    card = await world.agent.expect(room, f"Ticket Nr. {number}")
    body, formatted = card.body, content(card)["formatted_body"]
    for text in (
        f"Ticket Nr. {number}",
        "Thema: Budget / Haushaltsmittel",
        "Kundengruppe: Dezentrale Einrichtungen F1–F3",
        "Antwort spätestens: ",
        "Übernehmen",  # the ✋ choice, no longer repeated as a "/claim N" fact
        DESCRIPTION,
    ):
        assert text in body
    assert f"Übernehmen: /claim {number}" not in body
    for text in ("Budget / Haushaltsmittel", "Antwort spätestens", "Übernehmen"):
        assert html.escape(text) in formatted
    assert content(card)["msgtype"] == "m.notice"

    await claim_and_resolve(world, requester, dm, number, card)
    assert not requester.client.rooms[dm].encrypted


async def test_full_flow_in_an_encrypted_dm(synapse: SynapseServer, worlds: WorldFactory) -> None:
    world = await worlds(synapse, encrypted_dms=True)
    requester, dm = await world.requester("schule", encrypted=True)
    assert requester.client.rooms[dm].encrypted
    hello = await requester.say(dm, "Hallo")  # before the bot joined, as Element would
    question = await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    assert question.decrypted
    # The bot pre-added 1️⃣ .. 8️⃣; the requester taps 1️⃣ (Element encrypts reactions).
    await requester.sync_until(lambda: _bot_reacted(world, requester, dm, question.event_id, "1️⃣"))
    await react_encrypted(requester.client, dm, question.event_id, "1️⃣")
    await requester.expect(dm, "Worum geht es?")
    # A restart in between: the new process must still read and write this room (the
    # device and its keys live in the data dir's matrix-store).
    await wait_for_outbox(world.bot, within=30)
    await world.bot.stop()
    await requester.say(dm, "haushalt")
    await world.bot.start()
    await requester.expect(dm, "Hat Ihnen das geholfen?", within=30)
    confirmation = await file_request(requester, dm, greeted=True, group=None, topic=None)
    number = ticket_number(confirmation.body)
    await claim_and_resolve(world, requester, dm, number)
    # Everything the bot said in the DM was encrypted, and the requester could read it.
    history = await room_history(requester.client, dm)
    from_bot = [e for e in history if e.sender == world.bot_id and not _is_state(e)]
    notices = [e for e in from_bot if isinstance(e, nio.RoomMessageNotice)]
    assert len(notices) >= 8 and all(n.decrypted for n in notices)
    assert not [e for e in from_bot if isinstance(e, nio.MegolmEvent)], "undecryptable"
    raw = await _raw_event(requester.client, dm, confirmation.event_id)
    assert raw["type"] == "m.room.encrypted" and "eingegangen" not in str(raw)
    raw = await _raw_event(requester.client, dm, hello)
    assert raw["type"] == "m.room.encrypted" and "Hallo" not in str(raw)


def _bot_reacted(world: World, chat: Chat, room_id: str, event_id: str, key: str) -> bool:
    return any(
        isinstance(e, nio.ReactionEvent)
        and e.sender == world.bot_id
        and e.reacts_to == event_id
        and e.key == key
        for e in chat.timeline[room_id]
    )


def _is_state(event: Any) -> bool:
    return "state_key" in event.source


async def _raw_event(client: Any, room_id: str, event_id: str) -> dict[str, Any]:
    path = f"/_matrix/client/v3/rooms/{room_id}/event/{event_id}"
    response = await client.send(
        "GET", path, headers={"Authorization": f"Bearer {client.access_token}"}
    )
    try:
        assert response.status == 200, response.status
        raw: dict[str, Any] = await response.json()
    finally:
        response.release()
    return raw


# Ten messages per user while the bot is down, and what each answer contains (in order).
OFFLINE_SCRIPT: tuple[tuple[str, str], ...] = (
    ("1", "Worum geht es?"),
    ("haushalt", "Hat Ihnen das geholfen?"),
    ("nein", "Bitte beschreiben Sie Ihr Anliegen"),
    ("Beleg {n} fehlt im Haushalt der Schule {n}", "Rechnungsnummer"),
    ("-", "Soll ich das so an Budget / Haushalt weitergeben?"),
    ("ja", "eingegangen"),
    ("/meine", "Ihre Anliegen"),
    ("/status", "Ihre Anliegen"),
    ("/hilfe", "So erreichen Sie die Hotline"),
    ("/sprache de", "auf Deutsch"),
)


async def test_restart_answers_everything_sent_while_down_exactly_once(world: World) -> None:
    users = [await world.requester(f"user{n}") for n in range(5)]
    for chat, dm in users:
        await chat.say(dm, "Hallo")
    for chat, dm in users:
        await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    # Mid-intake (everybody was just asked for the customer group), but with the outbox
    # delivered (a stop during a delivery: test_a_delivery_interrupted_by_a_stop_*).
    await wait_for_outbox(world.bot, within=30)
    await world.bot.stop()

    sent: dict[str, list[str]] = {chat.user_id: [] for chat, _ in users}
    for typed, _answer in OFFLINE_SCRIPT:  # interleaved: user 0, 1, ..., 4, then again
        for n, (chat, dm) in enumerate(users):
            sent[chat.user_id].append(await chat.say(dm, typed.format(n=n)))
    # A team member writes in the team room meanwhile: after the restart that room must
    # still count as a team room, not as the agent's DM.
    room = world.team_rooms["haushalt"]
    team_event = await world.agent.say(room, "/neu")

    await world.bot.start()  # a new app object on the same database and data dir
    for chat, dm in users:
        for _typed, answer in OFFLINE_SCRIPT:
            await chat.expect(dm, answer, within=60)
    refusal = await world.agent.expect(room, "direkt", within=30)
    assert "Guten Tag" not in refusal.body

    bot = world.bot
    await wait_for_outbox(bot, within=30)
    await asyncio.sleep(1.0)  # anything sent twice would arrive now
    assert bot.app is not None
    async with bot.app.sessions() as session:
        seen = set((await session.scalars(select(InboundEventRow.event_id))).all())
        inbox = (await session.scalars(select(InboxRow))).all()
        tickets = (await session.scalars(select(TicketRow))).all()
    expected_ids = {event_id for ids in sent.values() for event_id in ids} | {team_event}
    assert len(expected_ids) == 51
    assert expected_ids <= seen, "events lost"
    assert all(row.done for row in inbox)
    assert sorted(t.requester_id for t in tickets) == sorted(sent)

    for chat, dm in users:
        rows = await bot.outbox_rows(target_kind="user", target_address=chat.user_id)
        assert len(rows) == 1 + 2 + 11  # welcome, greeting + group question, 11 answers
        assert all(row.status == "delivered" for row in rows)
        history = await room_history(chat.client, dm)
        notices = [e for e in history if is_notice_from(e, world.bot_id) and not is_edit(e)]
        assert sorted(e.event_id for e in notices) == sorted(str(r.message_ref) for r in rows)
        bodies = [n.body for n in notices]
        assert sum("eingegangen" in b for b in bodies) == 1
        assert sum("auf Deutsch" in b for b in bodies) == 1


DOWN_SECONDS = 30.0
RECOVERY_DEADLINE = 90.0  # OutboxSender backoff 2, 4, 8, 16, 32 s (halved jitter) after 30 s down


async def test_handoff_while_the_homeserver_is_down_arrives_once(
    private_synapse: SynapseServer, worlds: WorldFactory
) -> None:
    server = private_synapse
    world = await worlds(server, teams=("haushalt", "ccc"), colleagues={"ccc.schulz": "srm"})
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    haushalt, ccc = world.team_rooms["haushalt"], world.team_rooms["ccc"]
    await world.agent.expect(haushalt, f"Ticket Nr. {number}")
    await wait_for_outbox(world.bot, within=30)

    await server.stop_async()
    # hh.schneider hands the ticket off from the local chat: the engine works without the
    # homeserver, the notices wait in the outbox (local is not even served by this app).
    app = world.bot.app
    assert app is not None and "local" not in app.adapters
    handled = await app.engine.handle(
        Inbound(
            platform="local",
            conversation_id="user:hh.schneider",
            user_id="hh.schneider",
            event_id="local-handoff-1",
            text=f"/handoff {number} ccc SRM-Bestellung betroffen",
        )
    )
    assert handled
    async with app.sessions() as session:
        ticket = await session.get(TicketRow, number)
    assert ticket is not None and ticket.team_id == "ccc"
    card_rows = await world.bot.outbox_rows(target_kind="channel", target_address=ccc)
    assert [r.status for r in card_rows] == ["pending"]
    await asyncio.sleep(DOWN_SECONDS)
    attempts = (await world.bot.outbox_rows(target_kind="channel", target_address=ccc))[0].attempts
    assert attempts >= 2, "the sender should have kept trying while the server was down"

    await server.start_async()
    await wait_for_outbox(world.bot, within=RECOVERY_DEADLINE)
    srm = world.colleagues["ccc.schulz"]
    card = await srm.expect(ccc, f"Ticket Nr. {number}", within=30)
    assert "SRM-Bestellung betroffen" in card.body
    await requester.expect(dm, "weitergegeben", within=30)

    # The sync loop is back too: the CCC colleague claims by command in the team room.
    await srm.say(ccc, f"/claim {number}")
    await srm.expect(ccc, "Übernommen von Thomas Schulz", edits=True, within=60)
    await requester.expect(dm, "Thomas Schulz (SRM-Kompetenzcenter) bearbeitet jetzt")

    await asyncio.sleep(2.0)  # settle: a duplicate would be here by now
    history = await room_history(srm.client, ccc)
    posts = [
        e
        for e in history
        if is_notice_from(e, world.bot_id) and not is_edit(e) and f"Ticket Nr. {number}" in e.body
    ]
    assert [p.event_id for p in posts] == [card.event_id], "the card must arrive exactly once"


INJECTION = "<script>alert(1)</script> <b>fett</b> **x**"


async def test_markup_in_a_request_is_shown_as_text(world: World) -> None:
    requester, dm = await world.requester("schule")
    await requester.say(dm, "Hallo")
    await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    for typed, answer in (
        ("1", "Worum geht es?"),
        ("haushalt", "Hat Ihnen das geholfen?"),
        ("nein", "Bitte beschreiben Sie Ihr Anliegen"),
        (INJECTION, "Rechnungsnummer"),
        ("-", "Soll ich das so an Budget / Haushalt weitergeben?"),
    ):
        await requester.say(dm, typed)
        summary = await requester.expect(dm, answer)
    _assert_shown_as_text(summary)  # the summary before sending repeats the description
    await requester.say(dm, "ja")
    number = ticket_number((await requester.expect(dm, "eingegangen")).body)
    card = await world.agent.expect(world.team_rooms["haushalt"], f"Ticket Nr. {number}")
    _assert_shown_as_text(card)


def _assert_shown_as_text(event: Any) -> None:
    body, formatted = event.body, content(event)["formatted_body"]
    assert INJECTION in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in formatted
    assert "&lt;b&gt;fett&lt;/b&gt;" in formatted
    for raw in ("<script", "</script>", "<b>", "<strong>x</strong>"):
        assert raw not in formatted, raw
    assert "**x**" in formatted  # the requester's asterisks stay asterisks


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_reply_to_a_question_reaches_the_agent_in_a_dm_the_bot_opens(
    synapse: SynapseServer, worlds: WorldFactory, encrypted: bool
) -> None:
    world = await worlds(synapse, encrypted_dms=encrypted)
    requester, dm = await world.requester("schule", encrypted=encrypted)
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    await agent.say(room, f"/claim {number}")
    await agent.expect(room, f"Sie haben Nr. {number} übernommen")
    await agent.say(room, f"/ask {number} Welche Schule genau?")
    await requester.expect(dm, f"Rückfrage zu Ihrem Anliegen Nr. {number}: Welche Schule genau?")
    await requester.say(dm, "Die Grundschule am Sonnenweg")

    # The agent never wrote to the bot: the bot opens a DM (invite, is_direct) to pass it on.
    await agent.sync_until(lambda: bool(agent.client.invited_rooms))
    [agent_dm] = list(agent.client.invited_rooms)
    invite = agent.client.invited_rooms[agent_dm]
    assert invite.inviter == world.bot_id
    joined = await agent.client.join(agent_dm)
    assert isinstance(joined, nio.JoinResponse), joined
    forwarded = await agent.expect(agent_dm, "Sonnenweg")
    assert f"Nr. {number}" in forwarded.body
    assert agent.client.rooms[agent_dm].encrypted is encrypted
    if encrypted:
        assert forwarded.decrypted
    # The invite itself says "direct" (Element files the room under People by it) ...
    invites = [
        e
        for e in await room_history(agent.client, agent_dm)
        if e.source.get("type") == "m.room.member"
        and e.source.get("state_key") == agent.user_id
        and content(e).get("membership") == "invite"
    ]
    assert [e.sender for e in invites] == [world.bot_id]
    assert content(invites[0]).get("is_direct") is True, content(invites[0])
    # ... and the bot lists the room as its DM with the agent in m.direct.
    direct = await _account_data(world, "m.direct")
    assert agent_dm in direct.get(agent.user_id, []), direct


async def _account_data(world: World, kind: str) -> dict[str, Any]:
    url = f"{world.server.base_url}/_matrix/client/v3/user/{world.bot_id}/account_data/{kind}"
    headers = {"Authorization": f"Bearer {world.bot_user.access_token}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        assert response.status == 200, response.status
        data: dict[str, Any] = await response.json()
        return data
