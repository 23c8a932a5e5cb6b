"""The Matrix adapter's fault handling against a real Synapse: an encrypted message whose key
comes late (or never), the first post in a DM the bot has just opened (and one seen half
created), a requester who left their DM, a homeserver that is down when the bot starts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import nio
import pytest
from nio.crypto.sessions import OutboundGroupSession

from bot.delivery import DeliveryError
from bot.kernel.notices import Notice, Target
from tests.matrix.bot_fixture import Chat, eventually, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.world import World, wait_for_outbox

PICKLE_KEY = "test-only"


async def send_without_key(chat: Chat, room_id: str, body: str) -> OutboundGroupSession:
    """Send an encrypted m.text whose room key nobody got (as when the to-device message
    is late); return a copy of the session as it was before, to share the key later."""
    client = chat.client
    assert client.olm is not None
    if client.should_query_keys:
        await client.keys_query()
    members = await client.joined_members(room_id)  # nio encrypts only with synced members
    assert isinstance(members, nio.JoinedMembersResponse), members
    client.olm.create_outbound_group_session(room_id)
    session = client.olm.outbound_group_sessions[room_id]
    before = OutboundGroupSession.from_pickle(session.pickle(PICKLE_KEY), PICKLE_KEY)
    session.mark_as_shared()  # nio encrypts only with a shared session: pretend it is
    event_type, encrypted = client.encrypt(
        room_id, "m.room.message", {"msgtype": "m.text", "body": body}
    )
    method, path, data = nio.Api.room_send(
        client.access_token, room_id, event_type, encrypted, str(uuid.uuid4())
    )
    sent = await client._send(nio.RoomSendResponse, method, path, data, (room_id,))
    assert isinstance(sent, nio.RoomSendResponse), sent
    return before


async def waiting_for_keys(world: World) -> int:
    loop = world.bot.adapter.sync_loop
    assert loop is not None
    return len(loop.undecrypted)


async def test_a_message_whose_key_comes_late_is_answered(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, encrypted_dms=True)
    requester, dm = await world.requester("schule", encrypted=True, wait=True)
    before = await send_without_key(requester, dm, "Hallo")

    async def kept() -> bool:
        return await waiting_for_keys(world) == 1

    await eventually(kept, within=20, what="the unreadable message is kept")
    client = requester.client
    assert client.olm is not None
    client.olm.outbound_group_sessions[dm] = before  # the key as of the first message
    shared = await client.share_group_session(dm, ignore_unverified_devices=True)
    assert isinstance(shared, nio.ShareGroupSessionResponse), shared
    await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?", within=30)
    assert await waiting_for_keys(world) == 0


async def test_a_message_whose_key_never_comes_is_answered_with_a_request_to_resend(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, encrypted_dms=True)
    requester, dm = await world.requester("schule", encrypted=True, wait=True)
    loop = world.bot.adapter.sync_loop
    assert loop is not None
    loop.undecrypted.give_up_after = timedelta(seconds=2)  # 10 minutes in production
    await send_without_key(requester, dm, "Hallo")

    async def kept() -> bool:  # before: nothing waiting would also read as "given up"
        return await waiting_for_keys(world) == 1

    await eventually(kept, within=20, what="the unreadable message is kept")

    async def given_up() -> bool:
        # the sync long-polls: something in a room of the bot makes it look again
        await world.agent.say(world.team_rooms["haushalt"], "Guten Morgen")
        return await waiting_for_keys(world) == 0 and await world.bot.pending_outbox() == 0

    await eventually(given_up, within=40, interval=2.0, what="the message is given up")
    answer = await requester.expect(dm, "konnte ich nicht lesen", within=30)
    assert "Bitte senden Sie sie noch einmal" in answer.body


async def test_the_first_post_in_a_dm_the_bot_opens_needs_no_retry(world: World) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    await agent.say(room, f"/claim {number}")
    await agent.expect(room, f"Sie haben Nr. {number} übernommen")
    await agent.say(room, f"/ask {number} Welche Schule genau?")
    await requester.expect(dm, "Welche Schule genau?")
    await requester.say(dm, "Die Grundschule am Sonnenweg")  # forwarded to the agent's new DM
    await agent.sync_until(lambda: bool(agent.client.invited_rooms))
    await wait_for_outbox(world.bot, within=30)
    rows = await world.bot.outbox_rows(target_kind="user", target_address=agent.user_id)
    assert rows and [(r.status, r.attempts) for r in rows] == [("delivered", 0)] * len(rows)


async def test_a_dm_seen_half_created_is_not_taken_for_one_the_user_left(world: World) -> None:
    """The bot's sync can arrive while Synapse still creates a DM the bot opened: the bot
    has joined, the invite is not there yet. That room must not read as one the user left
    (the notice would wait an hour); a declined invite must."""
    adapter, agent = world.bot.adapter, world.agent
    assert adapter.rooms is not None and adapter.client is not None
    room_id = await adapter.rooms.new_dm(agent.user_id)

    async def synced() -> bool:
        room = adapter.client.rooms.get(room_id) if adapter.client else None
        return room is not None and agent.user_id in room.invited_users

    await eventually(synced, within=20, what="the bot syncs the DM it opened")
    adapter.client.rooms[room_id].remove_member(agent.user_id)  # the view before the invite
    assert not await adapter.rooms.user_left(room_id, agent.user_id)

    await agent.sync_until(lambda: room_id in agent.client.invited_rooms)
    declined = await agent.client.room_leave(room_id)
    assert isinstance(declined, nio.RoomLeaveResponse), declined

    async def left() -> bool:
        assert adapter.rooms is not None
        return await adapter.rooms.user_left(room_id, agent.user_id)

    await eventually(left, within=20, what="the declined invite reads as left")


async def test_a_post_waits_until_the_recipient_shows_in_an_encrypted_dm(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    """nio encrypts only for the members it knows: posted into a DM seen half created (the
    invite not synced), the message would be unreadable to the person it is for. It fails
    with a retry instead, and is readable once the recipient shows."""
    world = await worlds(synapse, encrypted_dms=True)
    adapter, agent = world.bot.adapter, world.agent
    assert adapter.rooms is not None and adapter.client is not None
    room_id = await adapter.rooms.new_dm(agent.user_id)

    async def synced() -> bool:
        room = adapter.client.rooms.get(room_id) if adapter.client else None
        return room is not None and room.encrypted and agent.user_id in room.invited_users

    await eventually(synced, within=20, what="the bot syncs the encrypted DM it opened")
    adapter.client.rooms[room_id].remove_member(agent.user_id)  # the view before the invite
    target, notice = Target("matrix", "user", agent.user_id), Notice(text="Erste Nachricht")
    with pytest.raises(DeliveryError, match="not shown"):
        await adapter.send(target, notice, outbox_id=900001)

    await agent.sync_until(lambda: room_id in agent.client.invited_rooms)
    joined = await agent.client.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    await adapter.send(target, notice, outbox_id=900002)
    await agent.expect(room_id, "Erste Nachricht")

    # Joined, but missing from nio's view: its member list is fetched again after the wait.
    adapter.client.rooms[room_id].remove_member(agent.user_id)
    await adapter.send(target, Notice(text="Zweite Nachricht"), outbox_id=900003)
    await agent.expect(room_id, "Zweite Nachricht")


async def test_a_stored_dm_the_user_was_never_in_is_replaced_by_a_new_one(world: World) -> None:
    """The database names a DM for the user that they were never invited to (the invite
    was lost): after the wait it counts as refused and a new DM is opened, not retried
    for ever."""
    adapter, agent = world.bot.adapter, world.agent
    assert adapter.rooms is not None and adapter.client is not None
    created = await adapter.client.room_create(is_direct=True)
    assert isinstance(created, nio.RoomCreateResponse), created
    await adapter.rooms.remember_direct(agent.user_id, created.room_id)

    async def synced() -> bool:
        return adapter.client is not None and created.room_id in adapter.client.rooms

    await eventually(synced, within=20, what="the bot syncs the room")
    target = Target("matrix", "user", agent.user_id)
    await adapter.send(target, Notice(text="Guten Tag"), outbox_id=900011)
    await agent.sync_until(lambda: bool(agent.client.invited_rooms))
    [new_dm] = list(agent.client.invited_rooms)
    assert new_dm != created.room_id
    joined = await agent.client.join(new_dm)
    assert isinstance(joined, nio.JoinResponse), joined
    await agent.expect(new_dm, "Guten Tag")


async def test_a_requester_who_left_their_dm_is_written_to_in_a_new_one(world: World) -> None:
    requester, dm = await world.requester("schule", wait=True)
    number = ticket_number((await file_request(requester, dm)).body)
    left = await requester.client.room_leave(dm)
    assert isinstance(left, nio.RoomLeaveResponse), left

    async def bot_saw_it() -> bool:
        room = world.bot.adapter.client.rooms.get(dm) if world.bot.adapter.client else None
        return room is not None and requester.user_id not in room.users

    await eventually(bot_saw_it, within=20, what="the bot sees the requester leave")
    room, agent = world.team_rooms["haushalt"], world.agent
    await agent.say(room, f"/claim {number}")
    await requester.sync_until(lambda: bool(requester.client.invited_rooms), within=30)
    [new_dm] = list(requester.client.invited_rooms)
    assert new_dm != dm
    joined = await requester.client.join(new_dm)
    assert isinstance(joined, nio.JoinResponse), joined
    await requester.expect(new_dm, "bearbeitet jetzt Ihr Anliegen", within=30)


async def test_a_requester_who_declines_the_new_dm_too_is_not_invited_again(
    world: World,
) -> None:
    """Left their DM, then declined the one the bot opened in its place: the next notice
    fails for good (logged) instead of an invite every hour, until they write again."""
    requester, dm = await world.requester("schule", wait=True)
    number = ticket_number((await file_request(requester, dm)).body)
    left = await requester.client.room_leave(dm)
    assert isinstance(left, nio.RoomLeaveResponse), left
    room, agent = world.team_rooms["haushalt"], world.agent
    await agent.say(room, f"/claim {number}")
    await requester.sync_until(lambda: bool(requester.client.invited_rooms), within=30)
    [new_dm] = list(requester.client.invited_rooms)
    declined = await requester.client.room_leave(new_dm)
    assert isinstance(declined, nio.RoomLeaveResponse), declined
    # Synapse may not wake the bot's sync for a declined invite: the bot must not rely on
    # it (its view still shows the requester invited) and asks the homeserver instead.
    await agent.say(room, f"/ask {number} Welche Schule genau?")
    await agent.expect(room, f"Nr. {number}")

    async def given_up() -> bool:
        rows = await world.bot.outbox_rows(target_address=requester.user_id)
        return bool(rows) and rows[-1].status == "failed"

    await eventually(given_up, within=30, what="the question's notice is given up")
    [last] = (await world.bot.outbox_rows(target_address=requester.user_id))[-1:]
    assert "declined" in (last.last_error or "")
    await requester.sync(timeout_ms=0)
    assert set(requester.client.invited_rooms) <= {new_dm}, "no third invite"


async def test_a_bot_started_while_the_homeserver_is_down_serves_once_it_is_up(
    private_synapse: SynapseServer, worlds: WorldFactory
) -> None:
    server = private_synapse
    world = await worlds(server)
    requester, dm = await world.requester("schule", wait=True)
    await world.bot.stop()
    await server.stop_async()
    await world.bot.start()  # returns: the adapter keeps trying in the background
    assert world.bot.running and not world.bot.adapter._ready.is_set()
    await server.start_async()
    await requester.say(dm, "Hallo")
    await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?", within=90)
