"""Newsletter subscriptions per customer group, newsletters and their deliveries.

A newsletter's recipients are expanded into `newsletter_deliveries` once, at confirmation,
one row per person (unique): a person subscribed to two of its groups is one row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, delete, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    NewsletterDeliveryRow,
    NewsletterRow,
    NewsletterSubscriptionRow,
    SchedulerLeaseRow,
)
from storage.repositories._dialect import insert_ignoring_conflicts, supports_skip_locked

SENDING = "sending"
SENT = "sent"
PENDING = "pending"
QUEUED = "queued"

Sub = NewsletterSubscriptionRow
Delivery = NewsletterDeliveryRow


async def subscribed_groups(session: AsyncSession, *, platform: str, user_id: str) -> set[str]:
    """The customer groups whose newsletter this person receives."""
    query = select(Sub.group_id).where(Sub.platform == platform, Sub.user_id == user_id)
    return set((await session.scalars(query)).all())


async def subscribe(
    session: AsyncSession, *, platform: str, user_id: str, group_id: str, locale: str, at: datetime
) -> None:
    """Subscribe (a second time is a no-op)."""
    values = {
        "platform": platform,
        "user_id": user_id,
        "group_id": group_id,
        "locale": locale,
        "subscribed_at": at,
    }
    await session.execute(insert_ignoring_conflicts(session, Sub, values))


async def unsubscribe(session: AsyncSession, *, platform: str, user_id: str, group_id: str) -> None:
    """Unsubscribe (when not subscribed: nothing happens)."""
    await session.execute(
        delete(Sub).where(
            Sub.platform == platform, Sub.user_id == user_id, Sub.group_id == group_id
        )
    )


def _audience(groups: Collection[str], platforms: Collection[str]) -> Any:
    """One row per person subscribed to any of `groups` on one of `platforms`."""
    return (
        select(Sub.platform, Sub.user_id, func.min(Sub.locale).label("locale"))
        .where(Sub.group_id.in_(list(groups)), Sub.platform.in_(list(platforms)))
        .group_by(Sub.platform, Sub.user_id)
    )


async def count_audience(
    session: AsyncSession, *, groups: Collection[str], platforms: Collection[str]
) -> int:
    """How many different people a newsletter to `groups` would reach."""
    inner = _audience(groups, platforms).subquery()
    return int(await session.scalar(select(func.count()).select_from(inner)) or 0)


async def create_newsletter(
    session: AsyncSession, *, row: NewsletterRow, platforms: Collection[str]
) -> NewsletterRow:
    """Store the newsletter (status sending) and one pending delivery per recipient."""
    row.status = SENDING
    session.add(row)
    await session.flush()
    audience = _audience(row.groups, platforms).subquery()
    source = select(
        literal(row.id, BigInteger),
        audience.c.platform,
        audience.c.user_id,
        audience.c.locale,
        literal(PENDING),
    )
    columns = ["newsletter_id", "platform", "user_id", "locale", "status"]
    await session.execute(insert(Delivery).from_select(columns, source))
    count = select(func.count()).where(Delivery.newsletter_id == row.id)
    row.recipients = int(await session.scalar(count) or 0)
    await session.flush()
    return row


async def pending_batch(session: AsyncSession, *, limit: int) -> Sequence[NewsletterDeliveryRow]:
    """The next pending deliveries, oldest newsletter first (locked on PostgreSQL)."""
    query = (
        select(Delivery)
        .where(Delivery.status == PENDING)
        .order_by(Delivery.newsletter_id, Delivery.id)
        .limit(limit)
    )
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def mark_queued(session: AsyncSession, *, delivery_id: int, at: datetime) -> bool:
    """Pending -> queued; False when another dispatcher got there first."""
    result: Any = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == PENDING)
        .values(status=QUEUED, queued_at=at)
    )
    return bool(result.rowcount)


async def finish_complete(session: AsyncSession, *, at: datetime) -> list[NewsletterRow]:
    """Mark every sending newsletter without pending deliveries as sent; returns those."""
    left = exists().where(Delivery.newsletter_id == NewsletterRow.id, Delivery.status == PENDING)
    query = select(NewsletterRow).where(NewsletterRow.status == SENDING, ~left)
    done: list[NewsletterRow] = []
    for row in (await session.scalars(query)).all():
        result: Any = await session.execute(
            update(NewsletterRow)
            .where(NewsletterRow.id == row.id, NewsletterRow.status == SENDING)
            .values(status=SENT, sent_at=at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            done.append(row)
    return done


async def has_work(session: AsyncSession) -> bool:
    """Whether any newsletter is still sending (a cheap read before taking the gate)."""
    query = select(NewsletterRow.id).where(NewsletterRow.status == SENDING).limit(1)
    return await session.scalar(query) is not None


async def pending_count(session: AsyncSession) -> int:
    """Deliveries not yet queued into the outbox."""
    query = select(func.count()).where(Delivery.status == PENDING)
    return int(await session.scalar(query) or 0)


async def take_turn(session: AsyncSession, *, name: str, now: datetime, gap: timedelta) -> bool:
    """The throttle gate: True at most once per `gap` over all instances (a conditional
    update of one row; on PostgreSQL a concurrent caller waits for it, then gets False)."""
    await session.execute(
        insert_ignoring_conflicts(
            session,
            SchedulerLeaseRow,
            {"name": name, "holder": name, "lease_until": now, "last_run_at": None},
        )
    )
    result: Any = await session.execute(
        update(SchedulerLeaseRow)
        .where(SchedulerLeaseRow.name == name, SchedulerLeaseRow.lease_until <= now)
        .values(lease_until=now + gap, last_run_at=now)
    )
    return bool(result.rowcount)


async def subscriptions_of(
    session: AsyncSession, *, platform: str, user_id: str
) -> list[dict[str, Any]]:
    """A person's subscriptions as JSON-ready records (for a DSGVO export)."""
    query = select(Sub).where(Sub.platform == platform, Sub.user_id == user_id)
    return [
        {"group": row.group_id, "locale": row.locale, "since": row.subscribed_at.isoformat()}
        for row in (await session.scalars(query.order_by(Sub.group_id))).all()
    ]


async def forget_person(session: AsyncSession, *, platform: str, user_id: str) -> int:
    """Delete a person's subscriptions and delivery records (a DSGVO erasure); a newsletter
    still sending simply skips them. Returns how many rows went."""
    gone = 0
    for table in (Sub, Delivery):
        result: Any = await session.execute(
            delete(table).where(table.platform == platform, table.user_id == user_id)
        )
        gone += int(result.rowcount or 0)
    return gone
