"""The outbox sender: delivers after commit, retries with backoff, never loses or doubles."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.local.adapter import LocalChatAdapter
from bot.delivery import DeliveryError, InboundHandler, OutboxSender, backoff
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.instance_id import claim_instance_id
from storage.models import OutboxRow
from storage.repositories import local_chat, outbox

Sessions = async_sessionmaker[AsyncSession]


class FlakyAdapter:
    """Fails as scripted, then accepts; records what it accepted."""

    platform = "matrix"

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.sent: list[tuple[Target, str, int]] = []

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((target, notice.text, outbox_id))
        return f"$event{outbox_id}"


ANNA = "@anna:stadt.example"


async def _enqueue(sessions: Sessions, clock: FrozenClock, text: str, to: str = ANNA) -> None:
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            target=Target("matrix", "user", to),
            payload=Notice(text=text).to_json(),
            at=clock.now(),
        )


async def _row(sessions: Sessions) -> OutboxRow:
    async with sessions() as session:
        row: OutboxRow | None = await session.scalar(select(OutboxRow))
        assert row is not None
        return row


async def test_delivers_once_and_records_the_message_ref(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = FlakyAdapter([])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    await _enqueue(sessions, clock, "Hallo")
    assert await sender.deliver_due() == 1
    assert await sender.deliver_due() == 0
    assert [text for _, text, _ in adapter.sent] == ["Hallo"]
    row = await _row(sessions)
    assert (row.status, row.message_ref) == ("delivered", f"$event{row.id}")


async def test_retries_with_backoff_and_respects_retry_after(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = FlakyAdapter(
        [DeliveryError("429", retry_after=90), ConnectionError("homeserver down")]
    )
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    await _enqueue(sessions, clock, "Hallo")
    assert await sender.deliver_due() == 0
    row = await _row(sessions)
    assert row.attempts == 1 and row.next_attempt_at >= clock.now() + timedelta(seconds=90)
    clock.advance(timedelta(seconds=60))
    assert await sender.deliver_due() == 0  # not yet due
    clock.advance(timedelta(seconds=31))
    assert await sender.deliver_due() == 0  # the unexpected error: kept, retried later
    assert (await _row(sessions)).last_error is not None
    clock.advance(timedelta(minutes=5))
    assert await sender.deliver_due() == 1
    assert len(adapter.sent) == 1 and (await _row(sessions)).status == "delivered"


async def test_permanent_failure_is_kept_as_failed(sessions: Sessions, clock: FrozenClock) -> None:
    adapter = FlakyAdapter([DeliveryError("user unknown", permanent=True)])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    await _enqueue(sessions, clock, "Hallo")
    await sender.deliver_due()
    clock.advance(timedelta(days=1))
    assert await sender.deliver_due() == 0
    row = await _row(sessions)
    assert (row.status, row.last_error) == ("failed", "user unknown")


async def test_crash_after_send_does_not_double_a_local_message(
    sessions: Sessions, clock: FrozenClock, db: AsyncEngine
) -> None:
    """A sender that delivered but died before marking the row: the retry is idempotent."""
    local = LocalChatAdapter(sessions, clock)
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            target=Target("local", "user", "anna"),
            payload=Notice("x").to_json(),
            at=clock.now(),
        )
    row_id = (await _row(sessions)).id
    await local.send(Target("local", "user", "anna"), Notice("x"), outbox_id=row_id)  # then crash
    sender = OutboxSender(sessions, {"local": local}, clock)
    assert await sender.deliver_due() == 1
    async with sessions() as session:
        messages = await local_chat.messages_after(session, conversations=["user:anna"], after_id=0)
    assert len(messages) == 1


def test_backoff_grows_and_is_capped() -> None:
    ceiling = timedelta(hours=1)
    first = backoff(0, None, ceiling)
    assert timedelta(seconds=1) <= first <= timedelta(seconds=2)
    assert backoff(5, None, ceiling) >= timedelta(seconds=32)
    assert backoff(30, None, ceiling) <= ceiling
    assert backoff(0, 120.0, ceiling) == timedelta(seconds=120)


@pytest.fixture
def seeded() -> Iterator[None]:
    """A seeded `random` (the jitter), restored afterwards."""
    state = random.getstate()
    random.seed(20261127)
    yield
    random.setstate(state)


def test_backoff_jitter_varies_within_its_band_and_is_bounded(seeded: None) -> None:
    ceiling = timedelta(hours=1)
    for attempts in range(15):
        band = min(ceiling.total_seconds(), 2.0 * 2**attempts)  # 2, 4, 8, ... s, at most 1 h
        delays = [backoff(attempts, None, ceiling).total_seconds() for _ in range(200)]
        assert all(band / 2 <= delay <= band for delay in delays), attempts
        assert len(set(delays)) >= 195  # jitter: hardly two retries at the same moment
        assert max(delays) - min(delays) >= 0.4 * band  # spread over the band, not clustered
    random.seed(7)
    first = [backoff(3, None, ceiling) for _ in range(5)]
    random.seed(7)
    assert [backoff(3, None, ceiling) for _ in range(5)] == first  # seeded: reproducible
    # A longer Retry-After wins as it is; a shorter one does not shorten the backoff.
    assert backoff(2, 600.0, ceiling) == timedelta(seconds=600)
    assert timedelta(seconds=4) <= backoff(2, 0.5, ceiling) <= timedelta(seconds=8)


async def test_recipients_failing_together_retry_at_different_moments(
    sessions: Sessions, clock: FrozenClock, seeded: None
) -> None:
    """The sender applies the jitter: ten recipients refused by one 429 storm do not all
    come back in the same instant."""
    adapter = FlakyAdapter([DeliveryError("429") for _ in range(10)])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    for number in range(10):
        await _enqueue(sessions, clock, "Hallo", to=f"@user{number}:stadt.example")
    assert await sender.deliver_due() == 0
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow))).all()
    now = clock.now()
    waits = [
        (_aware(row.next_attempt_at) - now).total_seconds() for row in rows if row.attempts == 1
    ]
    assert len(waits) == 10
    assert all(1.0 <= wait <= 2.0 for wait in waits), waits
    assert len(set(waits)) == 10


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def test_a_failed_notice_holds_back_later_ones_to_the_same_recipient(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = FlakyAdapter([DeliveryError("502")])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    for text in ("erste", "zweite"):
        await _enqueue(sessions, clock, text)
    assert await sender.deliver_due() == 0
    assert adapter.sent == []  # "zweite" waited for "erste"
    clock.advance(timedelta(minutes=1))
    assert await sender.deliver_due() == 2
    assert [text for _, text, _ in adapter.sent] == ["erste", "zweite"]


class SlowAdapter(FlakyAdapter):
    """Takes its time per notice and records when each send started and ended."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__([])
        self.failing = failing
        self.log: list[str] = []

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        self.log.append(f"{notice.text}>")
        await asyncio.sleep(0.05)
        self.log.append(f"{notice.text}<")
        if notice.text in self.failing:
            raise DeliveryError("502")
        return await super().send(target, notice, outbox_id=outbox_id)


