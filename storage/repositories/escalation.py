"""The deadline sweep's storage: due tickets, fired steps under unique keys, job leases.

Functions never commit: the caller owns the transaction, so a step's record and its
notices in the outbox are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EscalationStepRow, SchedulerLeaseRow, TicketRow
from storage.repositories._dialect import insert_ignoring_conflicts, supports_skip_locked


async def due_tickets(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[TicketRow]:
    """Tickets the sweep owes work: ONE range query on the indexed `next_action_at`.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent sweepers (other
    instances) take disjoint tickets instead of waiting for each other.
    """
    query = (
        select(TicketRow)
        .where(TicketRow.next_action_at <= now)
        .order_by(TicketRow.next_action_at)
        .limit(limit)
    )
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def fired_keys(session: AsyncSession, *, keys: Collection[str]) -> set[str]:
    """Which of these step keys are already recorded."""
    if not keys:
        return set()
    query = select(EscalationStepRow.key).where(EscalationStepRow.key.in_(list(keys)))
    return set((await session.scalars(query)).all())


async def record_step(
    session: AsyncSession,
    *,
    key: str,
    ticket_id: int,
    step: str,
    action: str,
    due_at: datetime,
    fired_at: datetime,
    missed: bool = False,
    recipients: dict[str, Any] | None = None,
) -> bool:
    """Claim a step by its unique key; False when another sweeper already holds it."""
    values = {
        "key": key,
        "ticket_id": ticket_id,
        "step": step,
        "action": action,
        "due_at": due_at,
        "fired_at": fired_at,
        "missed": missed,
        "recipients": recipients or {},
    }
    result: Any = await session.execute(
        insert_ignoring_conflicts(session, EscalationStepRow, values)
    )
    return bool(result.rowcount)


async def claim_steps(session: AsyncSession, *, steps: Sequence[dict[str, Any]]) -> set[str]:
    """Claim a batch's steps by their unique keys in ONE statement (INSERT ... ON CONFLICT
    DO NOTHING RETURNING key); returns the keys this transaction got (a missing key: another
    sweeper holds it). Each dict has the columns of `record_step`."""
    if not steps:
        return set()
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table: Any = EscalationStepRow.__table__
    statement = module.insert(table).on_conflict_do_nothing().returning(table.c.key)
    rows = [{**step, "recipients": step.get("recipients") or {}} for step in steps]
    # executemany with RETURNING: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues")
    result = await session.execute(statement, rows)
    return set(result.scalars().all())


async def reschedule(
    session: AsyncSession, *, changes: Sequence[tuple[int, int, dict[str, Any]]]
) -> bool:
    """Store the sweep's changes to a batch of tickets, (id, version read, changed columns)
    each: one executemany UPDATE per set of changed columns, each row compare-and-set on its
    version (bumped). False when a row's version moved (where the driver reports row counts
    of an executemany; on PostgreSQL the sweep holds the rows locked anyway)."""
    table: Any = TicketRow.__table__
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ticket_id, version, values in changes:
        columns = tuple(sorted(values))
        params = {f"p_{name}": value for name, value in values.items()}
        groups.setdefault(columns, []).append({"p_id": ticket_id, "p_version": version, **params})
    exact = session.get_bind().dialect.supports_sane_multi_rowcount
    for columns, rows in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("p_id"), table.c.version == bindparam("p_version"))
            .values(
                version=table.c.version + 1,
                **{name: bindparam(f"p_{name}", type_=table.c[name].type) for name in columns},
            )
        )
        result: Any = await session.execute(statement, rows)
        if exact and result.rowcount != len(rows):
            return False
    return True


async def unreported_missed(session: AsyncSession, *, limit: int) -> Sequence[EscalationStepRow]:
    """Steps found late (the bot was down) that no catch-up report has listed yet."""
    query = (
        select(EscalationStepRow)
        .where(EscalationStepRow.missed.is_(True), EscalationStepRow.reported_at.is_(None))
        .order_by(EscalationStepRow.id)
        .limit(limit)
    )
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def mark_reported(session: AsyncSession, *, step_ids: Iterable[int], at: datetime) -> None:
    """Those missed steps are in a catch-up report now."""
    await session.execute(
        update(EscalationStepRow)
        .where(EscalationStepRow.id.in_(list(step_ids)))
        .values(reported_at=at)
    )


async def try_lease(
    session: AsyncSession, *, name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take the named job lease if it is free, expired or already ours (conditional update)."""
    await session.execute(
        insert_ignoring_conflicts(
            session,
            SchedulerLeaseRow,
            {"name": name, "holder": holder, "lease_until": now, "last_run_at": None},
        )
    )
    result: Any = await session.execute(
        update(SchedulerLeaseRow)
        .where(
            SchedulerLeaseRow.name == name,
            (SchedulerLeaseRow.lease_until <= now) | (SchedulerLeaseRow.holder == holder),
        )
        .values(holder=holder, lease_until=now + ttl, last_run_at=now)
    )
    return bool(result.rowcount)


