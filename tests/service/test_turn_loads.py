"""The common turns read a bounded number of tickets, however many the database holds.

Issue 19: memory must not grow with the database, so no turn may load all tickets (a count
done in Python, a SELECT without a LIMIT). With more open tickets than any answer lists,
each turn, the sweep with nothing due and the daily digest must load at most the rows one
answer shows; counted with the ORM's load event, deterministic, no timing. SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.escalation.digest import Digests
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from storage.models import TicketEventRow, TicketRow
from tests.conftest import berlin
from tests.harness import Harness

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # Budget / Haushalt
LEAD = "hh.schneider"
MANY = 400  # more than any answer lists (/meine 20, /queue 50, the digest 2 x 100)


def _ticket(number: int, clock: FrozenClock) -> dict[str, Any]:
    opened = clock.now() - timedelta(days=5, minutes=number)
    return {
        "status": "queued",
        "topic_id": "haushalt",
        "customer_group_id": "f1-f3",
        "team_id": "haushalt",
        "level": 1,
        "escalation_level": number % 2,  # half escalated: the digest lists both kinds
        "description": f"Anliegen {number}",
        "requester_platform": "local",
        "requester_id": REQUESTER,
        "created_at": opened,
        "updated_at": opened,
        "queued_at": opened,
        "next_due_at": opened + timedelta(days=1),  # overdue
    }


@contextmanager
def loaded_rows() -> Iterator[list[str]]:
    """The tickets and ticket events the ORM builds while inside (one name per row)."""
    loaded: list[str] = []

    def on_load(target: object, _context: object) -> None:
        loaded.append(type(target).__name__)

    for model in (TicketRow, TicketEventRow):
        event.listen(model, "load", on_load)
    try:
        yield loaded
    finally:
        for model in (TicketRow, TicketEventRow):
            event.remove(model, "load", on_load)


async def _full_hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    hotline = Harness(config, sessions, clock)
    clock.set(berlin(2026, 11, 30, 9, 0))  # Monday, office hours
    async with sessions() as session, session.begin():
        await session.execute(insert(TicketRow), [_ticket(n, clock) for n in range(MANY)])
    await hotline.dm(REQUESTER)
    await hotline.dm(AGENT)
    return hotline


async def test_commands_load_a_bounded_number_of_tickets(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = await _full_hotline(config, sessions, clock)
    turns = [
        (REQUESTER, "/status"),
        (REQUESTER, "/meine"),
        (REQUESTER, "/status 7"),
        (REQUESTER, "/verlauf 7"),
        (AGENT, "/queue"),
        (AGENT, "/status 8"),
        (LEAD, "/queue"),
    ]
    for user, text in turns:
        with loaded_rows() as loaded:
            answer = await hotline.say(user, text)
        assert answer, f"{text} was not answered"
        assert len(loaded) <= 50, f"{text} loaded {len(loaded)} rows"
    with loaded_rows() as loaded:
        await hotline.say(REQUESTER, "/meine")
    assert 0 < len(loaded) <= 20  # the newest 20 of the requester's 400


async def test_sweep_and_digest_load_a_bounded_number_of_tickets(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await _full_hotline(config, sessions, clock)
    with loaded_rows() as loaded:
        report = await Sweeper(config, sessions, clock).sweep()
    assert report.tickets == 0 and loaded == []  # nothing due: no ticket read
    digests = Digests(config, sessions, clock)
    await digests.daily()  # Monday: also last week's report, which reads the whole week
    with loaded_rows() as loaded:
        await digests.daily()  # a second run (a restart): the weekly report is not rebuilt
    async with sessions() as session, session.begin():  # twice the open tickets
        await session.execute(insert(TicketRow), [_ticket(n, clock) for n in range(MANY)])
    with loaded_rows() as doubled:
        await digests.daily()
    # Per lead at most the listed overdue and escalated tickets, however many are open.
    assert 0 < len(loaded) == len(doubled), (len(loaded), len(doubled))
