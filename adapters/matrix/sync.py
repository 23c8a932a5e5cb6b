"""The sync loop: /sync -> parse -> inbox rows + sync token in ONE transaction.

Events are stored before the token moves on, so a crash neither loses nor replays them;
workers handle the inbox separately, so slow work never blocks syncing. A `limited`
timeline (a burst larger than the filter's limit) is paginated back to the last token; a
page the homeserver refuses for now fails the whole sync, which is retried from the same
token; after FAILED_SYNCS such syncs in a row for the same room, that room's gap is put off
(gaps.py) and the rest is stored, so one room cannot make the bot deaf to all. An invite
whose join fails for now is skipped and joined again after the next syncs.
Encrypted events nio cannot decrypt yet wait for their keys (undecrypted.py). Events of
users whose homeserver is not allowed are stored only as text-free "foreign" payloads
(parse.py, foreign.py). Error answers
(429 with retry_after_ms, 5xx) are waited out as the homeserver asks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    Event,
    ForwardedRoomKeyEvent,
    MegolmEvent,
    MessageDirection,
    RoomKeyEvent,
    RoomMessagesResponse,
    SyncResponse,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.errors import backoff_delay, homeserver_error, transient
from adapters.matrix.gaps import FAILED_SYNCS, BackfillGaps, Gap
from adapters.matrix.gaps import STATE_KEY as GAPS_KEY
from adapters.matrix.inbox_worker import event_id_of
from adapters.matrix.invites import Invites
from adapters.matrix.parse import PLATFORM, RoomContext, parse_event, too_long
from adapters.matrix.rooms import RoomDirectory
from adapters.matrix.undecrypted import STATE_KEY, UndecryptedEvents, Waiting, enqueue_unreadable
from bot.kernel.clock import Clock
from bot.kernel.notices import Target
from storage.outage import StoreUnavailable, is_unavailable
from storage.repositories import inbox, platform_state

log = logging.getLogger(__name__)
SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 50}, "state": {"lazy_load_members": False}},
    "presence": {"not_types": ["*"]},
}
SYNC_TOKEN = "sync_token"
# A sync that brings nothing to store (the bot's own messages and reactions, typing, receipts)
# moves the token in memory only; it is written with the next stored event, or after this
# long. Losing it in a crash only means fetching those events again, which store nothing.
TOKEN_SAVE_SECONDS = 30.0
BACKFILL_PAGES = 20  # of 100 events: at most 2,000 events per room and sync
# Seconds between sync attempts while the homeserver is away: short, so inbound resumes
# within seconds of its return (one small request every 4 s is nothing to a homeserver; a
# 429's retry_after_ms is still waited out in full). It was 60 s, doubling from 1: after a
# half-minute outage messages waited up to 32 s more.
MAX_DELAY = 4.0
LOG_EVERY = 15  # failed attempts: a WARNING at the first and then about once a minute
OUTAGE_RETRY_SECONDS = 1.0  # while the database is away


class SyncLoop:
    """Keeps syncing until stopped; stores what arrives for the inbox workers."""

    def __init__(
        self,
        client: AsyncClient,
        rooms: RoomDirectory,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        allowed_homeservers: tuple[str, ...],
        bot_names: tuple[str, ...],
        on_stored: Callable[[list[dict[str, Any]]], None],
        on_synced: Callable[[], None] = lambda: None,
        gaps: BackfillGaps | None = None,
    ) -> None:
        self.client = client
        self.rooms = rooms
        self.sessions = sessions
        self.clock = clock
        self.allowed_homeservers = allowed_homeservers
        self.bot_names = bot_names
        self.on_stored = on_stored
        self.on_synced = on_synced  # after every processed sync (nio knows its rooms then)
        self.since: str | None = None
        self.failing: str | None = None  # why the last sync failed, until one succeeds (health)
        self._saved_at: float | None = None  # time.monotonic() of the last token write
        self.undecrypted = UndecryptedEvents(client)
        self._keys_arrived = True  # room keys came since the last decryption round
        # backfills put off (one room failing again and again); the adapter passes the same
        # one to each start attempt, so failures of the catch-up sync count across them
        self.gaps = gaps if gaps is not None else BackfillGaps()
        self.invites = Invites(client, rooms, allowed_homeservers)

    async def catch_up(self) -> None:
        """First sync after start: full state; history before the very first start is skipped."""
        async with self.sessions() as session:
            self.since = await platform_state.get_value(session, platform=PLATFORM, key=SYNC_TOKEN)
            waiting = await platform_state.get_value(session, platform=PLATFORM, key=STATE_KEY)
            gaps = await platform_state.get_value(session, platform=PLATFORM, key=GAPS_KEY)
        self.undecrypted.load(waiting)
        self.gaps.load(gaps)
        response = await self.client.sync(
            timeout=0, since=self.since, full_state=True, sync_filter=SYNC_FILTER
        )
        if not isinstance(response, SyncResponse):
            raise homeserver_error("first sync", response)
        await self._store(response, process_timeline=self.since is not None)
        await self.after_sync()

    async def run(self) -> None:
        """Sync forever, backing off while the homeserver (or the database) fails.

        Storing is part of the retried step: a failure there (database locked, the server
        gone during a backfill or an invite) must not end the loop, or the bot goes deaf.
        The token only moves on with a successful store, so the retry fetches the same
        events again (the inbox ignores those it has)."""
        delay, failures = 1.0, 0
        while True:
            try:
                response = await self.client.sync(
                    timeout=30_000, since=self.since, sync_filter=SYNC_FILTER
                )
                if not isinstance(response, SyncResponse):
                    raise homeserver_error("sync", response)
                await self._store(response, process_timeline=True)
            except asyncio.CancelledError:
                raise
            except StoreUnavailable:  # the same events come again with the same token
                log.warning("database unavailable; syncing again in %.0f s", OUTAGE_RETRY_SECONDS)
                await asyncio.sleep(OUTAGE_RETRY_SECONDS)
                continue
            except (aiohttp.ClientError, OSError, TimeoutError) as error:  # the server is away
                self.failing = f"sync failed: {type(error).__name__}"
                wait = backoff_delay(delay, error)  # HomeserverError: retry_after_ms counts
                level = logging.WARNING if failures % LOG_EVERY == 0 else logging.DEBUG
                log.log(level, "sync failed (%s); retrying in %.1f s", error, wait)
                failures += 1
                await asyncio.sleep(wait)
                delay = min(delay * 2, MAX_DELAY)
                continue
            except Exception:
                self.failing = "storing a sync failed"
                log.exception("storing a sync failed; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
                continue
            if failures:
                log.warning("sync works again after %d failed attempts", failures)
            delay, failures = 1.0, 0
            self.failing = None
            self.on_synced()
            await self.after_sync()

    async def after_sync(self) -> None:
        """Key maintenance, encrypted events whose keys came, team rooms still unresolved.
        Each failure is logged and tried again after the next sync."""
        await self.crypto_housekeeping()
        steps = (
            (self.retry_undecrypted, "retrying undecrypted events"),
            (self.invites.retry, "joining rooms again"),
            (self.retry_gaps, "fetching put-off backfills"),
            (self.rooms.resolve_missing, "resolving team rooms"),
        )
        for step, what in steps:
            try:
                await step()
            except Exception:
                log.exception("%s failed", what)

    async def retry_undecrypted(self) -> None:
        """Ask for missing keys; store events that can be read now (in the inbox, as if
        they had just arrived); answer those given up. One transaction per round."""
        if not len(self.undecrypted):
            return
        await self.undecrypted.request_keys()
        found = self.undecrypted.retry(self.clock.now(), keys_arrived=self._keys_arrived)
        if not found.done:
            self._keys_arrived = False
            return
        payloads: list[dict[str, Any]] = []
        for waiting, event in found.decrypted:
            log.info("decrypted %s now that its key has arrived", waiting.event_id)
            payloads += self._parse(waiting.room_id, [event])
        targets = [(waiting, await self._answer_target(waiting)) for waiting in found.expired]
        async with self.sessions() as session, session.begin():
            for payload in payloads:
                await inbox.put(
                    session,
                    platform=PLATFORM,
                    event_id=event_id_of(payload),
                    payload=payload,
                    at=self.clock.now(),
                )
            for waiting, target in targets:
                if target is not None:
                    await enqueue_unreadable(session, waiting, target, at=self.clock.now())
            await platform_state.set_value(
                session,
                platform=PLATFORM,
                key=STATE_KEY,
                value=self.undecrypted.dump(without=found.done),
                at=self.clock.now(),
            )
        self.undecrypted.drop(found.done)
        self._keys_arrived = False
        if payloads:
            self.on_stored(payloads)

    async def _answer_target(self, waiting: Waiting) -> Target | None:
        """Where to tell the sender that their message could not be read: their DM (this
        room, remembered as such) or the team room; None in other rooms (logged)."""
        log.error(
            "gave up waiting for the key of %s from %s in %s; asking to send it again",
            waiting.event_id,
            waiting.sender,
            waiting.room_id,
        )
        channel = self.rooms.channel_of(waiting.room_id)
        if channel is not None:
            return Target(PLATFORM, "channel", channel)
        if self.rooms.is_direct(waiting.room_id):
            await self.rooms.remember_direct(waiting.sender, waiting.room_id)
            return Target(PLATFORM, "user", waiting.sender)
        log.warning("no way to answer %s in %s", waiting.sender, waiting.room_id)
        return None

    async def crypto_housekeeping(self) -> None:
        """What nio's sync_forever would do: share keys, upload, query and claim as needed."""
        try:
            await self.client.send_to_device_messages()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
            if self.client.should_query_keys:
                await self.client.keys_query()
            if self.client.should_claim_keys:
                await self.client.keys_claim(self.client.get_users_for_key_claiming())
        except Exception:  # the next round tries again; sending handles its own keys too
            log.exception("key maintenance failed")

    async def _store(self, response: SyncResponse, *, process_timeline: bool) -> None:
        if any(
            isinstance(event, (RoomKeyEvent, ForwardedRoomKeyEvent))
            for event in response.to_device_events
        ):
            self._keys_arrived = True  # nio has stored them: try the waiting events again
        payloads: list[dict[str, Any]] = []
        if process_timeline:
            for room_id, joined in response.rooms.join.items():
                events = list(joined.timeline.events)
                if joined.timeline.limited and self.since is not None:
                    gap = Gap(room_id, joined.timeline.prev_batch, self.since)
                    events = await self._backfill_or_put_off(gap) + events
                payloads += self._parse(room_id, events)
        await self.invites.accept(response)
        payloads += self.invites.take_joined()  # also those joined on a retry since
        waiting_changed = self.undecrypted.changed
        gaps_changed = self.gaps.changed
        if (
            not payloads
            and not waiting_changed
            and not gaps_changed
            and not self._token_due(response)
        ):
            self.since = response.next_batch
            return
        try:
            await self._write(response, payloads, waiting_changed, gaps_changed)
        except Exception as error:  # told apart from the homeserver's OSErrors: polled often
            if is_unavailable(error):
                raise StoreUnavailable("sync not stored") from error
            raise
        self.since = response.next_batch
        self._saved_at = time.monotonic()
        if waiting_changed:
            self.undecrypted.changed = False
        if gaps_changed:
            self.gaps.changed = False
        if payloads:
            self.on_stored(payloads)
            # The inbox worker first (up to its first query): the answer waits for it, the
            # next /sync (and the key maintenance before it) does not.
            await asyncio.sleep(0)

    async def _write(
        self,
        response: SyncResponse,
        payloads: list[dict[str, Any]],
        waiting_changed: bool,
        gaps_changed: bool,
    ) -> None:
        """The events, the waiting lists and the token that moves past them: one transaction."""
        async with self.sessions() as session, session.begin():
            for payload in payloads:
                await inbox.put(
                    session,
                    platform=PLATFORM,
                    event_id=event_id_of(payload),
                    payload=payload,
                    at=self.clock.now(),
                )
            if waiting_changed:  # kept with the token that moves past them
                await platform_state.set_value(
                    session,
                    platform=PLATFORM,
                    key=STATE_KEY,
                    value=self.undecrypted.dump(),
                    at=self.clock.now(),
                )
            if gaps_changed:  # likewise
                await platform_state.set_value(
                    session,
                    platform=PLATFORM,
                    key=GAPS_KEY,
                    value=self.gaps.dump(),
                    at=self.clock.now(),
                )
            await platform_state.set_value(
                session,
                platform=PLATFORM,
                key=SYNC_TOKEN,
                value=response.next_batch,
                at=self.clock.now(),
            )

    def _token_due(self, response: SyncResponse) -> bool:
        """Whether a sync without events to store must still write its token: the first
        one, one with invites (joins change what the next sync brings), or after a while."""
        if self._saved_at is None or response.rooms.invite or response.rooms.leave:
            return True
        return time.monotonic() - self._saved_at >= TOKEN_SAVE_SECONDS

    def _parse(self, room_id: str, events: list[Event]) -> list[dict[str, Any]]:
        ctx = RoomContext(
            room_id=room_id,
            is_direct=self.rooms.is_direct(room_id),
            channel=self.rooms.channel_of(room_id),
            bot_user_id=self.client.user_id,
            bot_names=self.bot_names,
            allowed_homeservers=self.allowed_homeservers,
        )
        payloads = []
        for event in events:
            if too_long(event, room_id):
                continue
            if isinstance(event, MegolmEvent) and ctx.serves(event.sender):
                # kept until its key comes (or answered); a foreign one is refused unread
                self.undecrypted.add(room_id, event, self.clock.now())
                continue
            payload = parse_event(event, ctx)
            if payload is not None:
                payloads.append(payload)
        return payloads

    async def _backfill_or_put_off(self, gap: Gap) -> list[Event]:
        """The gap's events; a backfill failing for now fails the sync (retried from the
        same token), except the FAILED_SYNCS-th time in a row for the room: then the gap is
        put off (fetched after later syncs) and the rest of the sync is stored."""
        try:
            older = await self._backfill(gap.room_id, gap.start, gap.end)
        except (aiohttp.ClientError, OSError) as error:  # HomeserverError included
            failures = self.gaps.failed(gap.room_id)
            if failures < FAILED_SYNCS:
                raise
            log.error(
                "backfill of %s failed in %d syncs in a row (%s): the other rooms' events are "
                "stored now; the gap in %s is fetched again after the next syncs",
                gap.room_id,
                failures,
                error,
                gap.room_id,
            )
            self.gaps.put_off(gap)
            return []
        self.gaps.succeeded(gap.room_id)
        return older

    async def retry_gaps(self) -> None:
        """Fetch the gaps put off; store each one's events in the inbox (after newer ones of
        its room) and drop it from the stored list, in one transaction per gap."""
        for gap in list(self.gaps.gaps):
            try:
                events = await self._backfill(gap.room_id, gap.start, gap.end)
            except (aiohttp.ClientError, OSError) as error:
                log.warning(
                    "backfill of %s still fails (%s); tried again later", gap.room_id, error
                )
                continue
            payloads = self._parse(gap.room_id, events)
            waiting_changed = self.undecrypted.changed
            async with self.sessions() as session, session.begin():
                for payload in payloads:
                    await inbox.put(
                        session,
                        platform=PLATFORM,
                        event_id=event_id_of(payload),
                        payload=payload,
                        at=self.clock.now(),
                    )
                await platform_state.set_value(
                    session,
                    platform=PLATFORM,
                    key=GAPS_KEY,
                    value=self.gaps.dump(without=[gap]),
                    at=self.clock.now(),
                )
                if waiting_changed:
                    await platform_state.set_value(
                        session,
                        platform=PLATFORM,
                        key=STATE_KEY,
                        value=self.undecrypted.dump(),
                        at=self.clock.now(),
                    )
            self.gaps.drop(gap)
            if waiting_changed:
                self.undecrypted.changed = False
            log.warning(
                "late backfill of %s: %d events stored after newer ones", gap.room_id, len(events)
            )
            if payloads:
                self.on_stored(payloads)

    async def _backfill(self, room_id: str, start: str, end: str) -> list[Event]:
        """Events between the sync token `end` and `start` (a `limited` timeline's start).

        A page that fails for now (429, 5xx) raises HomeserverError: the whole sync is
        retried from the same token, so nothing between the two is skipped. A permanent
        refusal (M_FORBIDDEN) is logged as an error: retrying it would make the bot deaf."""
        older: list[Event] = []
        token = start
        for _page in range(BACKFILL_PAGES):
            answer = await self.client.room_messages(
                room_id, start=token, end=end, direction=MessageDirection.back, limit=100
            )
            if not isinstance(answer, RoomMessagesResponse):
                if transient(answer):  # the whole sync is retried from the same token
                    raise homeserver_error(f"backfill of {room_id}", answer)
                log.error(  # asking again would not help, and the bot would go deaf
                    "backfill of %s refused (%s): older messages in that gap are NOT handled",
                    room_id,
                    answer,
                )
                break
            for event in answer.chunk:
                if isinstance(event, MegolmEvent):
                    try:
                        event = self.client.decrypt_event(event)
                    except Exception:  # kept in _parse until its key comes
                        log.info("cannot decrypt backfilled %s yet", event.event_id)
                older.append(event)
            if not answer.chunk or not answer.end or answer.end == token:
                break
            token = answer.end
        else:
            log.error(
                "backfill of %s stopped after %d events: older messages in that gap are "
                "NOT handled",
                room_id,
                len(older),
            )
        older.reverse()
        return older
