"""Helpers for the deadline sweep tests: a sweeper on a travelling clock, bulk tickets,
a second engine on the same database (a second bot instance)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from bot.escalation.sweep import Sweeper, SweepReport
from bot.kernel.clock import FrozenClock
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from storage.engine import make_engine
from storage.models import EscalationStepRow, OutboxRow

Sessions = async_sessionmaker[AsyncSession]


async def sweep_at(sweeper: Sweeper, clock: FrozenClock, moment: datetime) -> list[str]:
    """Travel to `moment`, sweep, return the keys of the steps fired."""
    clock.set(moment)
    report = await sweeper.sweep()
    return report.keys


async def sweep_until_quiet(sweeper: Sweeper) -> SweepReport:
    """Sweep until a round finds nothing more to do."""
    total = SweepReport()
    for _ in range(20):
        report = await sweeper.sweep()
        total.fired += report.fired
        total.keys += report.keys
        if not report.tickets:
            return total
    raise AssertionError("the sweep never settled")


async def open_tickets(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, count: int, *, topic: str
) -> list[int]:
    """`count` tickets through the ticket service (as `count` different requesters)."""
    service = TicketService(config, clock)
    ids = []
    async with sessions() as session, session.begin():
        for index in range(count):
            requester = Actor("local", f"schule.{index}", f"Schule {index}")
            request = NewRequest(topic_id=topic, customer_group_id="f1-f3", description="Beleg")
            ticket = await service.open_ticket(session, requester=requester, request=request)
            ids.append(ticket.id)
    return ids


async def second_engine(db: AsyncEngine) -> AsyncEngine:
    """Another engine on the same database and schema: a second bot instance."""
    url = db.url.render_as_string(hide_password=False)
    if db.dialect.name == "sqlite":
        return make_engine(url)
    async with db.connect() as connection:
        schema = await connection.scalar(text("select current_schema()"))
    return make_engine(url, connect_args={"server_settings": {"search_path": str(schema)}})


async def step_keys(sessions: Sessions) -> list[str]:
    """Every recorded step key (duplicates would show twice; the unique key forbids them)."""
    async with sessions() as session:
        return list((await session.scalars(select(EscalationStepRow.key))).all())


async def outbox_count(sessions: Sessions, *, kind: str, address: str, like: str = "%") -> int:
    """How many notices the outbox holds for a target (optionally by dedupe key pattern)."""
    async with sessions() as session:
        query = (
            select(func.count())
            .select_from(OutboxRow)
            .where(
                OutboxRow.target_kind == kind,
                OutboxRow.target_address == address,
                func.coalesce(OutboxRow.dedupe_key, "").like(like),
            )
        )
        return int(await session.scalar(query) or 0)
