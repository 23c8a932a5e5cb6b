"""The adapter contract and the outbox sender that delivers notices after commit."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bundling.bundler import Bundler
from bot.config.model import BundlingConfig
from bot.kernel import limits
from bot.kernel.batches import Batcher
from bot.kernel.clock import Clock
from bot.kernel.lanes import Lanes, Place
from bot.kernel.notices import Inbound, Notice, Target
from bot.kernel.observe import SILENT, DeliveryOutcome, Observer
from storage.instance_id import InstanceId
from storage.models import OutboxRow
from storage.repositories import instances, outbox

log = logging.getLogger(__name__)

InboundHandler = Callable[[Inbound], Awaitable[object]]


class DeliveryError(Exception):
    """A platform refused a notice; `retry_after` seconds if it said so; `permanent`: give up."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Adapter(Protocol):
    """What every platform adapter offers the core. One may also have `sending` (a bool):
    False while another instance sends for its platform (a Matrix standby)."""

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

    LEASE = timedelta(minutes=5)
    # Every instance beats this often; one not seen for DEAD_AFTER has its rows taken over
    # (a killed process's notices, a new ticket's team card included, wait seconds, not the
    # whole lease). The beat runs in its own task (`beat_forever`), so a slow send (Teams:
    # 30 s at most) never makes a live sender look dead.
    HEARTBEAT = timedelta(seconds=10)
    DEAD_AFTER = timedelta(seconds=30)
    BATCH = 10  # small, so that a slow platform cannot outlive the lease of a whole batch
    MAX_ATTEMPTS = 12
    MAX_BACKOFF = timedelta(hours=1)
    EXPRESS_AT_ONCE = 20  # turns whose replies are sent at once side by side; more: the round
    observer: Observer = SILENT  # the composition root sets the metrics one

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, Adapter],
        clock: Clock,
        instance_id: str | None = None,
        bundling: BundlingConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.bundler = Bundler(sessions, clock, bundling)  # no DM storms: held sweep DMs
        self.adapters = adapters
        self.clock = clock
        self.stopping = False  # set by a graceful stop: finish the current row, release the rest
        self.instance_id = instance_id or uuid.uuid4().hex
        self._beaten_at: datetime | None = None
        self._resume_before: datetime | None = None
        # What a round cut off by the database left behind, settled at the next round:
        self._unrecorded: dict[int, tuple[datetime | None, str | None]] = {}  # sent, not marked
        self._orphans: dict[int, datetime | None] = {}  # leased, never tried: hand back
        self._lost_claims: list[datetime] = []  # lease ends of claims whose commit failed
        # Waking the delivery round (bot.runtime.deliver_forever sets it); a commit that
        # wrote outbox rows calls it through `listen`.
        self.wake: Callable[[], None] = lambda: None
        # Per recipient, this process's sendings (a round's chain, a turn's immediate
        # send) one after another: none overtakes another.
        self._lanes = Lanes()
        self._express: set[asyncio.Task[int]] = set()
        self._recording: set[int] = set()  # sent, being marked delivered
        # Claims of turns' rows, and sends to record, that arrive while one transaction runs
        # share the next (bot/kernel/batches.py): a few transactions for twenty turns.
        self._claims: Batcher[list[int], list[_Claimed]] = Batcher(self._claim_written)
        self._marks: Batcher[tuple[int, str | None, datetime | None], None] = Batcher(
            self._record_sent
        )

    def take_identity(self, identity: InstanceId) -> None:
        """Lease under the instance's kept id. When it is `resumed`, the process that held it
        before is dead (its lock was free), so the first beat takes back at once what that
        process had leased, instead of waiting DEAD_AFTER for its heartbeat to age."""
        self.instance_id = identity.value
        self._resume_before = self.clock.now() + self.LEASE if identity.resumed else None

    async def beat(self) -> None:
        """Tell the other instances this one is alive (at most once per HEARTBEAT)."""
        now = self.clock.now()
        if self._beaten_at is not None and now - self._beaten_at < self.HEARTBEAT:
            return
        async with self.sessions() as session, session.begin():
            if self._beaten_at is None:  # starting: forget instances gone for a day
                await instances.forget_before(session, moment=now - timedelta(days=1))
                if self._resume_before is not None:  # leases from before: not this life's
                    taken = await outbox.release_leases(
                        session, holder=self.instance_id, leased_until_before=self._resume_before
                    )
                    if taken:
                        log.warning("took back %d notices a crash left leased", taken)
                    self._resume_before = None
            await instances.beat(session, instance_id=self.instance_id, now=now)
        self._beaten_at = now

    async def beat_forever(self) -> None:
        """Beat every HEARTBEAT until stopped; a failed beat (database away) is retried."""
        while not self.stopping:
            try:
                await self.beat()
            except Exception:
                log.warning("heartbeat failed; retrying", exc_info=True)
            await asyncio.sleep(self.HEARTBEAT.total_seconds())

    async def deliver_due(self, *, address: str | None = None, batch: int | None = None) -> int:
        """Deliver what is due now (optionally only to one address); returns how many succeeded.

        Each recipient's notices go out in order, one after another; different recipients'
        go out side by side, so ten requesters at once do not queue behind each other."""
        delivered = 0
        batch = batch or self.BATCH
        await self.beat()  # the shell and the CLI deliver without the beating task
        await self._settle()
        await self._bundle()
        while True:
            claimed = await self._claim(batch, address)
            if not claimed:
                return delivered
            chains: dict[Target, list[_Claimed]] = {}
            for row in claimed:
                chains.setdefault(row.target, []).append(row)
            unsettled = {row.id: row.leased_until for row in claimed}
            results = await asyncio.gather(
                *(self._chain_in_lane(chain, unsettled) for chain in chains.values()),
                return_exceptions=True,
            )
            for result in results:  # every chain has finished; now report what broke
                if isinstance(result, BaseException):
                    self._orphans.update(
                        (key, lease)
                        for key, lease in unsettled.items()
                        if key not in self._unrecorded
                    )
                    raise result
                delivered += result
            if len(claimed) < batch or self.stopping:
                return delivered

    async def _bundle(self) -> None:
        """Let the bundler decide on the held sweep DMs due now. A failed round (a deadlock
        between instances, the database away) leaves them held for the next round and does
        not stop the delivery of everything else."""
        try:
            await self.bundler.run(self.adapters)
        except Exception:
            log.warning("bundling held notices failed; retrying next round", exc_info=True)

    def sending_platforms(self) -> list[str]:
        """The platforms this instance sends for now: a Matrix standby leaves Matrix rows to
        the active instance, the only one logged in (adapters/matrix/leadership.py)."""
        adapters = self.adapters.items()
        return [name for name, adapter in adapters if getattr(adapter, "sending", True)]

    async def _claim(self, batch: int, address: str | None) -> list[_Claimed]:
        now = self.clock.now()
        try:
            async with self.sessions() as session, session.begin():
                rows = await outbox.claim_due(
                    session,
                    platforms=self.sending_platforms(),
                    now=now,
                    lease=self.LEASE,
                    limit=batch,
                    address=address,
                    holder=self.instance_id,
                    alive_since=now - self.DEAD_AFTER,
                )
                return [_Claimed.of(row) for row in rows]
        except Exception:  # the commit may have happened: its leases end exactly then
            self._lost_claims.append(now + self.LEASE)
            raise

    async def _settle(self) -> None:
        """After a round the database cut off: record the sends it could not record (never
        send them again), and hand back the rows it had leased but not tried, instead of
        leaving them leased for the whole LEASE while this instance lives on."""
        if not (self._unrecorded or self._orphans or self._lost_claims):
            return
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            for key, (lease, ref) in self._unrecorded.items():
                await outbox.mark_delivered(
                    session, outbox_id=key, at=now, message_ref=ref, leased_until=lease
                )
            for key, lease in self._orphans.items():
                await outbox.postpone(session, outbox_id=key, until=now, leased_until=lease)
            for lease_end in self._lost_claims:
                await outbox.release_claim(session, holder=self.instance_id, lease_until=lease_end)
        self._unrecorded.clear()
        self._orphans.clear()
        self._lost_claims.clear()

    # -- sending a turn's replies at once ---------------------------------------------

    def listen(self) -> Callable[[], None]:
        """Hear every commit on this sender's database that wrote outbox rows (see
        storage/repositories/outbox_wake.py); returns the function that stops listening."""
        return outbox.listen(self.sessions.kw["bind"], self.committed)

    def committed(self, commit: outbox.Commit) -> None:
        """A transaction wrote outbox rows and has committed. A turn's replies (`express`)
        are claimed by id and sent at once in a task of their own; anything else, or
        when EXPRESS_AT_ONCE turns are being sent already, wakes the delivery round."""
        if not commit.express or self.stopping or len(self._express) >= self.EXPRESS_AT_ONCE:
            self.wake()
            return
        platforms = self.sending_platforms()
        rows = [row for row in commit.rows if row.target.platform in platforms]
        if not rows:  # rows for platforms another instance sends for: its polling finds them
            return
        try:
            place = self._lanes.enter(dict.fromkeys(row.target for row in rows))
        except RuntimeError:  # no event loop (a synchronous caller): the round sends them
            self.wake()
            return
        task = asyncio.create_task(self._send_written(rows, place))
        self._express.add(task)
        task.add_done_callback(self._express.discard)
        commit.sends.append(task)

    async def finish_express(self) -> None:
        """Let the turns' sends under way end (a stop hands their untried rows back)."""
        while self._express:
            await asyncio.gather(*self._express, return_exceptions=True)

    async def _send_written(self, rows: list[outbox.Written], place: Place) -> int:
        """Claim and send one turn's rows, after whatever this process sends to the same
        recipients already. Rows another sender took, or that an earlier unsent notice to
        the same recipient holds back, are left to the round (woken here)."""
        delivered = 0
        unsettled: dict[int, datetime | None] = {}
        try:
            await place.turn()
            claimed = await self._claims.submit([row.id for row in rows])
            if len(claimed) < len(rows):
                self.wake()
            chains: dict[Target, list[_Claimed]] = {}
            for row in claimed:
                chains.setdefault(row.target, []).append(row)
            unsettled.update((row.id, row.leased_until) for row in claimed)
            marks: list[asyncio.Future[None]] = []
            results = await asyncio.gather(
                *(self._deliver_chain(chain, unsettled, marks) for chain in chains.values()),
                return_exceptions=True,
            )
            place.leave()  # sent: the next may go while these are recorded
            await _recorded(marks)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
                delivered += result
        except Exception:  # the database away: the round settles what was left
            self._orphans.update(
                (key, lease) for key, lease in unsettled.items() if key not in self._unrecorded
            )
            log.warning("sending a turn's replies at once failed; the round retries", exc_info=True)
            self.wake()
        finally:
            place.leave()
        return delivered

    async def _claim_written(self, batches: list[list[int]]) -> list[list[_Claimed]]:
        """Claim several turns' rows in one transaction; each turn gets its own back."""
        now = self.clock.now()
        try:
            async with self.sessions() as session, session.begin():
                rows = await outbox.claim_written(
                    session,
                    ids=[key for ids in batches for key in ids],
                    platforms=self.sending_platforms(),
                    now=now,
                    lease=self.LEASE,
                    holder=self.instance_id,
                    alive_since=now - self.DEAD_AFTER,
                    sent=[*self._recording, *self._unrecorded],
                )
                claimed = {row.id: _Claimed.of(row) for row in rows}
        except Exception:  # the commit may have happened: its leases end exactly then
            self._lost_claims.append(now + self.LEASE)
            raise
        return [[claimed[key] for key in ids if key in claimed] for ids in batches]

    async def _record_sent(self, sent: list[tuple[int, str | None, datetime | None]]) -> list[None]:
        """Mark several sent rows delivered in one transaction (each only while its lease
        holds: a row another sender took over stays his)."""
        async with self.sessions() as session, session.begin():
            await outbox.mark_delivered_many(session, delivered=sent, at=self.clock.now())
        return [None] * len(sent)

    async def _chain_in_lane(
        self, rows: list[_Claimed], unsettled: dict[int, datetime | None]
    ) -> int:
        """A round's chain, after what this process sends to the recipient already."""
        place = self._lanes.enter([rows[0].target])
        marks: list[asyncio.Future[None]] = []
        try:
            await place.turn()
            delivered = await self._deliver_chain(rows, unsettled, marks)
        finally:
            place.leave()
            await _recorded(marks)
        return delivered

    async def _deliver_chain(
        self,
        rows: list[_Claimed],
        unsettled: dict[int, datetime | None],
        marks: list[asyncio.Future[None]],
    ) -> int:
        """One recipient's rows in order; after a failure the rest wait for the failed one.
        Each row tried leaves `unsettled`; recording a sent one goes into `marks`."""
        delivered = 0
        blocked = False
        retry_at: datetime | None = None
        for row in rows:
            if self.stopping:  # hand the rest back now, not after the lease runs out
                await self._postpone(row, None)
            elif blocked:  # keep the order per recipient: wait for the failed earlier notice
                await self._postpone(row, retry_at)
            else:
                ok, retry_at = await self._deliver_one(row, marks)
                delivered += int(ok)
                blocked = not ok
            unsettled.pop(row.id, None)
        return delivered

    async def _deliver_one(
        self, row: _Claimed, marks: list[asyncio.Future[None]]
    ) -> tuple[bool, datetime | None]:
        adapter = self.adapters[row.target.platform]
        try:
            ref = await adapter.send(row.target, row.notice, outbox_id=row.id)
        except DeliveryError as error:
            return False, await self._failed(row, str(error), error.retry_after, error.permanent)
        except Exception as error:  # an adapter bug must not lose the notice
            log.exception("delivery of outbox row %s failed", row.id)
            return False, await self._failed(row, repr(error), None, False)
        self._recording.add(row.id)
        marks.append(asyncio.ensure_future(self._record(row, ref)))
        return True, None

    async def _record(self, row: _Claimed, ref: str | None) -> None:
        """Mark a sent row delivered (beside the next send: the platform has it already)."""
        try:
            kept = ref if limits.fits("message_ref", ref) else None
            await self._marks.submit((row.id, kept, row.leased_until))
        except Exception:  # sent: it must never go out again, only be recorded
            self._unrecorded[row.id] = (row.leased_until, ref)
            raise
        finally:
            self._recording.discard(row.id)
            self.observer.delivery(row.target.platform, "delivered")

    async def _failed(
        self, row: _Claimed, error: str, retry_after: float | None, permanent: bool
    ) -> datetime | None:
        retry_at = None
        if not permanent and row.attempts + 1 < self.MAX_ATTEMPTS:
            retry_at = self.clock.now() + backoff(row.attempts, retry_after, self.MAX_BACKOFF)
        outcome: DeliveryOutcome = "failed" if retry_at is None else "retry"
        retry = None if retry_at is None else retry_at.astimezone(UTC).isoformat()
        self.observer.delivery(row.target.platform, outcome)
        log.log(
            logging.WARNING if retry_at is None else logging.INFO,
            "delivery of outbox row %s to %s failed (%s); %s",
            row.id,
            row.target.platform,
            error[:200],
            "given up" if retry is None else f"retry at {retry}",
            extra={
                "event": "delivery_failed",
                "platform": row.target.platform,
                "outcome": outcome,
                "status": error[:200],
                "retry_at": retry,
                "instance": self.instance_id,
            },
        )
        async with self.sessions() as session, session.begin():
            await outbox.mark_failed(
                session,
                outbox_id=row.id,
                error=error,
                retry_at=retry_at,
                leased_until=row.leased_until,
            )
        return retry_at

    async def _postpone(self, row: _Claimed, until: datetime | None) -> None:
        async with self.sessions() as session, session.begin():
            await outbox.postpone(
                session,
                outbox_id=row.id,
                until=until or self.clock.now(),
                leased_until=row.leased_until,
            )


@dataclass(frozen=True)
class _Claimed:
    """An outbox row taken for delivery, detached from its session."""

    id: int
    target: Target
    notice: Notice
    attempts: int
    leased_until: datetime | None

    @classmethod
    def of(cls, row: OutboxRow) -> _Claimed:
        target = Target(row.platform, row.target_kind, row.target_address)  # type: ignore[arg-type]
        return cls(row.id, target, Notice.from_json(row.payload), row.attempts, row.lease_until)


async def _recorded(marks: list[asyncio.Future[None]]) -> None:
    """Wait until the sent rows are recorded; raise the first failure."""
    if marks:
        for result in await asyncio.gather(*marks, return_exceptions=True):
            if isinstance(result, BaseException):
                raise result


def backoff(attempts: int, retry_after: float | None, ceiling: timedelta) -> timedelta:
    """Exponential backoff with jitter; a platform's own retry-after wins when it is longer."""
    base = min(ceiling.total_seconds(), 2.0 * 2**attempts)
    delay = base / 2 + random.uniform(0, base / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)
