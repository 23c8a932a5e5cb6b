"""The bundler's statements: held sweep DMs, the pacing counters, and folding rows together.

Everything runs in the bundler's one transaction per round: a row is released (sent on its
own), folded into a bundle, or held on, atomically with the counters that decided it. On
PostgreSQL the held rows are taken FOR UPDATE SKIP LOCKED and the counters FOR UPDATE in
key order, so two instances never fold the same row twice, never deadlock over a person,
and see each other's counts; SQLite holds its write lock for the whole transaction anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NoticePacingRow, OutboxRow
from storage.repositories._dialect import insert_ignoring_conflicts, supports_skip_locked
from storage.repositories.outbox import BUNDLED, HELD, PENDING

PacingKey = tuple[str, str, str]  # (platform, address, kind): kind "*" is the hourly ceiling


async def held_due(
    session: AsyncSession, *, platforms: Iterable[str], now: datetime, limit: int
) -> Sequence[OutboxRow]:
    """Up to `limit` held rows due now, oldest first, locked for this transaction."""
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.status == HELD,
            OutboxRow.bundle_kind.is_not(None),
            OutboxRow.platform.in_(list(platforms)),
            OutboxRow.next_attempt_at <= now,
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def pacing(
    session: AsyncSession, *, keys: Iterable[PacingKey], now: datetime
) -> dict[PacingKey, NoticePacingRow]:
    """The counters of these keys, created where missing (a window starting `now`) and
    locked in key order (the same order in every instance: no deadlock)."""
    wanted = sorted(set(keys))
    for platform, address, kind in wanted:
        values = {"platform": platform, "address": address, "kind": kind, "started": now}
        await session.execute(
            insert_ignoring_conflicts(session, NoticePacingRow.__table__, {**values, "sent": 0})
        )
    query = (
        select(NoticePacingRow)
        .where(
            tuple_(NoticePacingRow.platform, NoticePacingRow.address, NoticePacingRow.kind).in_(
                wanted
            )
        )
        .order_by(NoticePacingRow.platform, NoticePacingRow.address, NoticePacingRow.kind)
        .with_for_update()
    )
    rows = (await session.scalars(query)).all()
    return {(row.platform, row.address, row.kind): row for row in rows}


async def release(session: AsyncSession, *, ids: Sequence[int]) -> None:
    """These held rows go out on their own, as any notice (in their original order)."""
    if ids:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(ids)), OutboxRow.status == HELD)
            .values(status=PENDING)
            .execution_options(synchronize_session=False)
        )


async def hold(session: AsyncSession, *, ids: Sequence[int], until: datetime) -> None:
    """These held rows wait until `until` (the window or the hour is full)."""
    if ids:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(ids)), OutboxRow.status == HELD)
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )


async def fold(
    session: AsyncSession, *, leader: int, members: Sequence[int], payload: dict[str, Any]
) -> None:
    """Fold held rows into one message: the `leader` (the oldest) carries the bundle's
    notice and goes out as any notice; the other `members` follow it (status bundled)."""
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == leader, OutboxRow.status == HELD)
        .values(status=PENDING, payload=payload, bundle_id=leader)
        .execution_options(synchronize_session=False)
    )
    others = [member for member in members if member != leader]
    if others:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(others), OutboxRow.status == HELD)
            .values(status=BUNDLED, bundle_id=leader)
            .execution_options(synchronize_session=False)
        )
