"""Exactly once: two instances, a crash between claim and send, a bot that was down.

Run on SQLite and on PostgreSQL; the two-instance test is the one that matters most on
PostgreSQL, where instances really run side by side.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.local.adapter import LocalChatAdapter
from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.escalation.digest import Digests
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.reports import chart, chart_process
from storage.engine import make_sessionmaker
from storage.models import LocalMessageRow, TicketRow
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.storm_support import delivered_tickets
from tests.service.sweep_support import (
    Sessions,
    open_tickets,
    outbox_count,
    second_engine,
    step_keys,
    sweep_until_quiet,
)

ROOT = Path(__file__).resolve().parents[2]
REMINDER_TIME = berlin(2026, 11, 30, 13, 30)  # 2 office hours before Monday 15:30


async def local_messages(sessions: Sessions, conversation: str) -> int:
    """Messages the local chat platform received in a conversation."""
    async with sessions() as session:
        query = select(func.count()).select_from(LocalMessageRow)
        query = query.where(LocalMessageRow.conversation == conversation)
        return int(await session.scalar(query) or 0)


async def deliver_all(sessions: Sessions, clock: FrozenClock) -> None:
    """What the outbox sender of any instance does after the commit."""
    sender = OutboxSender(sessions, {"local": LocalChatAdapter(sessions, clock)}, clock)
    while await sender.deliver_due(batch=500):
        pass


async def test_two_instances_send_each_reminder_once(
    db: AsyncEngine, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ids = await open_tickets(config, sessions, clock, 1000, topic="kreditoren")
    await deliver_all(sessions, clock)  # the tickets' cards
    other_db = await second_engine(db)
    try:
        other = make_sessionmaker(other_db)
        clock.set(REMINDER_TIME)
        first = Sweeper(config, sessions, clock, batch_size=100)
        second = Sweeper(config, other, clock, batch_size=100)
        reports = await asyncio.gather(sweep_until_quiet(first), sweep_until_quiet(second))
        assert sum(report.fired for report in reports) == 1000
        keys = await step_keys(sessions)
        assert len(keys) == len(set(keys)) == 1000
        assert {key.split(":")[0] for key in keys} == {f"t{i}" for i in ids}
        assert all(key.endswith(":erinnerung") for key in keys)
        # One reminder per ticket in the outbox, and after both instances' senders ran,
        # one message per ticket in the channel: none lost, none doubled.
        before = await local_messages(sessions, "channel:kreditoren")
        assert await outbox_count(sessions, kind="channel", address="kreditoren", like="sweep:%")
        await asyncio.gather(deliver_all(sessions, clock), deliver_all(other, clock))
        received = await local_messages(sessions, "channel:kreditoren") - before
        assert received == 1000
    finally:
        await other_db.dispose()


async def test_a_crash_between_claim_and_send_delivers_once_after_restart(
    db: AsyncEngine, config: OrgConfig, sessions: Sessions, clock: FrozenClock, tmp_path: Path
) -> None:
    await open_tickets(config, sessions, clock, 3, topic="kreditoren")
    await deliver_all(sessions, clock)
    before = await local_messages(sessions, "channel:kreditoren")
    # A real bot process sweeps (claims the steps and commits their notices), then is
    # killed with SIGKILL before its outbox sender could run.
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.service.sweep_child",
        REMINDER_TIME.isoformat(),
        cwd=ROOT,
        env={**os.environ, **await child_database(db)},
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), 60)
    assert line.decode().strip() == "swept 3"
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert await local_messages(sessions, "channel:kreditoren") == before

    # After the restart: the next sweep finds the steps recorded and sends nothing new;
    # the sender delivers what the dead process committed, once.
    clock.set(REMINDER_TIME)
    assert (await Sweeper(config, sessions, clock).sweep()).fired == 0
    await deliver_all(sessions, clock)
    await deliver_all(sessions, clock)
    assert await local_messages(sessions, "channel:kreditoren") == before + 3


async def child_database(db: AsyncEngine) -> dict[str, str]:
    """Environment for a child process to open the same database (and PostgreSQL schema)."""
    env = {"HOTLINE_DATABASE_URL": db.url.render_as_string(hide_password=False)}
    if db.dialect.name == "postgresql":
        async with db.connect() as connection:
            schema = await connection.scalar(select(func.current_schema()))
        env["HOTLINE_TEST_SCHEMA"] = str(schema)
    return env


async def test_a_bot_down_for_two_days_catches_up_with_one_report(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    ids = await open_tickets(config, sessions, clock, 5, topic="haushalt")
    await hotline.channel("haushalt")
    for person in ("hh.schneider", "leitung.hoffmann", "leitung.meyer"):
        await hotline.dm(person)

    # Down from Monday 09:00 until Wednesday 10:00: reminder, breach notice, escalation
    # and its first repeat all fell due meanwhile (and Wednesday 10:00 is office time).
    clock.set(berlin(2026, 12, 2, 10, 0))
    sweeper = Sweeper(config, sessions, clock)
    report = await sweeper.sweep()
    assert report.missed == report.fired - 5  # all but the requesters' interim messages
    assert await Digests(config, sessions, clock).catch_up() == 2  # two leads concerned
    assert await Digests(config, sessions, clock).catch_up() == 0  # reported once

    assert await hotline.channel("haushalt") == []  # no storm in the channel
    lead = await hotline.dm("hh.schneider")
    assert len(lead) == 1 and lead[0].title == "Nachtrag: verpasste Fristen"
    assert all(f"Nr. {ticket_id} " in lead[0].text for ticket_id in ids)
    leadership = await hotline.dm("leitung.hoffmann")
    assert len(leadership) == 1 and "Eskalation" in leadership[0].text
    async with sessions() as session:
        levels = (await session.scalars(select(TicketRow.escalation_level))).all()
    assert set(levels) == {1}  # escalated (silently) all the same
    # The requesters were not left in silence: each got one interim message.
    assert "Zwischenstand" in texts(await hotline.dm("schule.0"))
    # From now on, steps fire normally again.
    assert (await sweeper.sweep()).fired == 0


async def test_the_daily_digest_goes_once_to_each_lead_on_working_days(
    db: AsyncEngine, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    await open_tickets(config, sessions, clock, 2, topic="haushalt")
    await open_tickets(config, sessions, clock, 1, topic="kreditoren")
    clock.set(berlin(2026, 12, 1, 8, 45))
    other_db = await second_engine(db)
    try:
        digests = [
            Digests(config, sessions, clock),
            Digests(config, make_sessionmaker(other_db), clock),
        ]
        await asyncio.gather(*(d.daily() for d in digests))
        await digests[0].daily()
    finally:
        await other_db.dispose()
    lead = await hotline.dm("hh.schneider")
    assert len(lead) == 1 and lead[0].title == "Tagesüberblick 01.12.2026"
    assert lead[0].tables[0].columns == ("Team", "Offen", "Überfällig", "Eskaliert")
    assert lead[0].tables[0].rows == (("Budget / Haushalt", "2", "2", "0"),)
    assert "Kreditoren" not in lead[0].text  # only the lead's own team
    leadership = await hotline.dm("leitung.hoffmann")
    assert len(leadership) == 1 and "Kreditoren" in leadership[0].text
    assert await hotline.dm("bk.berger") == []  # BK's lead: nothing open in BK, no digest
    counts = collections.Counter(n.title for n in await hotline.dm("kred.wagner"))
    assert counts == {"Tagesüberblick 01.12.2026": 1}

    clock.set(berlin(2026, 12, 5, 8, 45))  # a Saturday: no digest
    assert await Digests(config, sessions, clock).daily() == 0


async def test_late_steps_wait_for_office_hours(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """A bot that comes back on a Sunday defers the catch-up to Monday's opening instead of
    firing then; nothing fires on a Sunday."""
    await open_tickets(config, sessions, clock, 1, topic="haushalt")
    clock.set(berlin(2026, 12, 6, 10, 0))
    sweeper = Sweeper(config, sessions, clock)
    report = await sweeper.sweep()
    assert (report.fired, report.deferred) == (0, 1)
    async with sessions() as session:
        ticket = (await session.scalars(select(TicketRow))).one()
    assert ticket.next_action_at == berlin(2026, 12, 7, 8, 30)
    clock.set(berlin(2026, 12, 7, 8, 30))
    report = await sweeper.sweep()
    assert report.fired > 0 and report.missed == report.fired - 1  # all but the interim


async def test_a_ticket_the_sweep_cannot_handle_does_not_block_the_others(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """Say a topic left the config while a ticket still uses it: that ticket is postponed,
    every other ticket gets its reminder."""
    broken, *fine = await open_tickets(config, sessions, clock, 3, topic="haushalt")
    async with sessions() as session, session.begin():
        ticket = await session.get(TicketRow, broken)
        assert ticket is not None
        ticket.team_id = "aufgeloest"  # no such team any more
    clock.set(REMINDER_TIME)
    report = await Sweeper(config, sessions, clock).sweep()
    assert sorted(key.split(":")[0] for key in report.keys) == [f"t{i}" for i in fine]
    async with sessions() as session:
        ticket = await session.get(TicketRow, broken)
        assert ticket is not None and ticket.next_action_at is not None
        assert ticket.next_action_at > REMINDER_TIME  # retried later, not every round


async def test_two_instances_escalate_each_ticket_once(
    db: AsyncEngine, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await open_tickets(config, sessions, clock, 300, topic="kreditoren")
    other_db = await second_engine(db)
    try:
        instances = [
            Sweeper(config, sessions, clock, batch_size=50),
            Sweeper(config, make_sessionmaker(other_db), clock, batch_size=50),
        ]
        for moment in (REMINDER_TIME, berlin(2026, 11, 30, 15, 30), berlin(2026, 12, 1, 9, 30)):
            clock.set(moment)
            await asyncio.gather(*(sweep_until_quiet(sweeper) for sweeper in instances))
    finally:
        await other_db.dispose()
    keys = await step_keys(sessions)
    assert len(keys) == len(set(keys))
    escalations = [key for key in keys if key.endswith(":eskalation")]
    assert len(escalations) == 300
    # One held DM per ticket to the department lead (by outbox key), none doubled; the
    # sender folds them into one message that names every ticket once (issue 16: not 300).
    lead = "leitung.hoffmann"
    assert await outbox_count(sessions, kind="user", address=lead, like="sweep:%") == 300
    before = await local_messages(sessions, f"user:{lead}")
    await deliver_all(sessions, clock)
    assert await local_messages(sessions, f"user:{lead}") - before == 1
    named = (await delivered_tickets(sessions, lead))["escalation"]
    assert named == collections.Counter(int(key.split(":")[0][1:]) for key in escalations)
    async with sessions() as session:
        levels = (await session.scalars(select(TicketRow.escalation_level))).all()
    assert set(levels) == {1}


async def test_the_weekly_report_goes_to_the_leadership_channel_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    await open_tickets(config, sessions, clock, 2, topic="haushalt")  # Mon 30 Nov
    digests = Digests(config, sessions, clock)
    clock.set(berlin(2026, 12, 1, 8, 45))  # Tuesday: not the week's first working day
    assert await digests.weekly() == 0
    clock.set(berlin(2026, 12, 7, 8, 45))  # Monday
    await digests.daily()
    await digests.daily()
    posted = await hotline.channel("leitung")
    titles = [
        "Wochenbericht der Hotline: 30.11.2026 – 06.12.2026",
        "Wochenbericht: Verlauf der letzten Wochen",
    ]
    assert [notice.title for notice in posted] == titles
    assert posted[0].tables[0].rows[0] == ("Anliegen (Tickets)", "2")  # a table, not Markdown
    # The chart: eight weeks up to last Sunday, small enough for a Teams message, and in words.
    picture = posted[1].image
    assert picture is not None and posted[0].image is None
    assert picture.data.startswith(b"\x89PNG\r\n\x1a\n") and picture.mime == "image/png"
    assert len(picture.data) <= chart.CHAT_LIMIT
    assert (picture.width, picture.height) == (800, 610)  # the hotline and one team panel
    assert picture.name == "wochenbericht-2026-W49.png"
    assert "12.10.2026 – 06.12.2026" in picture.alt
    assert "KW 42 – neue Anliegen: 0" in picture.alt
    assert "KW 49 – neue Anliegen: 2, Reaktionsfrist eingehalten: 0 %" in picture.alt
    assert posted[1].text == picture.alt
    # Easter Monday is a holiday: that week's report comes on Tuesday.
    clock.set(berlin(2027, 3, 29, 8, 45))
    assert await digests.weekly() == 0
    clock.set(berlin(2027, 3, 30, 8, 45))
    assert await digests.weekly() == 1


async def test_a_chart_that_cannot_be_drawn_does_not_cost_the_weekly_figures(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(chart_process, "for_chat", broken)
    clock.set(berlin(2026, 12, 7, 8, 45))  # Monday
    assert await Digests(config, sessions, clock).weekly() == 1
    posted = await Harness(config, sessions, clock).channel("leitung")
    assert [notice.title for notice in posted] == [
        "Wochenbericht der Hotline: 30.11.2026 – 06.12.2026"
    ]
