"""The inbox worker: hands stored events to the engine one by one, in arrival order.

The sync loop stores each event in the inbox (with its sync token) before anything else
happens, so nothing is lost. Fresh events are then passed over in memory as well, which
spares every turn a read of the inbox table; rows are marked done a moment later, in one
write, off the path of the answer (the sender wants the database then): once no event has
come for MARK_DELAY, at the latest after MARK_MAX_DELAY (a write between a turn's commit and
its reply's send held the reply up by its SQLite write lock). The table itself is
read at start, after a failure and every few seconds as a safety net. An event handled but
not marked yet (a crash in between) is handed over again after a restart, and the engine
ignores it by its event id; within one process, recently handled events are skipped here.

An event whose handling fails is tried again (from the table, with backoff), but not
forever: events are handled in order, so one that always fails would hold up everybody's.
After MAX_ATTEMPTS failures in a row (counted in memory) it is given up: marked done and,
in the same transaction, the sender is apologised to through the outbox (`give_up`); an
error names the event. Failures because the database is away do not count: the event is
not at fault, and it is tried again every second until the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.outage import is_unavailable
from storage.repositories import inbox

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], Awaitable[None]]
GiveUp = Callable[[AsyncSession, dict[str, Any], int], Awaitable[None]]
RETRY_SECONDS = 1.0
OUTAGE_RETRY_SECONDS = 1.0  # while the database is away: its return is noticed this soon
MAX_ATTEMPTS = 5  # failures of one event before it is given up (about 15 s of backoff)
RESCAN_SECONDS = 5.0  # the table is read again after this long without a wake-up
MARK_DELAY = 0.2  # seconds without a new event before handled events are marked done
MARK_MAX_DELAY = 2.0  # ... but no longer than this after the first of them
RECENT = 2000  # handled event ids remembered against doubles


def event_id_of(payload: dict[str, Any]) -> str:
    """The platform event id of a stored payload (a message or a reaction)."""
    if payload["kind"] == "message":
        return str(payload["inbound"]["event_id"])
    return str(payload["event_id"])


class InboxWorker:
    """Runs `handle` for every stored event of one platform, oldest first."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platform: str,
        handle: Handler,
        give_up: GiveUp | None = None,
    ) -> None:
        self.sessions = sessions
        self.platform = platform
        self.handle = handle
        self.give_up = give_up  # (session, payload, attempts): tell the sender, in the outbox
        self._attempts: dict[str, int] = {}  # event id -> failures in a row
        self._wake = asyncio.Event()
        self._fresh: deque[dict[str, Any]] = deque()
        self._rescan = True  # read the table first (events stored before a restart)
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._unmarked: list[str] = []
        self._marking: asyncio.Task[None] | None = None
        self._handled = 0  # events handled (a quiet moment is one where this stays put)

    def stored(self, payloads: list[dict[str, Any]]) -> None:
        """The sync loop has committed these events: handle them soon."""
        self._fresh.extend(payloads)
        self._wake.set()

    async def run(self) -> None:
        """Handle events until cancelled. A failing round (the database, mostly) is retried
        with backoff from the table; the worker must outlive it: a dead worker is a deaf bot."""
        delay = RETRY_SECONDS
        while True:
            try:  # not wait_for: its inner task cost the answer two more loop rounds
                async with asyncio.timeout(RESCAN_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                self._rescan = True  # a quiet while: look at the table once
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._fresh.clear()  # all stored: the table has them
                self._rescan = True
                self._wake.set()
                if is_unavailable(error):  # look again soon: replies wait for the database
                    log.warning(
                        "database unavailable; handling the inbox again in %.0f s",
                        OUTAGE_RETRY_SECONDS,
                    )
                    await asyncio.sleep(OUTAGE_RETRY_SECONDS)
                    continue
                log.exception("handling the inbox failed; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = RETRY_SECONDS

    async def drain(self) -> None:
        """Handle everything pending, oldest first: the table's backlog, then fresh events."""
        while self._rescan:
            async with self.sessions() as session:
                rows = [row.payload for row in await inbox.pending(session, platform=self.platform)]
            if not rows:
                self._rescan = False
                break
            for payload in rows:
                await self._handle_once(payload)
            await self.mark_now()  # the next read must not return them again
        while self._fresh:
            await self._handle_once(self._fresh[0])
            self._fresh.popleft()
        if self._unmarked and (self._marking is None or self._marking.done()):
            self._marking = asyncio.create_task(self._mark_later(), name="matrix-inbox-mark")

    async def _handle_once(self, payload: dict[str, Any]) -> None:
        event_id = event_id_of(payload)
        if event_id not in self._recent:
            try:
                await self.handle(payload)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if is_unavailable(error):  # not the event's fault: it does not count
                    raise
                attempts = self._attempts.get(event_id, 0) + 1
                self._attempts[event_id] = attempts
                if attempts < MAX_ATTEMPTS:
                    raise
                await self._give_up(payload, event_id, attempts)
                return
            self._attempts.pop(event_id, None)
            self._remember(event_id)
        self._unmarked.append(event_id)
        self._handled += 1

    async def _give_up(self, payload: dict[str, Any], event_id: str, attempts: int) -> None:
        """Mark a failing event done and tell its sender, in one transaction (called while
        its last failure is handled). If telling fails, the event is only marked done (a
        broken apology must not block the inbox either); if marking fails too (the
        database), the failure propagates: retried."""
        told = "the sender is told"
        try:
            async with self.sessions() as session, session.begin():
                await inbox.mark_events_done(session, platform=self.platform, event_ids=[event_id])
                if self.give_up is not None:
                    await self.give_up(session, payload, attempts)
        except Exception:
            log.exception("could not tell the sender of %s; marking it done only", event_id)
            async with self.sessions() as session, session.begin():
                await inbox.mark_events_done(session, platform=self.platform, event_ids=[event_id])
            told = "the sender is NOT told"
        log.error(
            "inbox event %s failed %d times in a row: given up (marked done, %s); it is NOT "
            "handled",
            event_id,
            attempts,
            told,
            exc_info=True,
        )
        self._attempts.pop(event_id, None)
        self._remember(event_id)

    def _remember(self, event_id: str) -> None:
        self._recent[event_id] = None
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    async def _mark_later(self) -> None:
        waited = 0.0
        while True:  # until a quiet moment (no new event), or MARK_MAX_DELAY
            handled = self._handled
            await asyncio.sleep(MARK_DELAY)
            waited += MARK_DELAY
            if self._handled == handled or waited >= MARK_MAX_DELAY:
                break
        try:
            await self.mark_now()
        except Exception:  # left undone: handed over again later, skipped or deduplicated
            log.exception("marking inbox events done failed")

    async def close(self) -> None:
        """At a stop (after `run` was cancelled): mark what was handled, now."""
        if self._marking is not None:
            self._marking.cancel()
            await asyncio.gather(self._marking, return_exceptions=True)
        await self.mark_now()

    async def mark_now(self) -> None:
        """Mark every handled event done (also at a stop)."""
        while self._unmarked:
            batch, self._unmarked = self._unmarked[:500], self._unmarked[500:]
            try:
                async with self.sessions() as session, session.begin():
                    await inbox.mark_events_done(session, platform=self.platform, event_ids=batch)
            except BaseException:
                self._unmarked[:0] = batch
                raise
