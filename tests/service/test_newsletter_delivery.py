"""A newsletter to F4 reaches every F4 subscriber once and nobody outside F4: throttled in
batches, with two instances, and when the sending process is killed halfway (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.newsletter.sending import BATCH_SIZE, NewsletterDispatcher
from storage.engine import make_sessionmaker
from storage.models import NewsletterDeliveryRow, NewsletterRow
from tests.harness import Harness, texts
from tests.service.newsletter_support import (
    AUTHOR,
    compose,
    deliver_all,
    dispatch_all,
    received,
    subscribe,
)
from tests.service.sweep_support import Sessions, second_engine
from tests.service.test_sweep_exactly_once import child_database

ROOT = Path(__file__).resolve().parents[2]
F4_ONLY = [f"f4.{i}" for i in range(17)]
ENGLISH = "f4.english"  # an F4 subscriber who reads English
F4_AND_KERN = [f"beide.{i}" for i in range(7)]
KERN_ONLY = [f"kern.{i}" for i in range(5)]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def seed_and_send(hotline: Harness, sessions: Sessions, clock: FrozenClock) -> None:
    """30 subscribers (25 of them in F4), and a confirmed newsletter to F4."""
    for user in F4_ONLY:
        await subscribe(sessions, clock, user, "f4")
    await subscribe(sessions, clock, ENGLISH, "f4", locale="en")
    for user in F4_AND_KERN:
        await subscribe(sessions, clock, user, "f4", "kern")
    for user in KERN_ONLY:
        await subscribe(sessions, clock, user, "kern")
    assert "Empfangende: 25 " in await compose(hotline)
    assert "(Empfangende: 25)" in texts(await hotline.say(AUTHOR, "Ja, senden"))


async def assert_f4_got_it_once(sessions: Sessions) -> None:
    for user in [*F4_ONLY, ENGLISH, *F4_AND_KERN]:
        assert await received(sessions, user) == ["Jahresabschluss"], user
    for user in KERN_ONLY:
        assert await received(sessions, user) == [], user


async def test_every_f4_subscriber_once_in_throttled_batches(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_and_send(hotline, sessions, clock)
    dispatcher = NewsletterDispatcher(config, sessions, clock)
    assert await dispatcher.dispatch_due() == BATCH_SIZE
    assert await dispatcher.dispatch_due() == 0  # the throttle: one batch per gap
    clock.advance(timedelta(seconds=30))
    assert await dispatcher.dispatch_due() == 0
    clock.advance(timedelta(seconds=30))
    assert await dispatcher.dispatch_due() == BATCH_SIZE
    assert await dispatch_all(config, sessions, clock) == 25 - 2 * BATCH_SIZE
    await deliver_all(sessions, clock)
    await assert_f4_got_it_once(sessions)
    [german] = await received(sessions, F4_ONLY[0], field="text")
    assert german.endswith(
        "Newsletter der Kundenbetreuung und Buchhaltung für Dezentrale Einrichtungen F4."
        " Abonnements ändern: /newsletter"
    )
    [english] = await received(sessions, ENGLISH, field="text")
    assert english.startswith("Bitte buchen Sie alle Rechnungen bis zum 15.12.\n\n")
    assert english.endswith(
        "Newsletter from customer care and accounting for Decentralised facilities F4. "
        "Change your subscriptions: /newsletter"
    )
    done = texts(await hotline.dm(AUTHOR))
    assert "Newsletter Nr. 1 „Jahresabschluss“ ist an alle verschickt (Empfangende: 25)." in done
    assert await dispatch_all(config, sessions, clock) == 0  # nothing more, no second notice
    assert await hotline.dm(AUTHOR) == []
    async with sessions() as session:
        row = (await session.scalars(select(NewsletterRow))).one()
        deliveries = (await session.scalars(select(NewsletterDeliveryRow))).all()
    assert row.status == "sent" and row.sent_at is not None
    assert len(deliveries) == 25 and {d.status for d in deliveries} == {"queued"}


async def test_two_instances_dispatch_each_recipient_once(
    db: AsyncEngine, hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_and_send(hotline, sessions, clock)
    other_db = await second_engine(db)
    try:
        other = make_sessionmaker(other_db)
        instances = [
            NewsletterDispatcher(config, sessions, clock, batch_size=4),
            NewsletterDispatcher(config, other, clock, batch_size=4),
        ]
        for _ in range(20):
            clock.advance(timedelta(minutes=1))
            counts = await asyncio.gather(*(d.dispatch_due() for d in instances))
            assert sum(counts) <= 4  # the throttle holds across instances
        await asyncio.gather(deliver_all(sessions, clock), deliver_all(other, clock))
    finally:
        await other_db.dispose()
    await assert_f4_got_it_once(sessions)
    assert len(await hotline.dm(AUTHOR)) == 1


async def test_a_sender_killed_halfway_resumes_without_doubles_or_losses(
    db: AsyncEngine, hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_and_send(hotline, sessions, clock)
    # A real bot process commits one batch, then is killed with SIGKILL in the middle of
    # the next one (some of its outbox rows written, its transaction not committed).
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.service.newsletter_child",
        clock.now().isoformat(),
        cwd=ROOT,
        env={**os.environ, **await child_database(db)},
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    first = await asyncio.wait_for(child.stdout.readline(), 60)
    assert first.decode().strip() == f"dispatched {BATCH_SIZE}"
    second = await asyncio.wait_for(child.stdout.readline(), 60)
    assert second.decode().strip() == "halfway"
    child.send_signal(signal.SIGKILL)
    await child.wait()
    async with sessions() as session:
        statuses = (await session.scalars(select(NewsletterDeliveryRow.status))).all()
    assert sorted(statuses).count("queued") == BATCH_SIZE  # the half batch left no trace

    # After the restart: this process dispatches the rest; the senders deliver.
    assert await dispatch_all(config, sessions, clock) == 25 - BATCH_SIZE
    await deliver_all(sessions, clock)
    await deliver_all(sessions, clock)
    await assert_f4_got_it_once(sessions)
    assert len(await hotline.dm(AUTHOR)) == 1
