"""Helpers for the newsletter tests: subscribers, a dispatcher run to the end, local delivery."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.newsletter.sending import NewsletterDispatcher
from storage.models import LocalMessageRow, NewsletterRow
from storage.repositories import newsletter as repo
from tests.harness import Harness
from tests.service.sweep_support import Sessions
from tests.service.test_sweep_exactly_once import deliver_all

AUTHOR = "bk.yilmaz"  # Team BK, not an admin


async def subscribe(
    sessions: Sessions, clock: FrozenClock, user: str, *groups: str, locale: str = "de"
) -> None:
    """`user` (local) subscribes to `groups`, straight into the table."""
    async with sessions() as session, session.begin():
        for group in groups:
            await repo.subscribe(
                session,
                platform="local",
                user_id=user,
                group_id=group,
                locale=locale,
                at=clock.now(),
            )


async def compose(hotline: Harness, *, groups: str = "f4", title: str = "Jahresabschluss") -> str:
    """The author walks the send dialog up to the preview; returns the preview's text."""
    await hotline.say(AUTHOR, "/newsletter senden")
    await hotline.say(AUTHOR, groups)
    await hotline.say(AUTHOR, "weiter")
    await hotline.say(AUTHOR, title)
    preview = await hotline.say(AUTHOR, "Bitte buchen Sie alle Rechnungen bis zum 15.12.")
    return "\n".join(f"{n.title or ''} {n.text}" for n in preview)


async def dispatch_all(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, *, batch_size: int = 10
) -> int:
    """Call dispatch_due as the scheduler would (a minute apart) until nothing is left."""
    dispatcher = NewsletterDispatcher(config, sessions, clock, batch_size=batch_size)
    queued = 0
    for _ in range(200):
        clock.advance(timedelta(minutes=1))
        queued += await dispatcher.dispatch_due()
        if not await dispatcher.remaining() and await sending_count(sessions) == 0:
            return queued
    raise AssertionError("the dispatch never finished")


async def sending_count(sessions: Sessions) -> int:
    """Newsletters still in status sending."""
    async with sessions() as session:
        query = select(func.count()).where(NewsletterRow.status == "sending")
        return int(await session.scalar(query) or 0)


async def received(sessions: Sessions, user: str, *, field: str = "title") -> list[str]:
    """Titles (or texts) of the messages the local chat delivered into a user's DM."""
    async with sessions() as session:
        query = select(LocalMessageRow.payload).where(
            LocalMessageRow.conversation == f"user:{user}"
        )
        return [str(payload.get(field)) for payload in (await session.scalars(query)).all()]


__all__ = ["deliver_all"]
