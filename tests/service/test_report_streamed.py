"""The report from streamed ticket facts equals the report the old ORM-row path computed,
on the November seed and on a seeded quarter of random tickets (SQLite, PostgreSQL)."""

from __future__ import annotations

import random
from pathlib import Path
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.reports import csv_export, render
from bot.reports.metrics import Report
from bot.reports.service import build, period
from storage.models import EscalationStepRow, TicketEventRow, TicketRow
from tests.conftest import berlin
from tests.service.report_legacy import legacy_build
from tests.service.report_seed import seed_november
from tests.service.sweep_support import Sessions

EXPECTED = Path(__file__).with_name("report_quarter.csv")
TEAMS = ("bk", "haushalt", "kreditoren", "debitoren", "anlagen", "ghost")
TOPICS = ("haushalt", "belegstand", "beschwerde", "kasse")


async def _both(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, first: date, last: date
) -> None:
    start, end = period(config, first, last)
    async with sessions() as session:
        new = await build(session, config, clock, start, end)
    async with sessions() as session:
        old = await legacy_build(session, config, clock, start, end)
    assert new == old
    assert list(new.by_topic) == list(old.by_topic)  # the order of ties too
    assert list(new.deadlines_by_team) == list(old.deadlines_by_team)
    assert list(new.team_weeks) == list(old.team_weeks)
    assert csv_export.to_csv(config, new) == csv_export.to_csv(config, old)
    assert render.to_markdown(config, new) == render.to_markdown(config, old)
    if first == date(2026, 9, 1):  # written once from the old path: the fixed figures
        EXPECTED.write_bytes(csv_export.to_csv(config, old) + _team_weeks(old).encode())


def _team_weeks(report: Report) -> str:
    """The chart's per-team weeks, which the CSV does not carry: one line each."""
    return "".join(
        f"{team};{w.monday};{w.opened};{w.first_response.hits};{w.first_response.total}\r\n"
        for team, weeks in report.team_weeks.items()
        for w in weeks
    )


async def test_the_november_report_is_the_same_as_before(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_november(config, sessions, clock)
    clock.set(berlin(2026, 12, 2, 9, 0))
    await _both(config, sessions, clock, date(2026, 11, 1), date(2026, 11, 30))


def _ticket(rng: random.Random, number: int) -> dict[str, Any]:
    opened = berlin(2026, 9, 1, 0, 0) + timedelta(minutes=rng.randrange(0, 130 * 24 * 60))
    due = opened + timedelta(hours=rng.choice((4, 8, 24)))
    answered = opened + timedelta(hours=rng.uniform(0, 30))
    resolved = rng.random() < 0.5
    return {
        "version": 1,
        "status": rng.choice(("queued", "claimed", "resolved", "closed", "waiting")),
        "topic_id": rng.choice(TOPICS),
        "customer_group_id": rng.choice(("f1-f3", "f4", None)),
        "team_id": rng.choice(TEAMS),
        "level": rng.choice((3, 1, 1, 2)),
        "escalation_level": 0,
        "confidential": rng.random() < 0.1,
        "anonymous": False,
        "description": f"Anliegen {number}",
        "requester_platform": "local",
        "requester_id": f"user-{number % 50}",
        "requester_locale": "de",
        "channel": rng.choice(("chat", "chat", "phone")),
        "created_at": opened,
        "updated_at": opened,
        "first_response_due_at": None if rng.random() < 0.05 else due,
        "first_responded_at": answered if rng.random() < 0.7 else None,
        "resolution_due_at": None if rng.random() < 0.05 else due + timedelta(days=2),
        "resolved_at": opened + timedelta(hours=rng.uniform(1, 90)) if resolved else None,
        "paused_at": opened + timedelta(hours=1) if rng.random() < 0.1 else None,
    }


async def test_a_random_quarter_is_reported_as_before(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    rng = random.Random(19)
    async with sessions() as session, session.begin():
        await session.execute(insert(TicketRow), [_ticket(rng, n) for n in range(600)])
    async with sessions() as session:
        query = select(TicketRow.id, TicketRow.created_at).order_by(TicketRow.id)
        opened = {int(ticket): at for ticket, at in (await session.execute(query)).all()}
    events: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for ticket, at in opened.items():
        for _ in range(rng.randrange(0, 4)):
            action = rng.choice(("claim", "ask", "resolve", "handoff", "comment"))
            data = (
                {"from_team": rng.choice(TEAMS)}
                if action == "handoff" and rng.random() < 0.9
                else {}
            )
            events.append(
                {
                    "ticket_id": ticket,
                    "at": at + timedelta(minutes=rng.randrange(1, 5_000)),
                    "action": action,
                    "to_status": "claimed",
                    "actor_platform": "local",
                    "actor_id": "staff",
                    "audience": "internal",
                    "data": data,
                }
            )
        if rng.random() < 0.2:
            steps.append(
                {
                    "key": f"step-{ticket}",
                    "ticket_id": ticket,
                    "step": "lead",
                    "action": rng.choice(("escalate", "repeat", "remind")),
                    "due_at": at,
                    "fired_at": at,
                    "recipients": {},
                }
            )
    async with sessions() as session, session.begin():
        await session.execute(insert(TicketEventRow), events)
        await session.execute(insert(EscalationStepRow), steps)
    clock.set(berlin(2026, 12, 14, 9, 0))
    await _both(config, sessions, clock, date(2026, 9, 1), date(2026, 12, 13))  # 15 weeks
    await _both(config, sessions, clock, date(2026, 12, 7), date(2026, 12, 13))  # one week
    await _both(config, sessions, clock, date(2027, 1, 1), date(2027, 1, 31))  # empty
