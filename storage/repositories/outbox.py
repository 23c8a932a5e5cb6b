"""The persistent outbox: every outgoing notice is a row until a platform has accepted it.

Rows are written in the same transaction as the change that caused them, and a sender
delivers them after commit: the commit wakes it (outbox_wake.py), and a turn's own replies
are claimed by id and sent at once (`claim_written`). A lease keeps two senders from taking
the same row; on PostgreSQL, FOR UPDATE SKIP LOCKED hands each row to exactly one claimant.

Every answer passes enqueue, claim_due and mark_delivered, so those are one statement each,
and the fixed ones are built once per dialect and run with parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.kernel import limits
from bot.kernel.notices import Target
from storage.models import OutboxRow
from storage.repositories import instances
from storage.repositories._dialect import supports_skip_locked
from storage.repositories.outbox_wake import Commit as Commit
from storage.repositories.outbox_wake import Written as Written
from storage.repositories.outbox_wake import express as express
from storage.repositories.outbox_wake import listen as listen
from storage.repositories.outbox_wake import wake_after_commit as wake_after_commit

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
HELD = "held"  # a bundlable sweep DM waiting for the bundler's decision (never claimed)
BUNDLED = "bundled"  # folded into the message of row `bundle_id`: delivered with it
_TABLE: Any = OutboxRow.__table__
_ENQUEUE: dict[str, Any] = {}
_BUFFER = "outbox.buffer"  # session.info key: rows a bulk writer (the sweep) inserts at once


def _enqueue_statement(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING into the outbox, for the session's dialect."""
    dialect = session.get_bind().dialect.name
    statement = _ENQUEUE.get(dialect)
    if statement is None:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        insert = module.insert(_TABLE).on_conflict_do_nothing()
        statement = _ENQUEUE[dialect] = insert.returning(_TABLE.c.id)
    return statement


def _delivered_statement(with_lease: bool) -> Any:
    """UPDATE to delivered, while pending (and, `with_lease`, while our lease holds)."""
    conditions = [_TABLE.c.id == bindparam("p_id"), _TABLE.c.status == PENDING]
    if with_lease:
        conditions.append(
            _TABLE.c.lease_until == bindparam("p_lease", type_=_TABLE.c.lease_until.type)
        )
    return (
        update(_TABLE)
        .where(*conditions)
        .values(
            status=DELIVERED,
            delivered_at=bindparam("p_at", type_=_TABLE.c.delivered_at.type),
            message_ref=bindparam("p_ref", type_=_TABLE.c.message_ref.type),
            lease_until=None,
        )
    )


_DELIVERED = {True: _delivered_statement(True), False: _delivered_statement(False)}


