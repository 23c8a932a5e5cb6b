"""The storage contract of open prompts (the questions a person has not answered yet), run
on SQLite and PostgreSQL through the `db` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import FrozenClock
from storage.models import OpenPromptRow
from storage.repositories import prompts

Sessions = async_sessionmaker[AsyncSession]


async def ask(
    session: AsyncSession,
    user: str,
    kind: str,
    ticket_id: int | None,
    at: datetime,
    typed_until: datetime,
    held_text: str | None = None,
) -> OpenPromptRow:
    """A question asked of a local user."""
    return await prompts.open_prompt(
        session,
        platform="local",
        user_id=user,
        kind=kind,
        ticket_id=ticket_id,
        at=at,
        typed_until=typed_until,
        held_text=held_text,
    )


async def test_open_prompts_are_answered_once(sessions: Sessions, clock: FrozenClock) -> None:
    """Typed answers go to the newest prompt still open for typing; a prompt closes once."""
    now = clock.now()
    async with sessions() as session, session.begin():
        older = await ask(session, "anna", "rating", 1, now, now + timedelta(minutes=30))
        newer = await ask(
            session, "anna", "rating", 2, now + timedelta(minutes=1), now + timedelta(minutes=31)
        )
        await ask(session, "bert", "rating", 3, now, now + timedelta(minutes=30))
    async with sessions() as session, session.begin():
        found = await prompts.typed_candidates(
            session, platform="local", user_id="anna", now=now + timedelta(minutes=2)
        )
        assert [row.id for row in found] == [newer.id, older.id]
        dialog = await ask(
            session, "anna", "dialog", None, now + timedelta(minutes=1), now + timedelta(minutes=9)
        )
        in_order = await prompts.typed_candidates(
            session, platform="local", user_id="anna", now=now + timedelta(minutes=2)
        )
        assert [row.id for row in in_order] == [dialog.id, newer.id, older.id]
        newest = await prompts.typed_candidates(  # one kind, the newest only (a typed rating)
            session,
            platform="local",
            user_id="anna",
            now=now + timedelta(minutes=2),
            kind="rating",
            limit=1,
        )
        assert [row.id for row in newest] == [newer.id]
        assert await prompts.close_prompt(session, prompt_id=dialog.id, outcome="x", at=now)
        late = await prompts.typed_candidates(
            session, platform="local", user_id="anna", now=now + timedelta(minutes=30, seconds=1)
        )
        assert [row.id for row in late] == [newer.id]  # the older one is for buttons only now
        assert await prompts.close_prompt(session, prompt_id=newer.id, outcome="answered", at=now)
        assert not await prompts.close_prompt(session, prompt_id=newer.id, outcome="x", at=now)
        assert (
            await prompts.close_for_ticket(
                session, kind="rating", ticket_id=1, outcome="reopened", at=now
            )
            == 1
        )
    async with sessions() as session:
        closed = await prompts.get_prompt(session, prompt_id=newer.id)
        assert closed is not None and closed.outcome == "answered" and closed.closed_at == now
        assert (
            await prompts.typed_candidates(session, platform="local", user_id="anna", now=now) == []
        )
        assert await prompts.get_prompt(session, prompt_id=10**12) is None


async def test_a_persons_questions_of_one_kind_are_found_and_closed_together(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """The running dialog's questions: the newest open one, and all closed when it moves on;
    a held message comes back as it was written."""
    now = clock.now()
    held = "Kostenstelle 4711 – äöü ß\nzweite Zeile " + "x" * 3000
    async with sessions() as session, session.begin():
        ids = []
        for user, kind, minute in (
            ("anna", "dialog", 0),
            ("anna", "dialog", 1),
            ("bert", "dialog", 2),
        ):
            row = await ask(
                session,
                user,
                kind,
                None,
                now + timedelta(minutes=minute),
                now + timedelta(minutes=30),
            )
            ids.append(row.id)
        which = await ask(
            session, "anna", "which", 7, now, now + timedelta(minutes=30), held_text=held
        )
    async with sessions() as session, session.begin():
        latest = await prompts.latest_open(session, platform="local", user_id="anna", kind="dialog")
        assert latest is not None and latest.id == ids[1]
        closed = await prompts.close_all(
            session, platform="local", user_id="anna", kind="dialog", outcome="moved_on", at=now
        )
        assert closed == 2
        assert (
            await prompts.latest_open(session, platform="local", user_id="anna", kind="dialog")
            is None
        )
        bert = await prompts.latest_open(session, platform="local", user_id="bert", kind="dialog")
        assert bert is not None and bert.id == ids[2]
        kept = await prompts.get_prompt(session, prompt_id=which.id)
        assert kept is not None and kept.closed_at is None and kept.held_text == held
