"""No DM storms (issue 16): many sweep DMs of one kind to one person become one message.

On SQLite and PostgreSQL, on a frozen clock: a thousand tickets missing their deadlines at
once reach each lead as a handful of messages, every step recorded once and every ticket
named exactly once per step; two instances sweeping and sending side by side; a sender
killed after the bundle was made; a bundler round that breaks off; and below the threshold
everything goes out at once, one notice per ticket, as before.
"""

from __future__ import annotations

import asyncio
import collections
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.local.adapter import LocalChatAdapter
from bot.bundling.bundler import Bundler
from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from storage.engine import make_sessionmaker
from storage.models import EscalationStepRow, OutboxRow
from storage.repositories import bundles, outbox
from tests.conftest import berlin
from tests.service.storm_support import (
    delivered_tickets,
    dms_by_kind,
    live_bot,
    received_dms,
)
from tests.service.sweep_support import Sessions, open_tickets, second_engine, sweep_until_quiet

REMINDER_TIME = berlin(2026, 11, 30, 13, 30)  # to the channel: the tickets are unclaimed
BREACH_TIME = berlin(2026, 11, 30, 15, 30)  # Monday: the reaction deadline of 09:00's tickets
ESCALATION_TIME = berlin(2026, 12, 1, 9, 30)  # after one more office hour
LEAD, LEADERSHIP = "kred.wagner", "leitung.hoffmann"
KIND_OF_ACTION = {"notify_lead": "breach", "escalate": "escalation", "repeat": "escalation_repeat"}


async def expected(sessions: Sessions) -> dict[str, collections.Counter[int]]:
    """Per DM kind: how many steps of that kind each ticket had recorded (sent, not missed)."""
    found: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    async with sessions() as session:
        rows = (await session.execute(select(EscalationStepRow))).scalars().all()
    for row in rows:
        kind = KIND_OF_ACTION.get(row.action)
        if kind is not None and not row.missed:
            found[kind][row.ticket_id] += 1
    return found


async def sweep_at(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, *moments: datetime
) -> None:
    """Sweep at each of these moments (a bot that runs, not one found late)."""
    for moment in moments:
        clock.set(moment)
        await Sweeper(config, sessions, clock).sweep()


def sender(sessions: Sessions, clock: FrozenClock, config: OrgConfig, name: str) -> OutboxSender:
    adapters = {"local": LocalChatAdapter(sessions, clock)}
    return OutboxSender(
        sessions, adapters, clock, instance_id=name, bundling=config.escalation.bundling
    )


async def deliver_to(box: OutboxSender, *addresses: str) -> None:
    for address in addresses:
        while await box.deliver_due(batch=500, address=address):
            pass


