"""A turn's replies are sent as soon as their transaction commits (issue 19), and every
commit that writes outbox rows wakes the sender; the outbox row stays the record and the
retry path. On SQLite and PostgreSQL through the `sessions` fixture."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.delivery import DeliveryError, InboundHandler, OutboxSender
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.models import OutboxRow
from storage.repositories import outbox
from tests.harness import Harness

Sessions = async_sessionmaker[AsyncSession]
ANNA = Target("matrix", "user", "@anna:stadt.example")
BEN = Target("matrix", "user", "@ben:stadt.example")


class Recorder:
    """Accepts every notice after `delay` seconds (a gate, when set, holds sends back);
    fails the texts in `failing` once each."""

    platform = "matrix"

    def __init__(self, delay: float = 0.0, failing: set[str] | None = None) -> None:
        self.delay = delay
        self.failing = failing or set()
        self.sent: list[tuple[str, int]] = []
        self.started: list[str] = []
        self.gate: asyncio.Event | None = None
        self.began = asyncio.Event()  # set when a send started

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        self.started.append(notice.text)
        self.began.set()
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(self.delay)
        if notice.text in self.failing:
            self.failing.discard(notice.text)
            raise DeliveryError("502")
        self.sent.append((notice.text, outbox_id))
        return f"$event{outbox_id}"


async def _write(
    sessions: Sessions,
    clock: FrozenClock,
    *texts: str,
    to: Target = ANNA,
    express: bool = False,
) -> outbox.Commit | None:
    """One transaction writing `texts` to `to`; `express`: a turn's replies."""
    commit = None
    async with sessions() as session, session.begin():
        for text in texts:
            await outbox.enqueue(
                session, target=to, payload=Notice(text=text).to_json(), at=clock.now()
            )
        if express:
            commit = outbox.express(session)
    return commit


async def _sent(commit: outbox.Commit | None) -> None:
    assert commit is not None and commit.sends, "no send started at commit"
    await asyncio.gather(*commit.sends)


async def _statuses(sessions: Sessions) -> list[tuple[str, int]]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        return [(row.status, row.attempts) for row in rows]


async def _sender(
    sessions: Sessions, clock: FrozenClock, adapter: Recorder, name: str
) -> tuple[OutboxSender, list[str]]:
    """A listening sender whose round wake-ups are counted."""
    sender = OutboxSender(sessions, {"matrix": adapter}, clock, instance_id=name)
    wakes: list[str] = []
    sender.wake = lambda: wakes.append(name)
    sender.listen()
    await sender.beat()
    return sender, wakes


