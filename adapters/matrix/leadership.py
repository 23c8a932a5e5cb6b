"""Matrix failover: one active /sync consumer per database, the other instances on standby.

Two /sync consumers on one account would each store the same events (the inbox dedupes
them) but also each answer from their own device, race on the sync token and share one
E2E device from two key stores, which breaks encryption. So the Matrix side runs on one
instance only, chosen by a PostgreSQL advisory lock (storage/leader_lock.py). A standby
does not log in at all; it polls the lock every POLL_SECONDS. When the active process dies
(kill -9 included) the server frees its lock, the standby takes it, logs in with the same
token (the same device, so the same key store: store_path must be shared by the
instances) and catches up from the sync token stored in the database: events the dead
instance stored but had not handled wait in the inbox and are handled now, each event id
once; what it had not stored is fetched again from the token.

Sending is the active instance's job too (`sending`): nio sends only to rooms its own sync
has shown and encrypts with the device's keys, which the standby has not loaded. The outbox
sender therefore leaves Matrix rows to the active instance. Taking over, the new active
instance frees the Matrix rows the old one had leased before it sends anything, so they go
first and each recipient's order holds (waiting for the dead lease to age would let later
notices overtake them); a row the old one had sent but not marked is sent again with the
same transaction id ("hotline-<outbox id>", same device), which the homeserver drops.

An active instance whose lock connection fails (the database restarted or away: the lock
is gone with the connection) keeps serving and takes the lock again as soon as the
database answers; if another instance was quicker, it stops Matrix and waits as a standby
with a fresh adapter. Serving on meanwhile is safe: nothing is stored or sent without the
database, and for the seconds both may sync, the inbox and the engine drop events they
have (by event id) and the outbox lease gives each notice to one sender. On SQLite there
is one instance and the lock is always granted: the adapter behaves as without failover.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.parse import PLATFORM
from adapters.matrix.settings import MatrixSetupError
from bot.config.model import OrgConfig
from bot.delivery import DeliveryError, InboundHandler
from bot.kernel.notices import Notice, Target
from storage.leader_lock import LeaderLock
from storage.repositories import outbox

log = logging.getLogger(__name__)
LOCK_NAME = "hotline:matrix-sync"
POLL_SECONDS = 1.0  # how often a standby tries the lock: the bulk of the takeover time
CHECK_SECONDS = 2.0  # how often the active instance checks that it still holds it
STANDBY = "standby: another instance syncs Matrix; this one takes over when it stops"


class LeaderElectedMatrix:
    """The Matrix adapter of this instance, started only while it holds the sync lock."""

    platform = PLATFORM

    def __init__(
        self,
        make: Callable[[OrgConfig], MatrixAdapter],
        lock: LeaderLock,
        sessions: async_sessionmaker[AsyncSession],
        config: OrgConfig,
    ) -> None:
        self.make = make
        self.config = config  # the newest (a reload replaces it): a takeover starts with it
        self.lock = lock
        self.sessions = sessions
        self.inner: MatrixAdapter | None = None  # set while active
        self._on_inbound: InboundHandler | None = None
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None  # a setup error of the inner start

    @property
    def active(self) -> bool:
        return self.inner is not None

    @property
    def sending(self) -> bool:
        """Whether this instance sends Matrix notices (only the active one can)."""
        return self.inner is not None

    def role(self) -> str:
        """`active` or the standby's explanation, for /readyz and the metrics."""
        return "active" if self.inner is not None else STANDBY

    def health(self) -> str | None:
        """The active adapter's health; a standby is healthy (ready to take over)."""
        if self._failure is not None:
            return f"setup error: {type(self._failure).__name__}"
        return None if self.inner is None else self.inner.health()

    async def start(self, on_inbound: InboundHandler) -> None:
        """Become active now if the lock is free (a setup error then ends the start like
        without failover), else wait on standby in the background."""
        self._on_inbound = on_inbound
        if await self.lock.try_acquire():
            await self._activate()
        else:
            log.info("Matrix on standby", extra={"event": "matrix_standby", "platform": PLATFORM})
        self._task = asyncio.create_task(self._watch(), name="matrix-leadership")

    async def _watch(self) -> None:
        """Standby: poll the lock; active: check that it is still held. Runs until stopped
        (or a setup error): whatever else fails is logged and the next round tries again."""
        while True:
            try:
                if not await self._round():
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Matrix leadership round failed; trying again")
                await asyncio.sleep(POLL_SECONDS)

    async def _round(self) -> bool:
        """One poll (standby) or check (active); False: a setup error ended the watch."""
        if self.inner is None:
            await asyncio.sleep(POLL_SECONDS)
            if await self.lock.try_acquire():
                try:
                    await self._activate()
                except MatrixSetupError as error:  # stay down, say why
                    self._failure = error
                    log.critical("Matrix cannot start after taking over: %s", error)
                    return False
            return True
        await asyncio.sleep(CHECK_SECONDS)
        if not await self.lock.held() and not await self._take_back():
            log.error(
                "Matrix sync lock taken by another instance: Matrix on standby here",
                extra={"event": "matrix_lock_lost", "platform": PLATFORM},
            )
            await self._deactivate()
        return True

    async def _take_back(self) -> bool:
        """The lock's connection failed: take the lock again once the database answers.
        False: another instance holds it now."""
        while True:
            got = await self.lock.try_acquire()
            if got is not None:
                return got
            await asyncio.sleep(POLL_SECONDS)

    async def _activate(self) -> None:
        assert self._on_inbound is not None
        log.warning(
            "Matrix active on this instance",
            extra={"event": "matrix_active", "platform": PLATFORM},
        )
        inner = self.make(self.config)
        try:
            await self._take_over_notices()
            await inner.start(self._on_inbound)
        except BaseException:  # a setup error, or stopped while starting
            with contextlib.suppress(Exception):
                await inner.stop()
            await self.lock.release()
            raise
        self.inner = inner

    async def _take_over_notices(self) -> None:
        """Free the Matrix rows the previous active instance had leased (see above). Best
        effort: failing that (the database away), they come back when its heartbeat ages."""
        try:
            async with self.sessions() as session, session.begin():
                taken = await outbox.release_platform(session, platform=PLATFORM)
        except Exception as error:
            log.warning("could not take over leased Matrix notices now (%r)", error)
            return
        if taken:
            log.warning("took over %d Matrix notices the previous instance had leased", taken)

    async def _deactivate(self) -> None:
        inner, self.inner = self.inner, None
        if inner is not None:
            await inner.stop()

    async def reconfigure(self, config: OrgConfig) -> None:
        """A config reload: the active adapter takes it now, a later takeover starts with it."""
        self.config = config
        if self.inner is not None:
            await self.inner.reconfigure(config)

    async def stop(self) -> None:
        """Stop watching, stop Matrix, give the lock to the standby."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self._deactivate()
        await self.lock.release()

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        """Send through the active adapter; a standby refuses (the sender does not ask it)."""
        inner = self.inner
        if inner is None:
            raise DeliveryError("Matrix is on standby on this instance", retry_after=5)
        return await inner.send(target, notice, outbox_id=outbox_id)
