"""Sending a newsletter exactly once, throttled and resumable.

On confirmation the newsletter is stored (status sending) with one delivery row per
recipient, in the author's turn's transaction. `NewsletterDispatcher.dispatch_due` then
moves at most `batch_size` deliveries per call from pending to queued AND writes their
outbox rows (dedupe key per delivery, i.e. per newsletter and person) in ONE transaction:
a process killed between batches resumes with the next pending row, nothing doubled or
lost; the outbox sender delivers after commit. When nothing is pending any more, the
newsletter is marked sent and its author told, once.

Throttle (documented figures): 10 recipients per batch, at most one batch per 50 s across
all instances (a gate row in `scheduler_leases`), called every 60 s: at most 10 messages
a minute, about 0.17 per second. That stays within Synapse's default `rc_message`
(0.2 per second per sender, burst 10) even when the bot is NOT exempted from rate limits,
and far below Teams' limits (about 1 message per second per conversation: each person
gets one message; about 50 per second per bot). 1,000 subscribers take about 100 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Notice, Target
from bot.newsletter.compose import Draft
from bot.newsletter.content import recipient_notice
from bot.service.actors import Actor
from bot.service.notify import enabled_platforms
from storage.models import NewsletterRow
from storage.repositories import newsletter as repo
from storage.repositories import outbox

BATCH_SIZE = 10  # recipients queued per call
MIN_GAP = timedelta(seconds=50)  # between two batches, across all instances
INTERVAL = timedelta(seconds=60)  # how often the scheduler should call dispatch_due
GATE = "newsletter_dispatch"


async def store_newsletter(
    session: AsyncSession, config: OrgConfig, author: Actor, draft: Draft, *, at: datetime
) -> NewsletterRow:
    """The confirmed newsletter, status sending, with its deliveries (one per person)."""
    row = NewsletterRow(
        title=draft.title,
        body=draft.body,
        groups=list(draft.groups),
        author_platform=author.platform,
        author_id=author.user_id,
        author_locale=author.locale,
        recipients=0,
        created_at=at,
    )
    return await repo.create_newsletter(session, row=row, platforms=enabled_platforms(config))


class NewsletterDispatcher:
    """Queues pending newsletter deliveries into the outbox, one throttled batch per call."""

    def __init__(
        self,
        config: OrgConfig,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        batch_size: int = BATCH_SIZE,
        min_gap: timedelta = MIN_GAP,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.batch_size = batch_size
        self.min_gap = min_gap

    async def dispatch_due(self) -> int:
        """Queue the next batch (if the throttle allows); returns how many were queued.
        Safe to call from several instances at once."""
        async with self.sessions() as session, session.begin():
            now = self.clock.now()
            if not await repo.has_work(session):
                return 0
            if not await repo.take_turn(session, name=GATE, now=now, gap=self.min_gap):
                return 0
            queued = 0
            newsletters: dict[int, NewsletterRow] = {}
            for delivery in await repo.pending_batch(session, limit=self.batch_size):
                if not await repo.mark_queued(session, delivery_id=delivery.id, at=now):
                    continue
                row = newsletters.get(delivery.newsletter_id)
                if row is None:
                    row = await session.get_one(NewsletterRow, delivery.newsletter_id)
                    newsletters[row.id] = row
                notice = recipient_notice(
                    self.config,
                    title=row.title,
                    body=row.body,
                    groups=row.groups,
                    locale=delivery.locale,
                )
                target = Target(delivery.platform, "user", delivery.user_id)
                await outbox.enqueue(
                    session,
                    target=target,
                    payload=notice.to_json(),
                    at=now,
                    dedupe_key=f"newsletter:{row.id}:d{delivery.id}",
                )
                queued += 1
            for row in await repo.finish_complete(session, at=now):
                await self._tell_author(session, row, now)
            return queued

    async def remaining(self) -> int:
        """Deliveries not yet queued, over all newsletters."""
        async with self.sessions() as session:
            return await repo.pending_count(session)

    async def _tell_author(self, session: AsyncSession, row: NewsletterRow, now: datetime) -> None:
        loc = row.author_locale
        title = literal(row.title)
        text = t("newsletter.finished", loc, id=row.id, title=title, count=row.recipients)
        await outbox.enqueue(
            session,
            target=Target(row.author_platform, "user", row.author_id),
            payload=Notice(text=text).to_json(),
            at=now,
            dedupe_key=f"newsletter:{row.id}:done",
        )