async def escalated_open(
    session: AsyncSession, *, team_ids: Collection[str] | None, statuses: Collection[str]
) -> Sequence[TicketRow]:
    """Open escalated tickets of these teams (None: all teams), the longest waiting first."""
    query = select(TicketRow).where(
        TicketRow.escalation_level > 0, TicketRow.status.in_(list(statuses))
    )
    if team_ids is not None:
        query = query.where(TicketRow.team_id.in_(list(team_ids)))
    return (await session.scalars(query.order_by(TicketRow.escalated_at).limit(100))).all()


async def overdue_open(
    session: AsyncSession,
    *,
    team_ids: Collection[str] | None,
    statuses: Collection[str],
    now: datetime,
) -> Sequence[TicketRow]:
    """Open tickets whose earliest running deadline has passed (indexed on `next_due_at`)."""
    query = select(TicketRow).where(
        TicketRow.next_due_at <= now, TicketRow.status.in_(list(statuses))
    )
    if team_ids is not None:
        query = query.where(TicketRow.team_id.in_(list(team_ids)))
    return (await session.scalars(query.order_by(TicketRow.next_due_at).limit(100))).all()


async def team_stats(
    session: AsyncSession, *, statuses: Collection[str], now: datetime
) -> dict[str, tuple[int, int, int]]:
    """Per team: (open, overdue, escalated) tickets, in one grouped query."""
    overdue = case((TicketRow.next_due_at <= now, 1), else_=0)
    escalated = case((TicketRow.escalation_level > 0, 1), else_=0)
    query = (
        select(TicketRow.team_id, func.count(), func.sum(overdue), func.sum(escalated))
        .where(TicketRow.status.in_(list(statuses)))
        .group_by(TicketRow.team_id)
    )
    rows = (await session.execute(query)).all()
    return {team: (int(n), int(o or 0), int(e or 0)) for team, n, o, e in rows}


async def tickets_by_id(session: AsyncSession, *, ids: Collection[int]) -> dict[int, TicketRow]:
    """The tickets with these numbers."""
    if not ids:
        return {}
    rows = await session.scalars(select(TicketRow).where(TicketRow.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def has_unreported_missed(session: AsyncSession) -> bool:
    """Whether any missed step still waits for its catch-up report (cheap, indexed)."""
    query = (
        select(EscalationStepRow.id)
        .where(EscalationStepRow.missed.is_(True), EscalationStepRow.reported_at.is_(None))
        .limit(1)
    )
    return (await session.scalar(query)) is not None


async def upcoming(session: AsyncSession, *, limit: int) -> list[tuple[int, datetime]]:
    """The tickets the sweep will look at next, with the moment (indexed)."""
    query = (
        select(TicketRow.id, TicketRow.next_action_at)
        .where(TicketRow.next_action_at.is_not(None))
        .order_by(TicketRow.next_action_at)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [(ticket_id, moment) for ticket_id, moment in rows if moment is not None]
