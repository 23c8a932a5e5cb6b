"""The adapter contract and the outbox sender that delivers notices after commit."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.notices import Inbound, Notice, Target
from storage.repositories import outbox

log = logging.getLogger(__name__)

InboundHandler = Callable[[Inbound], Awaitable[object]]


class DeliveryError(Exception):
    """A platform refused a notice; `retry_after` seconds if it said so; `permanent`: give up."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Adapter(Protocol):
    """What every platform adapter offers the core."""

    platform: str

    async def start(self, on_inbound: InboundHandler) -> None:
        """Begin receiving events; each becomes an `Inbound` passed to `on_inbound`."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        """Deliver a notice (`outbox_id` makes a retry idempotent); returns a message ref."""
        ...


class OutboxSender:
    """Delivers due outbox rows through the adapters; retries with backoff, never loses a row."""

    LEASE = timedelta(minutes=2)
    MAX_ATTEMPTS = 12
    MAX_BACKOFF = timedelta(hours=1)

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, Adapter],
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.adapters = adapters
        self.clock = clock

    async def deliver_due(self, *, address: str | None = None, batch: int = 50) -> int:
        """Deliver what is due now (optionally only to one address); returns how many succeeded."""
        delivered = 0
        while True:
            async with self.sessions() as session, session.begin():
                rows = await outbox.claim_due(
                    session,
                    platforms=list(self.adapters),
                    now=self.clock.now(),
                    lease=self.LEASE,
                    limit=batch,
                    address=address,
                )
                claimed = [
                    (r.id, r.platform, r.target_kind, r.target_address, r.payload, r.attempts)
                    for r in rows
                ]
            if not claimed:
                return delivered
            for row_id, platform, kind, address_, payload, attempts in claimed:
                target = Target(platform, kind, address_)  # type: ignore[arg-type]
                ok = await self._deliver_one(row_id, target, Notice.from_json(payload), attempts)
                delivered += int(ok)
            if len(claimed) < batch:
                return delivered

    async def _deliver_one(
        self, row_id: int, target: Target, notice: Notice, attempts: int
    ) -> bool:
        adapter = self.adapters[target.platform]
        try:
            ref = await adapter.send(target, notice, outbox_id=row_id)
        except DeliveryError as error:
            await self._failed(row_id, str(error), attempts, error.retry_after, error.permanent)
            return False
        except Exception as error:  # an adapter bug must not lose the notice
            log.exception("delivery of outbox row %s failed", row_id)
            await self._failed(row_id, repr(error), attempts, None, False)
            return False
        async with self.sessions() as session, session.begin():
            await outbox.mark_delivered(
                session, outbox_id=row_id, at=self.clock.now(), message_ref=ref
            )
        return True

    async def _failed(
        self, row_id: int, error: str, attempts: int, retry_after: float | None, permanent: bool
    ) -> None:
        retry_at = None
        if not permanent and attempts + 1 < self.MAX_ATTEMPTS:
            retry_at = self.clock.now() + backoff(attempts, retry_after, self.MAX_BACKOFF)
        async with self.sessions() as session, session.begin():
            await outbox.mark_failed(session, outbox_id=row_id, error=error, retry_at=retry_at)


def backoff(attempts: int, retry_after: float | None, ceiling: timedelta) -> timedelta:
    """Exponential backoff with jitter; a platform's own retry-after wins when it is longer."""
    base = min(ceiling.total_seconds(), 2.0 * 2**attempts)
    delay = base / 2 + random.uniform(0, base / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)