async def test_a_thousand_overdue_tickets_reach_each_lead_as_a_handful_of_messages(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await open_tickets(config, sessions, clock, 1000, topic="kreditoren")
    # The bot runs from Monday 09:00 to Thursday 18:00: deadline notices, escalations and
    # their three repeats all fall due for all thousand tickets at once.
    await live_bot(config, sessions, clock, berlin(2026, 12, 3, 18, 0), only=[LEAD, LEADERSHIP])
    steps = await expected(sessions)
    assert sum(steps["breach"].values()) == 2000  # reaction and resolution deadline
    assert sum(steps["escalation"].values()) == 1000
    assert sum(steps["escalation_repeat"].values()) == 3000
    lead, leadership = await dms_by_kind(sessions, LEAD), await dms_by_kind(sessions, LEADERSHIP)
    assert set(lead) == {"breach"} and lead["breach"] <= 5
    assert set(leadership) == {"escalation", "escalation_repeat"}
    assert max(leadership.values()) <= 5
    # Every step's ticket is named in exactly one delivered message: none lost, none twice.
    assert (await delivered_tickets(sessions, LEAD))["breach"] == steps["breach"]
    named = await delivered_tickets(sessions, LEADERSHIP)
    assert named["escalation"] == steps["escalation"]
    assert named["escalation_repeat"] == steps["escalation_repeat"]
    assert await received_dms(sessions, "leitung.meyer") == []
    async with sessions() as session:
        left = await session.scalars(
            select(OutboxRow.status).where(OutboxRow.bundle_kind.is_not(None))
        )
        assert set(left.all()) == {outbox.DELIVERED, outbox.BUNDLED}


async def test_two_instances_sweeping_and_sending_bundle_each_ticket_once(
    db: AsyncEngine, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await open_tickets(config, sessions, clock, 300, topic="kreditoren")
    other_db = await second_engine(db)
    try:
        other = make_sessionmaker(other_db)
        sweepers = [
            Sweeper(config, sessions, clock, batch_size=50),
            Sweeper(config, other, clock, batch_size=50),
        ]
        senders = [sender(sessions, clock, config, "a"), sender(other, clock, config, "b")]
        for moment in (REMINDER_TIME, BREACH_TIME, ESCALATION_TIME):
            clock.set(moment)
            sweeping = [asyncio.create_task(sweep_until_quiet(s)) for s in sweepers]
            while not all(task.done() for task in sweeping):  # send while the sweep runs
                await asyncio.gather(*(deliver_to(s, LEAD, LEADERSHIP) for s in senders))
                await asyncio.sleep(0)
            await asyncio.gather(*sweeping)
            # What a full window held (each batch's commit may have made a bundle of its
            # own meanwhile) goes out as one more bundle when the window ends.
            clock.advance(config.escalation.bundling.window)
            await asyncio.gather(*(deliver_to(s, LEAD, LEADERSHIP) for s in senders))
    finally:
        await other_db.dispose()
    steps = await expected(sessions)
    assert sum(steps["breach"].values()) == sum(steps["escalation"].values()) == 300
    assert (await delivered_tickets(sessions, LEAD))["breach"] == steps["breach"]
    assert (await delivered_tickets(sessions, LEADERSHIP))["escalation"] == steps["escalation"]
    assert (await dms_by_kind(sessions, LEAD))["breach"] <= 5
    assert (await dms_by_kind(sessions, LEADERSHIP))["escalation"] <= 5


async def test_a_bundle_leased_by_a_killed_sender_goes_out_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ids = await open_tickets(config, sessions, clock, 20, topic="kreditoren")
    await sweep_at(config, sessions, clock, REMINDER_TIME, BREACH_TIME)
    killed = sender(sessions, clock, config, "killed")
    await killed.beat()
    assert await Bundler(sessions, clock, config.escalation.bundling).run(["local"]) > 0
    async with sessions() as session, session.begin():  # it took the bundle, then died
        leased = await outbox.claim_due(
            session,
            platforms=["local"],
            now=clock.now(),
            lease=killed.LEASE,
            address=LEAD,
            holder="killed",
        )
    assert len(leased) == 1 and leased[0].payload["ticket_id"] is None  # the bundle
    survivor = sender(sessions, clock, config, "survivor")
    clock.advance(killed.DEAD_AFTER + timedelta(seconds=1))
    await deliver_to(survivor, LEAD)
    await deliver_to(survivor, LEAD)
    received = await received_dms(sessions, LEAD)
    assert [notice.title for notice in received] == ["20 Tickets haben ihre Frist überschritten"]
    assert (await delivered_tickets(sessions, LEAD))["breach"] == collections.Counter(ids)


async def test_a_bundler_round_that_breaks_off_changes_nothing(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await open_tickets(config, sessions, clock, 8, topic="kreditoren")
    await sweep_at(config, sessions, clock, REMINDER_TIME, BREACH_TIME)
    fold = bundles.fold

    async def crash(*args: object, **kwargs: object) -> None:
        raise ConnectionResetError("the database went away mid-round")

    monkeypatch.setattr(bundles, "fold", crash)
    box = sender(sessions, clock, config, "one")
    await deliver_to(box, LEAD)  # the bundler failed: nothing folded, nothing sent
    assert await received_dms(sessions, LEAD) == []
    async with sessions() as session:
        held = await session.scalars(select(OutboxRow).where(OutboxRow.status == outbox.HELD))
        assert len(held.all()) == 8
    monkeypatch.setattr(bundles, "fold", fold)
    await deliver_to(box, LEAD)
    received = await received_dms(sessions, LEAD)
    assert [notice.title for notice in received] == ["8 Tickets haben ihre Frist überschritten"]
    assert (await delivered_tickets(sessions, LEAD))["breach"] == collections.Counter(ids)


async def test_below_the_threshold_each_notice_goes_out_at_once_as_before(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ids = await open_tickets(config, sessions, clock, 3, topic="kreditoren")
    await sweep_at(config, sessions, clock, REMINDER_TIME, BREACH_TIME)
    await deliver_to(sender(sessions, clock, config, "one"), LEAD)  # no clock advance
    received = await received_dms(sessions, LEAD)
    assert [notice.ticket_id for notice in received] == ids
    assert all(notice.choices[0].id.startswith("history") for notice in received)


async def test_a_few_tickets_get_a_button_each_and_the_window_holds_the_next(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """Four at once: one message with four buttons. The window (threshold 3) then has room
    for two more messages; after that, new notices wait for the window's end."""
    ids = await open_tickets(config, sessions, clock, 4, topic="kreditoren")
    await sweep_at(config, sessions, clock, REMINDER_TIME, BREACH_TIME)
    box = sender(sessions, clock, config, "one")
    await deliver_to(box, LEAD)
    (bundle,) = await received_dms(sessions, LEAD)
    assert bundle.title == "4 Tickets haben ihre Frist überschritten"
    assert [choice.label for choice in bundle.choices] == [f"Nr. {i}: Verlauf" for i in ids]
    assert "/ueberfaellig" not in bundle.text
    # The leadership's escalations an hour later, one kind after the other, fill the window.
    await sweep_at(config, sessions, clock, ESCALATION_TIME)
    await deliver_to(box, LEADERSHIP)
    (escalations,) = await received_dms(sessions, LEADERSHIP)
    assert escalations.title == "Eskalation: 4 Tickets"
    assert len(escalations.choices) == 4 and escalations.choices[0].label.endswith(
        "Zur Kenntnis nehmen"
    )
