"""The world the engine property test starts every example from, and the states it seeds.

A migrated SQLite file holds one fixed world (built once, copied per example): a requester
with two claimed tickets (for the follow-up dialog, and asked back for the choice of ticket a
reply is for) and a resolved one (for the rating survey),
a workshop that ended yesterday which the requester and a Team BK member attended (for the
feedback form), and Team BK's member as newsletter author. Each example then stores one
dialog state in the user's conversation slot, as the bot itself would have written it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.card_actions import PENDING_ANSWER, pending_key
from bot.conversation.engine import Engine
from bot.kernel.clock import FrozenClock
from bot.newsletter.compose import STEPS, Draft
from bot.service.actors import Actor
from dialogs.intake_states import IntakeState, dump_state
from dialogs.workshop_form import Progress
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import WorkshopRegistrationRow
from storage.repositories import workshops
from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog
from storage.repositories.profiles import save_profile
from tests.conftest import berlin
from tests.harness import Harness
from tests.service import matrix_support as ms

REQUESTER = ms.REQUESTER
AUTHOR = "bk.schmidt"  # Team BK: may write newsletters
BUILT_AT = berlin(2026, 11, 30, 9, 0)  # Monday
NOW = berlin(2026, 11, 30, 9, 30)


@dataclass(frozen=True)
class World:
    """The numbers of the fixed world's objects."""

    claimed: int  # the requester's ticket claimed by the Haushalt agent
    resolved: int  # the requester's resolved ticket, ready to be rated
    workshop: int  # ended yesterday; the requester and the author attended
    second: int  # another claimed ticket of the requester (two questions back pending)


@dataclass(frozen=True)
class Seed:
    """A dialog state stored in `user`'s conversation before the input arrives."""

    user: str
    dialog: str | None  # None: no row at all
    state: dict[str, Any]
    age: timedelta  # how long ago the state was saved
    waiting: int = 0  # how many of the claimed tickets were asked back (0, 1 or 2)


def key_of(user: str) -> ConversationKey:
    """The conversation key of `user`'s direct chat on the local platform."""
    return ConversationKey("local", f"user:{user}", user)


async def _build(config: OrgConfig, path: Path) -> World:
    """Migrate the file and create the world in it."""
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    hotline = Harness(config, sessions, FrozenClock(BUILT_AT))
    claimed = await ms.ticket_in(hotline, "claimed")
    resolved = await ms.ticket_in(hotline, "resolved")
    second = await ms.ticket_in(hotline, "claimed")
    starts = BUILT_AT - timedelta(days=3)  # Friday
    values = {
        "code": "properties",
        "title": "Beschaffung: Grundlagen",
        "topic": "beschaffung",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "place": "Raum 3.14",
        "seats": 20,
        "groups": [],
        "trainer_team": "bk",
    }
    async with sessions() as session, session.begin():
        await save_profile(
            session, platform="local", user_id=REQUESTER, at=BUILT_AT, customer_group_id="f1-f3"
        )
        row, _ = await workshops.upsert(session, values=values, at=BUILT_AT)
        for user in (REQUESTER, AUTHOR):
            session.add(
                WorkshopRegistrationRow(
                    workshop_id=row.id,
                    platform="local",
                    user_id=user,
                    display_name=user,
                    locale="de",
                    status="registered",
                    registered_at=starts - timedelta(days=10),
                )
            )
        workshop = row.id
    await engine.dispose()
    return World(claimed=claimed, resolved=resolved, workshop=workshop, second=second)


def build_template(config: OrgConfig, path: Path) -> World:
    """Build the template file (outside any running event loop)."""
    return asyncio.run(_build(config, path))


async def seed(
    sessions: async_sessionmaker[AsyncSession], engine: Engine, world: World, plan: Seed
) -> None:
    """Store the seeded dialog state (and ask claimed tickets back if the plan says so)."""
    async with sessions() as session, session.begin():
        for ticket_id in (world.claimed, world.second)[: plan.waiting]:
            await engine.service.ask(
                session,
                ticket_id=ticket_id,
                actor=Actor("local", ms.AGENT),
                question="Welche Kostenstelle?",
            )
        if plan.dialog is None:
            return
        key = key_of(plan.user)
        if plan.dialog == PENDING_ANSWER:  # kept per person, whichever chat they type in
            key = pending_key(Actor("local", plan.user))
        stored = await load_dialog(session, key=key)
        await save_dialog(
            session,
            key=key,
            seen_version=None if stored is None else stored.version,
            dialog=plan.dialog,
            state=plan.state,
            at=NOW - plan.age,
        )


def intake_state(state: IntakeState) -> dict[str, Any]:
    """An intake state as the runner stores it."""
    return dump_state(state)


def form_state(world: World, index: int, answers: dict[str, Any]) -> dict[str, Any]:
    """A feedback form at question `index`."""
    return Progress(world.workshop, index, answers).to_state()


def draft_state(step: str, groups: tuple[str, ...], title: str, body: str) -> dict[str, Any]:
    """A newsletter draft at `step`, the earlier steps filled in (as the dialog does)."""
    reached = STEPS.index(step)
    return Draft(
        step=step,
        groups=groups,
        title=title if reached >= 2 else "",
        body=body if reached >= 3 else "",
    ).to_state()