async def test_recipients_are_served_side_by_side_each_in_order(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = SlowAdapter(failing={"b1"})
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    for text, to in (
        ("a1", ANNA),
        ("b1", "@ben:x"),
        ("a2", ANNA),
        ("b2", "@ben:x"),
        ("c1", "@c:x"),
    ):
        await _enqueue(sessions, clock, text, to)
    assert await sender.deliver_due() == 3
    # Three recipients at once; Anna's second notice only after her first was accepted.
    assert adapter.log[:3] == ["a1>", "b1>", "c1>"]
    assert adapter.log.index("a2>") > adapter.log.index("a1<")
    # Ben's first failed: his second waits for it, the others were not held up.
    assert [text for _, text, _ in adapter.sent] == ["a1", "c1", "a2"]
    adapter.failing.clear()
    clock.advance(timedelta(minutes=1))
    assert await sender.deliver_due() == 2
    assert [text for _, text, _ in adapter.sent][3:] == ["b1", "b2"]


async def test_a_late_sender_cannot_overwrite_a_delivered_row(
    sessions: Sessions, clock: FrozenClock
) -> None:
    await _enqueue(sessions, clock, "x")
    async with sessions() as session, session.begin():
        (row,) = await outbox.claim_due(
            session, platforms=["matrix"], now=clock.now(), lease=timedelta(minutes=1)
        )
        first_lease, row_id = row.lease_until, row.id
    clock.advance(timedelta(minutes=2))  # the lease ran out: another sender takes over
    async with sessions() as session, session.begin():
        (again,) = await outbox.claim_due(
            session, platforms=["matrix"], now=clock.now(), lease=timedelta(minutes=1)
        )
        assert await outbox.mark_delivered(
            session,
            outbox_id=row_id,
            at=clock.now(),
            message_ref="$b",
            leased_until=again.lease_until,
        )
    async with sessions() as session, session.begin():
        assert not await outbox.mark_delivered(
            session, outbox_id=row_id, at=clock.now(), message_ref="$a", leased_until=first_lease
        )
        await outbox.mark_failed(
            session, outbox_id=row_id, error="late", retry_at=None, leased_until=first_lease
        )
    row_now = await _row(sessions)
    assert (row_now.status, row_now.message_ref) == ("delivered", "$b")


async def test_a_killed_senders_batch_goes_out_within_seconds(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Repro (issue 14): notices leased by a process killed mid-batch (a new ticket's team
    card among them) waited the whole 5-minute lease. The live instance takes them over
    once the dead one has missed its heartbeats for DEAD_AFTER."""
    for text in ("Neues Ticket Nr. 1", "Neues Ticket Nr. 2"):
        await _enqueue(sessions, clock, text)
    killed = OutboxSender(sessions, {"matrix": FlakyAdapter([])}, clock, instance_id="killed")
    await killed.beat()
    async with sessions() as session, session.begin():  # it leased the batch, then died
        now = clock.now()
        leased = await outbox.claim_due(
            session, platforms=["matrix"], now=now, lease=killed.LEASE, holder="killed"
        )
    assert len(leased) == 2
    adapter = FlakyAdapter([])
    survivor = OutboxSender(sessions, {"matrix": adapter}, clock, instance_id="survivor")
    clock.advance(killed.DEAD_AFTER - timedelta(seconds=5))
    assert await survivor.deliver_due() == 0  # the holder may still be sending
    clock.advance(timedelta(seconds=6))
    assert await survivor.deliver_due() == 2
    assert [text for _, text, _ in adapter.sent] == ["Neues Ticket Nr. 1", "Neues Ticket Nr. 2"]
    assert clock.now() - leased[0].created_at < killed.LEASE  # long before the lease ran out


async def test_a_restarted_instance_takes_back_its_own_leases_at_once(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path
) -> None:
    """The same instance started again (its id kept in the data directory) need not wait
    DEAD_AFTER for its previous life: that life's leases go back at the first beat, while a
    lease this life takes is never released by it."""
    for text in ("Antwort 1", "Antwort 2"):
        await _enqueue(sessions, clock, text)
    first = claim_instance_id(tmp_path)
    assert not first.resumed
    await OutboxSender(sessions, {}, clock, instance_id=first.value).beat()  # alive
    async with sessions() as session, session.begin():  # leased, then killed -9
        await outbox.claim_due(
            session,
            platforms=["matrix"],
            now=clock.now(),
            lease=timedelta(minutes=5),
            holder=first.value,
        )
    first.release()  # the process is gone: the lock on the id file with it
    clock.advance(timedelta(seconds=1))  # the restart
    again = claim_instance_id(tmp_path)
    assert (again.value, again.resumed) == (first.value, True)
    adapter = FlakyAdapter([])
    restarted = OutboxSender(sessions, {"matrix": adapter}, clock)
    restarted.take_identity(again)
    assert await restarted.deliver_due() == 2  # no DEAD_AFTER wait
    assert [text for _, text, _ in adapter.sent] == ["Antwort 1", "Antwort 2"]
    again.release()


def test_a_live_instance_id_is_never_shared(tmp_path: Path) -> None:
    held = claim_instance_id(tmp_path)
    second = claim_instance_id(tmp_path)  # a second shell on the same data directory
    assert second.value != held.value and not second.resumed
    held.release()
    assert claim_instance_id(tmp_path).value == held.value
