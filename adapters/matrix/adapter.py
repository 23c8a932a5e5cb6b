"""The Matrix adapter on matrix-nio: login, sync loop, inbox worker and sending.

Outbound: each outbox row is sent with the transaction id "hotline-<outbox id>", so a
retried send is deduplicated by the homeserver. Cards (ticket posts) are edited in place
with m.replace; pictures are uploaded first (adapters/matrix/media.py; a retry uploads again,
and the homeserver keeps an unused copy). Inbound: the sync loop stores events in the inbox;
a worker (inbox_worker.py) hands them to the engine in order, which deduplicates them by
event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
from nio import AsyncClient, AsyncClientConfig, RoomSendResponse, WhoamiResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import media, render
from adapters.matrix.inbox_worker import InboxWorker
from adapters.matrix.parse import PLATFORM, reaction_inbound
from adapters.matrix.reactions import ReactionTasks
from adapters.matrix.rooms import RoomDirectory
from adapters.matrix.settings import MatrixSettings
from adapters.matrix.sync import SyncLoop
from bot.clock import Clock
from bot.config.model import OrgConfig
from bot.delivery import DeliveryError, InboundHandler
from bot.notices import Inbound, Notice, Target, inbound_from_json
from storage.repositories import platform_state, sent_messages

log = logging.getLogger(__name__)
DEVICE_ID = "device_id"
READY_WAIT_SECONDS = 30.0


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
        self._tasks: list[asyncio.Task[None]] = []
        self.inbox = InboxWorker(sessions, PLATFORM, self._handle_stored)
        self._on_inbound: InboundHandler | None = None
        self.reactions = ReactionTasks(settings.reaction_delay)
        self._ready = asyncio.Event()  # set once the first sync is in: nio knows the rooms

    async def start(self, on_inbound: InboundHandler) -> None:
        """Log in with the stored device, catch up with the homeserver, start the loops."""
        self._on_inbound = on_inbound
        client = await self._login()
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
        )
        await self.rooms.resolve_channels()  # before catch-up: team rooms are no DMs
        await sync.catch_up()
        await self.rooms.join_channels()
        self._tasks = [
            asyncio.create_task(sync.run(), name="matrix-sync"),
            asyncio.create_task(self.inbox.run(), name="matrix-inbox"),
        ]
        self._ready.set()

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

    async def _login(self) -> AsyncClient:
        self.settings.store_dir.mkdir(parents=True, exist_ok=True)
        async with self.sessions() as session:
            device_id = await platform_state.get_value(session, platform=PLATFORM, key=DEVICE_ID)
        client_config = AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=False,
            max_limit_exceeded=0,  # our outbox retries 429s itself, respecting retry_after_ms
            max_timeouts=2,
            request_timeout=60,
        )
        client = AsyncClient(
            self.settings.homeserver,
            self.settings.user_id,
            store_path=str(self.settings.store_dir),
            config=client_config,
        )
        if device_id is None:
            client.access_token = self.settings.access_token
            answer = await client.whoami()
            if not isinstance(answer, WhoamiResponse) or not answer.device_id:
                await client.close()
                raise ConnectionError(f"whoami failed: {answer}")
            device_id = answer.device_id
            async with self.sessions() as session, session.begin():
                await platform_state.set_value(
                    session,
                    platform=PLATFORM,
                    key=DEVICE_ID,
                    value=device_id,
                    at=self.clock.now(),
                )
        client.restore_login(self.settings.user_id, device_id, self.settings.access_token)
        if client.should_upload_keys:
            await client.keys_upload()
        return client

    async def _handle_stored(self, payload: dict[str, Any]) -> None:
        assert self._on_inbound is not None and self.rooms is not None
        inbound = await self._inbound(payload)
        if inbound is None:
            return
        if inbound.is_direct:
            self.reactions.answered(inbound.conversation_id)  # its question's are stale now
            await self.rooms.remember_direct(inbound.user_id, inbound.conversation_id)
        try:
            await self._on_inbound(inbound)
        except Exception:  # the engine answers errors itself; this is a last resort
            log.exception("engine failed on %s", inbound.event_id)

    async def _inbound(self, payload: dict[str, Any]) -> Inbound | None:
        if payload["kind"] == "message":
            return inbound_from_json(payload["inbound"])
        async with self.sessions() as session:
            sent = await sent_messages.by_ref(
                session, platform=PLATFORM, message_ref=str(payload["reacts_to"])
            )
        if sent is None:
            return None
        choice = render.choice_for_reaction(list(sent.choices.get("ids", [])), str(payload["key"]))
        return None if choice is None else reaction_inbound(payload, choice)

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        """Post (or edit) a notice; raises DeliveryError for the outbox to retry. While the
        adapter starts, it waits for the first sync (nio refuses rooms it has not seen)."""
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

    async def _send(self, target: Target, notice: Notice, outbox_id: int) -> str:
        assert self.rooms is not None
        if target.kind == "channel":
            return await self._post(
                await self.rooms.room_for_channel(target.address), notice, outbox_id
            )
        remembered = self.rooms.remembered_dm(target.address)
        room_id = await self.rooms.room_for_user(target.address)
        try:
            return await self._post(room_id, notice, outbox_id)
        except DeliveryError as error:
            if not error.permanent or remembered is None:
                raise
            # Refused in the DM this instance remembered: another one may know a newer DM.
            self.rooms.forget_dm(target.address)
            fresh = await self.rooms.room_for_user(target.address)
            if fresh == room_id:
                raise
            return await self._post(fresh, notice, outbox_id)

    async def _post(self, room_id: str, notice: Notice, outbox_id: int) -> str:
        assert self.client is not None
        if notice.image is not None:
            source = await media.upload(self.client, room_id, notice.image)
            content = render.image_content(notice, notice.image, source)
        else:
            content = render.message_content(notice, self._mentions(notice))
        original = None
        if notice.card is not None and notice.image is None:
            async with self.sessions() as session:
                original = await sent_messages.card_message(
                    session, platform=PLATFORM, room=room_id, card=notice.card
                )
        if original is not None:
            content = render.edit_content(original.message_ref, content)
        mark = self.reactions.mark(room_id)
        event_id = await self._room_send(room_id, content, f"hotline-{outbox_id}")
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
        if original is None and notice.choices:
            self.reactions.schedule(
                room_id, mark, lambda: self._add_reactions(room_id, event_id, notice, outbox_id)
            )
        return event_id

    async def _room_send(
        self, room_id: str, content: dict[str, Any], txn_id: str, event_type: str = "m.room.message"
    ) -> str:
        assert self.client is not None
        answer = await self.client.room_send(
            room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
        )
        if isinstance(answer, RoomSendResponse):
            return str(answer.event_id)
        retry_ms = getattr(answer, "retry_after_ms", None)
        code = getattr(answer, "status_code", None)
        permanent = code in ("M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN")
        raise DeliveryError(
            f"room_send to {room_id} failed: {answer}",
            retry_after=None if retry_ms is None else retry_ms / 1000,
            permanent=permanent,
        )

    async def _add_reactions(
        self, room_id: str, event_id: str, notice: Notice, outbox_id: int
    ) -> None:
        """Pre-add one reaction per choice, so users can tap instead of typing."""
        for index, key in enumerate(render.reaction_keys(notice.choices)):
            if not key:
                continue
            try:
                await self._room_send(
                    room_id,
                    render.reaction_content(event_id, key),
                    f"hotline-{outbox_id}-r{index}",
                    event_type="m.reaction",
                )
            except DeliveryError:
                log.warning("could not add reaction %s to %s", key, event_id)

    def _mentions(self, notice: Notice) -> list[render.Mention]:
        mentions = []
        for person_id in notice.mentions:
            person = self.config.person(person_id)
            if person is not None and PLATFORM in person.platform_ids:
                mentions.append(render.Mention(person.display_name, person.platform_ids[PLATFORM]))
        return mentions
