"""The report from streamed ticket facts gives the figures the old ORM-row path computed: on
a seeded quarter of random tickets, every figure of the CSV and the chart's team weeks as
the old path wrote them (report_quarter.csv, written by the old code before it was removed),
for the whole quarter; one week and an empty month are consistent (SQLite, PostgreSQL)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.reports import csv_export
from bot.reports.metrics import Report
from bot.reports.service import build, period
from storage.models import EscalationStepRow, TicketEventRow, TicketRow
from tests.conftest import berlin
from tests.service.sweep_support import Sessions

EXPECTED = Path(__file__).with_name("report_quarter.csv")
TEAMS = ("bk", "haushalt", "kreditoren", "debitoren", "anlagen", "ghost")
TOPICS = ("haushalt", "belegstand", "beschwerde", "kasse")


async def _report(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, first: date, last: date
) -> Report:
    start, end = period(config, first, last)
    async with sessions() as session:
        return await build(session, config, clock, start, end)


def _team_weeks(report: Report) -> str:
    """The chart's per-team weeks, which the CSV does not carry: one line each."""
    return "".join(
        f"{team};{w.monday};{w.opened};{w.first_response.hits};{w.first_response.total}\r\n"
        for team, weeks in report.team_weeks.items()
        for w in weeks
    )


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
    quarter = await _report(config, sessions, clock, date(2026, 9, 1), date(2026, 12, 13))
    expected = EXPECTED.read_bytes()
    assert csv_export.to_csv(config, quarter) + _team_weeks(quarter).encode() == expected
    assert len(quarter.weeks) == 15 and quarter.tickets == 472
    week = await _report(config, sessions, clock, date(2026, 12, 7), date(2026, 12, 13))
    assert week.tickets == quarter.weeks[-1].opened
    assert week.weeks[0].first_response == quarter.weeks[-1].first_response
    assert week.team_weeks == {
        t: weeks[-1:] for t, weeks in quarter.team_weeks.items() if weeks[-1].opened
    }
    empty = await _report(config, sessions, clock, date(2027, 3, 1), date(2027, 3, 31))
    assert (empty.tickets, empty.by_team, empty.team_weeks) == (0, {}, {})
    assert empty.response_hours_median is None and empty.first_response.total == 0