async def enqueue(
    session: AsyncSession,
    *,
    target: Target,
    payload: dict[str, Any],
    at: datetime,
    dedupe_key: str | None = None,
    bundle_kind: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Add a notice for `target`; a repeated `dedupe_key` is silently ignored (a key longer
    than its column is stored as its digest: built from platform ids, it may be). With a
    `bundle_kind` the row is held for the bundler (bot/bundling/bundler.py); `not_before`:
    the row waits until then (a ping to a person off work, issue 16)."""
    values = {
        "created_at": at,
        "platform": target.platform,
        "target_kind": target.kind,
        "target_address": target.address,
        "payload": payload,
        "dedupe_key": None if dedupe_key is None else limits.stored_key("dedupe_key", dedupe_key),
        "status": PENDING if bundle_kind is None else HELD,
        "attempts": 0,
        "next_attempt_at": at if not_before is None else max(at, not_before),
        "bundle_kind": bundle_kind,
    }
    buffer: list[dict[str, Any]] | None = session.info.get(_BUFFER)
    if buffer is not None:
        buffer.append(values)  # a sweep batch writes them at once (`write_buffered`)
        return
    added = (await session.execute(_enqueue_statement(session), values)).scalar()
    if added is not None:  # None: the dedupe key was taken, nothing new to send
        wake_after_commit(session, [Written(int(added), target)])


def buffer_rows(session: AsyncSession) -> None:
    """From now on `enqueue` collects this session's rows until `write_buffered` (a sweep
    batch: its notices go in with one multi-row INSERT instead of one round trip each)."""
    session.info[_BUFFER] = []


async def write_buffered(session: AsyncSession) -> int:
    """Insert the collected rows in their order (multi-row INSERT ... ON CONFLICT DO
    NOTHING: a repeated dedupe key is ignored, as in `enqueue`), stop collecting; returns
    how many rows were collected."""
    rows: list[dict[str, Any]] = session.info.pop(_BUFFER, None) or []
    if rows:  # with RETURNING, SQLAlchemy sends the executemany as multi-row INSERTs
        await session.execute(_enqueue_statement(session).returning(_TABLE.c.id), rows)
        wake_after_commit(session)  # the sender claims what is due once the batch commits
    return len(rows)


def drop_buffered(session: AsyncSession) -> None:
    """Stop collecting and forget the collected rows (their transaction is rolled back)."""
    session.info.pop(_BUFFER, None)


async def claim_due(
    session: AsyncSession,
    *,
    platforms: Iterable[str],
    now: datetime,
    lease: timedelta,
    limit: int = 50,
    address: str | None = None,
    holder: str | None = None,
    alive_since: datetime | None = None,
) -> Sequence[OutboxRow]:
    """Lease up to `limit` due rows for these platforms (optionally one address), oldest first.

    A row is free when its lease ran out, or (with `alive_since`) when the instance holding
    it has not been seen since then: a killed sender's rows go back within seconds.
    One UPDATE ... RETURNING of the rows a subquery picks (FOR UPDATE SKIP LOCKED on
    PostgreSQL; SQLite holds its write lock for the whole transaction anyway)."""
    due = (
        select(OutboxRow.id)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.platform.in_(list(platforms)),
            OutboxRow.next_attempt_at <= now,
            _free(now, alive_since),
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if address is not None:
        due = due.where(OutboxRow.target_address == address)
    return await _lease_rows(session, due, now=now, lease=lease, holder=holder)


async def claim_written(
    session: AsyncSession,
    *,
    ids: Collection[int],
    platforms: Iterable[str],
    now: datetime,
    lease: timedelta,
    holder: str,
    alive_since: datetime,
    sent: Collection[int] = (),
) -> Sequence[OutboxRow]:
    """Lease the rows `ids` (a turn's replies, just committed) to send them at once: those
    still pending, due and free like `claim_due`'s, except where an earlier pending row to
    the same recipient is not among `ids`, or is among them but leased by a round already:
    that one goes first, and the sender's round sends the rest after it, in order (rows in
    `sent` were sent, only not recorded yet: they hold nothing back). Claimed by another
    sender meanwhile: not returned."""
    earlier = aliased(OutboxRow)
    overtakes = exists().where(
        earlier.status == PENDING,
        earlier.platform == OutboxRow.platform,
        earlier.target_kind == OutboxRow.target_kind,
        earlier.target_address == OutboxRow.target_address,
        earlier.id < OutboxRow.id,
        earlier.id.not_in(list(sent)),
        or_(earlier.id.not_in(list(ids)), earlier.lease_until >= now),
    )
    chosen = select(OutboxRow.id).where(
        OutboxRow.id.in_(list(ids)),
        OutboxRow.status == PENDING,
        OutboxRow.platform.in_(list(platforms)),
        OutboxRow.next_attempt_at <= now,
        _free(now, alive_since),
        ~overtakes,
    )
    return await _lease_rows(session, chosen, now=now, lease=lease, holder=holder)


def _free(now: datetime, alive_since: datetime | None) -> Any:
    """Not leased: never, the lease ran out, or (with `alive_since`) its holder is gone."""
    free = [OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now]
    if alive_since is not None:
        dead_holder = and_(
            OutboxRow.lease_holder.is_not(None),
            OutboxRow.lease_holder.not_in(instances.alive_since(alive_since)),
        )
        free.append(dead_holder)
    return or_(*free)


async def _lease_rows(
    session: AsyncSession, chosen: Any, *, now: datetime, lease: timedelta, holder: str | None
) -> Sequence[OutboxRow]:
    """One UPDATE ... RETURNING leasing the rows `chosen` selects, oldest first (FOR UPDATE
    SKIP LOCKED on PostgreSQL: each row goes to exactly one claimant)."""
    if supports_skip_locked(session):
        chosen = chosen.with_for_update(of=OutboxRow, skip_locked=True)
    statement = (
        update(OutboxRow)
        .where(OutboxRow.id.in_(chosen.scalar_subquery()))
        .values(lease_until=now + lease, lease_holder=holder)
        .returning(OutboxRow)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.scalars(statement)).all()
    return sorted(rows, key=lambda row: row.id)


async def mark_delivered(
    session: AsyncSession,
    *,
    outbox_id: int,
    at: datetime,
    message_ref: str | None,
    leased_until: datetime | None = None,
) -> bool:
    """The platform accepted the notice. With `leased_until`, only while our lease holds:
    False means another sender took the row over (its lease had run out)."""
    parameters = {"p_id": outbox_id, "p_at": at, "p_ref": message_ref}
    if leased_until is not None:
        parameters["p_lease"] = leased_until
    result = await session.execute(_DELIVERED[leased_until is not None], parameters)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_delivered_many(
    session: AsyncSession,
    *,
    delivered: Sequence[tuple[int, str | None, datetime | None]],
    at: datetime,
) -> None:
    """`mark_delivered` for several rows (id, message ref, lease or None), in the caller's
    one transaction."""
    for key, ref, lease in delivered:
        await mark_delivered(session, outbox_id=key, at=at, message_ref=ref, leased_until=lease)


async def mark_failed(
    session: AsyncSession,
    *,
    outbox_id: int,
    error: str,
    retry_at: datetime | None,
    leased_until: datetime | None = None,
) -> None:
    """Delivery failed: retry at `retry_at`, or give up (status failed) when it is None.
    A row that was delivered meanwhile (or taken over by another sender) stays as it is."""
    values: dict[str, Any] = {
        "attempts": OutboxRow.attempts + 1,
        "last_error": error[:2000],
        "lease_until": None,
    }
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, OutboxRow.status == PENDING, *_lease(leased_until))
        .values(**values)
    )


async def postpone(
    session: AsyncSession, *, outbox_id: int, until: datetime, leased_until: datetime | None
) -> None:
    """Hand a leased row back untried, due at `until` (an earlier notice to the same
    recipient failed, and order matters more than speed)."""
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, OutboxRow.status == PENDING, *_lease(leased_until))
        .values(next_attempt_at=until, lease_until=None)
    )


async def release_leases(
    session: AsyncSession, *, holder: str, leased_until_before: datetime
) -> int:
    """Free the pending rows `holder` leased until before `leased_until_before` (the leases
    of its previous life, all of which end before the earliest this life can take)."""
    result = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.lease_holder == holder,
            OutboxRow.lease_until < leased_until_before,
        )
        .values(lease_until=None, lease_holder=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_platform(session: AsyncSession, *, platform: str) -> int:
    """Free every leased pending row of `platform`: for a platform only one instance sends
    (Matrix failover), taking over means that the previous sender is gone. Its rows go
    back at once and first (oldest id), so each recipient's notices keep their order
    instead of the later ones overtaking them while the dead lease ages."""
    result = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.platform == platform,
            OutboxRow.lease_holder.is_not(None) | OutboxRow.lease_until.is_not(None),
        )
        .values(lease_until=None, lease_holder=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_claim(session: AsyncSession, *, holder: str, lease_until: datetime) -> int:
    """Free the rows one claim of `holder` leased (their lease ends at `lease_until`): the
    claim's commit failed, so its sender never learned which rows they were."""
    result = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.lease_holder == holder,
            OutboxRow.lease_until == lease_until,
        )
        .values(lease_until=None, lease_holder=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _lease(leased_until: datetime | None) -> list[Any]:
    return [] if leased_until is None else [OutboxRow.lease_until == leased_until]


async def pending_count(session: AsyncSession, *, platform: str | None = None) -> int:
    """How many notices still wait for delivery (held ones included)."""
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status.in_([PENDING, HELD]))
    if platform is not None:
        query = query.where(OutboxRow.platform == platform)
    return int(await session.scalar(query) or 0)


async def has_key(session: AsyncSession, *, dedupe_key: str) -> bool:
    """Whether a notice under this dedupe key was ever enqueued (unique, so indexed): lets a
    job skip the costly build of a notice the outbox already holds."""
    query = select(OutboxRow.id).where(OutboxRow.dedupe_key == dedupe_key).limit(1)
    return (await session.scalar(query)) is not None
