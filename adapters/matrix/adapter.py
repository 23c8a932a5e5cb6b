"""The Matrix adapter on matrix-nio: login, sync loop, inbox worker and sending.

Outbound: each outbox row is sent with the transaction id "hotline-<outbox id>", so a
retried send is deduplicated by the homeserver. Cards (ticket posts) are edited in place
with m.replace, and redacted with their edits when taken back (retract.py); pictures are
uploaded first (adapters/matrix/media.py; a retry uploads again, and the homeserver keeps
an unused copy). Inbound: the sync loop stores events in the inbox;
a worker (inbox_worker.py) hands them to the engine in order, which deduplicates them by
event id; an engine failure propagates, so the worker retries the event from the table, up
to inbox_worker.MAX_ATTEMPTS times; then the event is given up and its sender gets the
engine's apology through the outbox (failed_events.py), so one bad event cannot hold up
everybody's.

Start: a homeserver that is down (or answers errors) at start does not end the service: the
first attempt is made at once, later ones in the background with backoff, logged as errors.
A setup error (bad token, wrong user) ends the start: at once from the first attempt, or
logged as critical from a background attempt, after which the adapter stays not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
from nio import AsyncClient, LocalProtocolError, RoomSendResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import failed_events, foreign, media, merge, own_reactions, render, retract
from adapters.matrix.errors import NOT_IN_ROOM, MatrixDeliveryError, backoff_delay, delivery_error
from adapters.matrix.gaps import BackfillGaps
from adapters.matrix.inbox_worker import InboxWorker
from adapters.matrix.login import login
from adapters.matrix.parse import FOREIGN, PLATFORM, reaction_inbound
from adapters.matrix.reactions import ReactionTasks
from adapters.matrix.rooms import RoomDirectory
from adapters.matrix.settings import MatrixSettings, MatrixSetupError
from adapters.matrix.sync import SyncLoop
from adapters.matrix.threads import thread_relation
from bot.config.model import OrgConfig
from bot.delivery import DeliveryError, InboundHandler
from bot.kernel import actions
from bot.kernel.clock import Clock
from bot.kernel.notices import Inbound, Notice, Target, inbound_from_json, ticket_of_card
from storage.repositories import sent_messages

log = logging.getLogger(__name__)
READY_WAIT_SECONDS = 30.0
START_RETRY_MAX_SECONDS = 60.0  # between start attempts while the homeserver is away
ROOM_WAIT_SECONDS = 10.0  # a room just created or joined appears with the next sync
CHANNEL_RETRY_SECONDS = 300.0  # a team room that refuses the bot: not invited (yet)


class MatrixAdapter:
    """Serves the hotline on a Matrix homeserver."""

    platform = PLATFORM

    def __init__(
        self,
        settings: MatrixSettings,
        config: OrgConfig,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.client: AsyncClient | None = None
        self.rooms: RoomDirectory | None = None
        self.sync_loop: SyncLoop | None = None  # set by a successful start
        self._tasks: list[asyncio.Task[None]] = []
        self.inbox = InboxWorker(sessions, PLATFORM, self._handle_stored, self._gave_up)
        self._on_inbound: InboundHandler | None = None
        self.reactions = ReactionTasks(settings.reaction_delay)
        self.own_reactions = own_reactions.OwnReactions(
            sessions, self._room_send, lambda: self.client
        )
        self._ready = asyncio.Event()  # set once the first sync is in: nio knows the rooms
        self._synced = asyncio.Event()  # pulsed after every sync (see _room_known)
        self.setup_error: MatrixSetupError | None = None  # ended a background start
        self.backfill_gaps = BackfillGaps()  # kept across start attempts (see sync.py)

    async def start(self, on_inbound: InboundHandler) -> None:
        """Log in, catch up with the homeserver, start the loops. If the homeserver cannot
        be reached (or answers errors), keep trying in the background with backoff; a bad
        token or user id (MatrixSetupError) ends the start at once."""
        self._on_inbound = on_inbound
        try:
            sync = await self._connect()
        except MatrixSetupError:
            raise
        except Exception as error:
            log.error(
                "Matrix homeserver %s not usable at start (%r); retrying in the background",
                self.settings.homeserver,
                error,
            )
            self._tasks = [asyncio.create_task(self._start_later(error), name="matrix-start")]
            return
        self._run(sync)

    @property
    def ready(self) -> bool:
        """Whether the adapter serves Matrix: started, and no setup error ended the start."""
        return self._ready.is_set() and self.setup_error is None

    def health(self) -> str | None:
        """Why Matrix is not served right now (None: syncing), for /readyz."""
        if self.setup_error is not None:
            return f"setup error: {type(self.setup_error).__name__}"
        if not self._ready.is_set() or self.sync_loop is None:
            return "not connected yet (the first sync has not come in)"
        return self.sync_loop.failing

    async def _start_later(self, error: BaseException) -> None:
        """Retry the start with backoff until it works (or the adapter is stopped). A setup
        error (the token revoked, another user's token) ends the retries: asking again would
        never help; it is logged as critical once and the adapter stays not ready."""
        delay = 1.0
        while True:
            wait = backoff_delay(delay, error)
            await asyncio.sleep(wait)
            delay = min(delay * 2, START_RETRY_MAX_SECONDS)
            try:
                sync = await self._connect()
            except asyncio.CancelledError:
                raise
            except MatrixSetupError as failure:
                self.setup_error = failure
                log.critical(
                    "Matrix cannot start: %s. Not retrying; fix the setup and restart", failure
                )
                return
            except Exception as failure:
                error = failure
                log.error("Matrix start failed again (%r); retrying", failure)
                continue
            log.warning("Matrix homeserver %s reachable: started", self.settings.homeserver)
            self._run(sync)
            return

    def _run(self, sync: SyncLoop) -> None:
        self._tasks += [
            asyncio.create_task(sync.run(), name="matrix-sync"),
            asyncio.create_task(self.inbox.run(), name="matrix-inbox"),
        ]
        self._ready.set()

    async def _connect(self) -> SyncLoop:
        """One start attempt: login, team rooms, the catch-up sync; cleans up on failure."""
        client = await login(self.settings, self.sessions, self.clock)
        try:
            sync = await self._catch_up(client)
        except BaseException:
            self.client = self.rooms = None
            await client.close()
            raise
        return sync

    async def _catch_up(self, client: AsyncClient) -> SyncLoop:
        self.client = client
        channels = {
            team.channels[PLATFORM]: team.channels[PLATFORM]
            for team in self.config.teams
            if PLATFORM in team.channels
        }
        self.rooms = RoomDirectory(
            client,
            self.sessions,
            self.clock,
            channels=channels,
            encrypt_direct_rooms=self.settings.encrypt_direct_rooms,
        )
        local = self.settings.user_id.split(":", 1)[0].lstrip("@")
        sync = SyncLoop(
            client,
            self.rooms,
            self.sessions,
            self.clock,
            allowed_homeservers=self.settings.allowed_homeservers,
            bot_names=tuple(name for name in ("Hotline", local, self.settings.user_id) if name),
            on_stored=self.inbox.stored,
            on_synced=self._pulse_synced,
            gaps=self.backfill_gaps,
        )
        await self.rooms.resolve_channels()  # before catch-up: team rooms are no DMs
        await self.rooms.load_direct()
        await sync.catch_up()
        await self.rooms.join_channels()
        self.sync_loop = sync
        return sync

    async def reconfigure(self, config: OrgConfig) -> None:
        """A config reload (bot/reload.py): new staff are mentioned, new team rooms joined."""
        self.config = config
        if self.rooms is not None:
            rooms = (t.channels[PLATFORM] for t in config.teams if PLATFORM in t.channels)
            await self.rooms.add_channels(rooms)

    async def stop(self) -> None:
        """Stop the loops and close the connection; what was stored stays in the inbox."""
        self._ready.clear()
        await self.reactions.finish()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):  # else handed over again, and the engine knows it
            await self.inbox.close()
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def _handle_stored(self, payload: dict[str, Any]) -> None:
        assert self._on_inbound is not None and self.rooms is not None
        if payload["kind"] == FOREIGN:  # a user of a server not allowed: never the engine's
            await foreign.refuse(self.sessions, self.rooms, payload, at=self.clock.now())
            return
        inbound = await self._inbound(payload)
        if inbound is None:
            return
        if inbound.is_direct:
            self.reactions.answered(inbound.conversation_id)  # its question's are stale now
            await self.rooms.remember_direct(inbound.user_id, inbound.conversation_id)
        # The engine answers errors itself; what still escapes (the database away) goes to
        # the inbox worker, which retries the event from the table with backoff (and gives
        # it up after a few failures, see _gave_up). A retry is safe: the engine handles
        # each event id once.
        await self._on_inbound(inbound)

    async def _gave_up(self, session: AsyncSession, payload: dict[str, Any], attempts: int) -> None:
        """The inbox worker gave up on an event: apologise to its sender (same transaction)."""
        await failed_events.apologise(session, payload, attempts, at=self.clock.now())

    async def _inbound(self, payload: dict[str, Any]) -> Inbound | None:
        if payload["kind"] == "message":
            return inbound_from_json(payload["inbound"])
        async with self.sessions() as session:
            sent = await sent_messages.by_ref(
                session, platform=PLATFORM, message_ref=str(payload["reacts_to"])
            )
        if sent is None:
            return None  # not a message of ours
        key = str(payload["key"])
        choice = render.choice_for_reaction(list(sent.choices.get("ids", [])), key)
        ticket = ticket_of_card(sent.card)
        offers = bool(sent.choices.get("ids")) or ticket is not None
        if choice is None and offers and render.is_choice_reaction(key):
            # A choice the message no longer offers (a claimed card's ✋, an old card's ✅,
            # an answered question's number): answered as stale, never ignored. A ✅ on a
            # plain notice that never offered anything is just a reaction.
            choice = actions.stale(ticket)
        return None if choice is None else reaction_inbound(payload, choice)

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        """Post (or edit) a notice; raises DeliveryError for the outbox to retry. While the
        adapter starts, it waits for the first sync (nio refuses rooms it has not seen)."""
        if self.setup_error is not None:  # kept in the outbox for after the fix and restart
            raise DeliveryError(
                f"Matrix not started: {self.setup_error}", retry_after=CHANNEL_RETRY_SECONDS
            )
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout=READY_WAIT_SECONDS)
        if not self._ready.is_set() or self.client is None or self.rooms is None:
            raise DeliveryError("Matrix adapter not started", retry_after=5)
        try:
            return await self._send(target, notice, outbox_id)
        except DeliveryError:
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(f"homeserver unreachable: {error!r}") from error

    async def _send(self, target: Target, notice: Notice, outbox_id: int) -> str | None:
        if notice.retract and notice.card is not None:  # erased: see retract.py
            assert self.client is not None and self.rooms is not None
            txn = f"hotline-{outbox_id}"
            return await retract.retract_card(
                self.client, self.sessions, self.rooms, target, notice, txn, self._room_send
            )
        if target.kind == "channel":
            return await self._send_to_channel(target.address, notice, outbox_id)
        return await self._send_to_user(target.address, notice, outbox_id)

    async def _send_to_channel(self, address: str, notice: Notice, outbox_id: int) -> str:
        """Post in a team room. Refused (the bot not invited yet, or removed): join if it
        can and post again, else retry slowly: somebody has to invite the bot."""
        assert self.rooms is not None
        room_id = await self.rooms.room_for_channel(address)
        try:
            return await self._post(room_id, notice, outbox_id)
        except MatrixDeliveryError as error:
            if not error.refused:
                raise
            if not await self.rooms.join_channel(room_id):
                raise DeliveryError(
                    f"the bot is not in team room {address}: {error}",
                    retry_after=CHANNEL_RETRY_SECONDS,
                ) from error
        return await self._post(room_id, notice, outbox_id)

    async def _send_to_user(self, user_id: str, notice: Notice, outbox_id: int) -> str:
        """Post in the user's DM. Refused there (the bot left or was removed), or the user
        has left it: the DM another instance recorded, else a new DM in its place (at most
        once an hour). A user who leaves (or shuts out the bot from) that replacement too
        has declined: nothing more is sent, and no new invite, until they write again (the
        notice fails for good, logged). A DM opened a moment ago that nio does not know yet
        is retried, not replaced."""
        assert self.rooms is not None
        remembered = self.rooms.remembered_dm(user_id)
        room_id = await self.rooms.room_for_user(user_id)
        if await self.rooms.user_left(room_id, user_id):
            await self._may_replace(user_id, room_id, f"{user_id} left their DM {room_id}")
            log.info("%s left their DM %s: opening a new one", user_id, room_id)
            new_room = await self.rooms.replace_dm(user_id)
            return await self._post(new_room, notice, outbox_id, user_id)
        try:
            return await self._post(room_id, notice, outbox_id, user_id)
        except MatrixDeliveryError as error:
            if not error.refused or self.rooms.just_opened(room_id):
                raise
            log.warning("DM %s of %s refused: %s", room_id, user_id, error)
            refusal = error
        if remembered is not None:  # another instance may have recorded a newer DM
            self.rooms.forget_dm(user_id)
            stored = await self.rooms.room_for_user(user_id)
            if stored != room_id:
                return await self._post(stored, notice, outbox_id, user_id)
        await self._may_replace(user_id, room_id, str(refusal))
        return await self._post(await self.rooms.replace_dm(user_id), notice, outbox_id, user_id)

    async def _may_replace(self, user_id: str, room_id: str, why: str) -> None:
        """Raise unless a new DM may replace `room_id`: not when it is itself the
        replacement (declined: for good, until the user writes), nor twice in an hour."""
        assert self.rooms is not None
        if await self.rooms.replaced_dm(user_id) == room_id:
            raise DeliveryError(
                f"{why}, the DM opened in place of an earlier one: declined, not invited "
                "again until they write",
                permanent=True,
            )
        if not self.rooms.may_reopen(user_id):
            raise DeliveryError(
                f"{why}; no new DM before the hour is over",
                retry_after=max(1.0, self.rooms.reopen_in(user_id)),
            )

    async def _post(
        self, room_id: str, notice: Notice, outbox_id: int, recipient: str | None = None
    ) -> str:
        assert self.client is not None
        await self._room_known(room_id, recipient)
        if (medium := notice.image or notice.file) is not None:
            source = await media.upload(self.client, room_id, medium)
            content = render.media_content(notice, medium, source)
        else:
            hint = await own_reactions.typed_hint(self.sessions, len(notice.choices), recipient)
            content = render.message_content(notice, self._mentions(notice), hint)
        original = None
        if notice.card is not None and notice.image is None:
            async with self.sessions() as session:
                original = await sent_messages.card_message(
                    session, platform=PLATFORM, room=room_id, card=notice.card
                )
        if original is not None:
            content = render.edit_content(original.message_ref, content)
        elif (relation := await thread_relation(self.sessions, room_id, notice)) is not None:
            content["m.relates_to"] = relation  # about a ticket: under its card
        now = self.clock.now()
        merged = None  # a status replacing the DM's previous one (merge.py)
        if original is None and recipient is not None and "m.relates_to" not in content:
            merged = await merge.earlier_post(self.client, self.sessions, room_id, notice, now)
            content = content if merged is None else render.edit_content(merged, content)
        mark = self.reactions.mark(room_id)
        event_id = await self._room_send(room_id, content, f"hotline-{outbox_id}")
        if merged is None and recipient is not None:
            await merge.remember(self.sessions, room_id, notice, event_id, now)
        if notice.card is None and not notice.choices:
            return event_id  # looked up again only to edit a card or to read a reaction
        choices = [choice.id for choice in notice.choices]
        async with self.sessions() as session, session.begin():
            await sent_messages.remember_post(
                session,
                platform=PLATFORM,
                room=room_id,
                message_ref=event_id if original is None else original.message_ref,
                edited=original is not None,
                card=notice.card,
                choices=choices,
                at=self.clock.now(),
            )
        txn = f"hotline-{outbox_id}"
        if original is not None:  # a card's reactions follow its buttons
            await self.own_reactions.follow(room_id, original.message_ref, txn)
        elif notice.choices:
            keys = render.reaction_keys(notice.choices)
            self.reactions.schedule(
                room_id, mark, lambda: self.own_reactions.add(room_id, event_id, keys, txn)
            )
        return event_id

    async def _room_send(
        self, room_id: str, content: dict[str, Any], txn_id: str, event_type: str = "m.room.message"
    ) -> str:
        assert self.client is not None
        try:
            if event_type == "m.reaction":  # encrypted where the room is (nio would not)
                answer = await own_reactions.send_reaction(self.client, room_id, content, txn_id)
            else:
                answer = await self.client.room_send(
                    room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
                )
        except LocalProtocolError as error:
            if "No such room" not in str(error):
                raise
            # nio sends only to rooms its sync has shown: one just created or joined (soon
            # known), or one the bot is not in (left before a restart: not known at all)
            raise MatrixDeliveryError(
                f"room {room_id} not known (not synced yet, or not joined)",
                errcode=NOT_IN_ROOM,
                retry_after=1,
            ) from None
        if isinstance(answer, RoomSendResponse):
            return str(answer.event_id)
        raise delivery_error(f"room_send to {room_id}", answer)

    async def _room_known(self, room_id: str, member: str | None = None) -> None:
        """Wait (at most ROOM_WAIT_SECONDS) until the sync has shown the room, and `member`
        in it (joined or invited): a DM the bot has just created is not known to nio yet,
        or known half created (the invite, even the encryption, not synced yet). nio
        encrypts only for the members it knows: a message sent before would be unreadable
        to the very person it is for, so it waits in the outbox instead."""
        assert self.client is not None
        if self._shows(room_id, member):
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ROOM_WAIT_SECONDS):
                while self.client is not None and not self._shows(room_id, member):
                    await self._synced.wait()
        room = None if self.client is None else self.client.rooms.get(room_id)
        if member is None or room is None or member in room.users:
            return
        await self._member_shown(room_id, member)

    async def _member_shown(self, room_id: str, member: str) -> None:
        """The sync did not show `member` in time: ask the homeserver. Joined: nio's member
        list is refreshed. Invited, or a DM this instance opened a moment ago: the sync is
        behind, retried soon. No membership at all: refused, like a room that is not
        ours, so the caller opens a new DM instead of retrying this one for ever."""
        assert self.client is not None and self.rooms is not None
        membership = await self.rooms.membership(room_id, member)
        if membership == "join":
            await self.client.joined_members(room_id)  # nio adds them to room.users
            if self._shows(room_id, member):
                if self.client.olm is not None and self.client.rooms[room_id].encrypted:
                    # a room key made before was not shared with them: the next one is,
                    # once their devices are known
                    self.client.invalidate_outbound_session(room_id)
                    if self.client.should_query_keys:
                        await self.client.keys_query()
                return
        if membership in ("join", "invite") or (
            membership is None and self.rooms.just_opened(room_id)
        ):
            raise DeliveryError(
                f"{member} is not shown in {room_id} yet (the sync is behind)",
                retry_after=ROOM_WAIT_SECONDS,
            )
        raise MatrixDeliveryError(
            f"{member} is not a member of {room_id} ({membership or 'never invited'})",
            errcode=NOT_IN_ROOM,
        )

    def _shows(self, room_id: str, member: str | None) -> bool:
        """Whether nio knows the room and, if given, `member` in it."""
        room = None if self.client is None else self.client.rooms.get(room_id)
        return room is not None and (member is None or member in room.users)

    def _pulse_synced(self) -> None:
        """A sync has been processed: wake whoever waits for a room to appear."""
        self._synced.set()
        self._synced.clear()

    def _mentions(self, notice: Notice) -> list[render.Mention]:
        mentions = []
        for person_id in notice.mentions:
            person = self.config.person(person_id)
            if person is not None and PLATFORM in person.platform_ids:
                mentions.append(render.Mention(person.display_name, person.platform_ids[PLATFORM]))
        return mentions