async def test_a_turns_replies_go_out_at_commit_without_a_round(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = Recorder()
    sender, wakes = await _sender(sessions, clock, adapter, "one")
    commit = await _write(sessions, clock, "Worum geht es?", "Nr. 7", express=True)
    await _sent(commit)
    assert [text for text, _ in adapter.sent] == ["Worum geht es?", "Nr. 7"]
    assert await _statuses(sessions) == [("delivered", 0), ("delivered", 0)]
    assert wakes == []  # all sent: the round was not needed
    assert await sender.deliver_due() == 0


async def test_every_other_writer_wakes_the_round_after_commit_only(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Sweep, newsletter, workshop jobs: their commits wake the round; a rollback does not,
    nor does a transaction that has not committed yet. A bulk insert calls the hook."""
    adapter = Recorder()
    _, wakes = await _sender(sessions, clock, adapter, "one")
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session, target=ANNA, payload=Notice(text="x").to_json(), at=clock.now()
        )
        assert wakes == []
    assert wakes == ["one"]
    try:
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session, target=ANNA, payload=Notice(text="y").to_json(), at=clock.now()
            )
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    async with sessions() as session, session.begin():  # nothing to write: no wake
        pass
    assert wakes == ["one"]
    async with sessions() as session, session.begin():
        values = {
            "created_at": clock.now(),
            "platform": "matrix",
            "target_kind": "user",
            "target_address": BEN.address,
            "payload": Notice(text="bulk").to_json(),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": clock.now(),
        }
        await session.execute(insert(OutboxRow), [values, values])
        outbox.wake_after_commit(session)
    assert wakes == ["one", "one"]
    assert adapter.sent == []  # not a turn's replies: the round sends them


async def test_two_senders_deliver_each_reply_exactly_once(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Two senders hear every commit (the worst case) while both run rounds: each row goes
    out once, and each recipient's notices in the order written."""
    adapters = [Recorder(delay=0.001), Recorder(delay=0.001)]
    senders = [
        (await _sender(sessions, clock, adapter, name))[0]
        for adapter, name in zip(adapters, ("one", "two"), strict=True)
    ]
    users = [Target("matrix", "user", f"@u{n}:x") for n in range(4)]
    commits = []
    for turn in range(6):
        for user in users:
            commits.append(
                await _write(sessions, clock, f"{user.address} {turn}", to=user, express=True)
            )
        await asyncio.gather(*(sender.deliver_due() for sender in senders))
    await asyncio.gather(*(task for c in commits if c is not None for task in c.sends))
    while sum(await asyncio.gather(*(sender.deliver_due() for sender in senders))):
        pass
    ids = [row_id for adapter in adapters for _, row_id in adapter.sent]
    assert len(ids) == 24 and Counter(ids).most_common(1)[0][1] == 1
    assert {status for status, _ in await _statuses(sessions)} == {"delivered"}
    for user in users:  # one process's sends to one recipient follow the order written
        for adapter in adapters:
            turns = [int(t.split()[1]) for t, _ in adapter.sent if t.startswith(user.address)]
            assert turns == sorted(turns)


async def test_a_reply_waits_for_an_earlier_notice_being_sent(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """A sweep notice to Anna is on its way (the round sends it, slowly) when her turn's
    reply commits: the reply goes out after it, never before."""
    adapter = Recorder()
    adapter.gate = asyncio.Event()
    sender, _wakes = await _sender(sessions, clock, adapter, "one")
    await _write(sessions, clock, "Erinnerung")
    round_ = asyncio.create_task(sender.deliver_due())
    await adapter.began.wait()
    commit = await _write(sessions, clock, "Antwort", express=True)
    assert commit is not None and len(commit.sends) == 1
    for _ in range(50):  # give the reply's task every chance to overtake
        await asyncio.sleep(0)
    assert adapter.started == ["Erinnerung"]  # the reply waits in line
    assert not commit.sends[0].done()
    adapter.gate.set()
    await round_
    await _sent(commit)
    assert [text for text, _ in adapter.sent] == ["Erinnerung", "Antwort"]


async def test_a_reply_never_overtakes_an_earlier_unsent_notice(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """An earlier notice to Anna waits for its retry: the immediate send leaves the reply
    to the round (woken), and Ben's reply is not held up by Anna's. (The round itself
    claims what is due, as before: run before the retry is due, it would send the reply.)"""
    adapter = Recorder(failing={"Erinnerung"})
    sender, wakes = await _sender(sessions, clock, adapter, "one")
    await _write(sessions, clock, "Erinnerung")
    assert await sender.deliver_due() == 0  # failed: retried later
    wakes.clear()
    await _sent(await _write(sessions, clock, "Antwort an Ben", to=BEN, express=True))
    await _sent(await _write(sessions, clock, "Antwort an Anna", express=True))
    assert [text for text, _ in adapter.sent] == ["Antwort an Ben"]
    assert wakes == ["one"]  # Anna's reply is the round's now
    clock.advance(timedelta(minutes=1))
    assert await sender.deliver_due() == 2
    assert [text for text, _ in adapter.sent] == ["Antwort an Ben", "Erinnerung", "Antwort an Anna"]


async def test_a_reply_never_overtakes_an_earlier_one_a_round_leased_meanwhile(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Two turns' replies to one person claimed together, the earlier one leased by another
    instance's round in between: the later one waits for that round, it is not sent now."""
    first = await _write(sessions, clock, "erste Antwort", express=True)
    second = await _write(sessions, clock, "zweite Antwort", express=True)
    assert first is not None and second is not None
    ids = [row.id for row in (*first.rows, *second.rows)]
    await OutboxSender(sessions, {"matrix": Recorder()}, clock, instance_id="other").beat()
    async with sessions() as session, session.begin():  # the other instance's round
        await session.execute(
            OutboxRow.__table__.update()
            .where(OutboxRow.id == ids[0])
            .values(lease_until=clock.now() + timedelta(seconds=30), lease_holder="other")
        )
    async with sessions() as session, session.begin():
        claimed = await outbox.claim_written(
            session,
            ids=ids,
            platforms=["matrix"],
            now=clock.now(),
            lease=timedelta(seconds=30),
            holder="this",
            alive_since=clock.now() - timedelta(seconds=30),
        )
    assert claimed == []


async def test_a_failed_immediate_send_is_retried_by_the_round(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = Recorder(failing={"Antwort"})
    sender, _wakes = await _sender(sessions, clock, adapter, "one")
    await _sent(await _write(sessions, clock, "Antwort", express=True))
    assert adapter.sent == []
    assert await _statuses(sessions) == [("pending", 1)]
    assert await sender.deliver_due() == 0  # its backoff holds
    clock.advance(timedelta(minutes=1))
    assert await sender.deliver_due() == 1
    assert [text for text, _ in adapter.sent] == ["Antwort"]
    assert await _statuses(sessions) == [("delivered", 1)]


async def test_a_crash_after_commit_leaves_the_reply_to_any_sender(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """The process died after the turn's commit: before it claimed the reply (nobody
    listened), or after it claimed it but before sending. Another instance sends both."""
    await _write(sessions, clock, "vor dem Claim", express=True)  # no sender heard it
    crashed = OutboxSender(sessions, {"matrix": Recorder()}, clock, instance_id="crashed")
    await crashed.beat()
    commit = await _write(sessions, clock, "nach dem Claim", to=BEN, express=True)
    assert commit is not None and not commit.sends
    async with sessions() as session, session.begin():
        claimed = await outbox.claim_written(
            session,
            ids=[row.id for row in commit.rows],
            platforms=["matrix"],
            now=clock.now(),
            lease=crashed.LEASE,
            holder="crashed",
            alive_since=clock.now() - crashed.DEAD_AFTER,
        )
    assert len(claimed) == 1  # then killed before sending
    adapter = Recorder()
    survivor = OutboxSender(sessions, {"matrix": adapter}, clock, instance_id="survivor")
    assert await survivor.deliver_due() == 1  # the unclaimed one at once
    clock.advance(crashed.DEAD_AFTER + timedelta(seconds=1))
    assert await survivor.deliver_due() == 1  # the claimed one once its holder is gone
    assert [text for text, _ in adapter.sent] == ["vor dem Claim", "nach dem Claim"]


async def test_a_stopping_sender_leaves_replies_to_the_round(
    sessions: Sessions, clock: FrozenClock
) -> None:
    adapter = Recorder()
    sender, wakes = await _sender(sessions, clock, adapter, "one")
    sender.stopping = True
    commit = await _write(sessions, clock, "Antwort", express=True)
    assert commit is not None and not commit.sends
    assert wakes == ["one"]
    assert await _statuses(sessions) == [("pending", 0)]


class LocalRecorder(Recorder):
    platform = "local"


async def test_a_turns_replies_are_sent_when_the_turn_returns(
    sessions: Sessions, clock: FrozenClock, config: OrgConfig
) -> None:
    """The engine marks its replies: sent at commit; with `replies_in_turn` (for the
    platform) `handle` returns only once they were sent. Duplicates send nothing."""
    adapter = LocalRecorder()
    sender = OutboxSender(sessions, {"local": adapter}, clock, instance_id="one")
    wakes: list[str] = []
    sender.wake = lambda: wakes.append("round")
    sender.listen()
    await sender.beat()
    hotline = Harness(config, sessions, clock)
    hotline.engine.replies_in_turn = frozenset({"local"})
    await hotline.say("anna", "Hallo", event_id="ev-express-1")
    sent = [text for text, _ in adapter.sent]
    assert any(t("intake.ask_group", "de") in text for text in sent), sent
    await hotline.say("anna", "Hallo", event_id="ev-express-1")  # the same event again
    assert len(adapter.sent) == len(sent)
    assert wakes == []
    assert {status for status, _ in await _statuses(sessions)} == {"delivered"}
