"""Every question a running dialog asks with buttons is an open prompt: its buttons carry its
id, a press on an earlier question is stale and changes nothing, and other open prompts (a
rating, a draft answer) stay open beside the dialog.

Through the engine on SQLite and PostgreSQL, pressing what the notices offered.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.actions import ButtonAction
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from storage.models import OpenPromptRow, TicketRow
from storage.repositories.dialog_states import ConversationKey, load_dialog
from tests.harness import Harness, button, texts
from tests.service import matrix_support as ms

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
OTHER = "schule.mond"
AGENT = "hh.schneider"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


def prompt_of(notices: list[Notice]) -> int | None:
    """The one prompt id the buttons of these notices carry (asserting they agree)."""
    found = {
        action.prompt
        for notice in notices
        for choice in notice.choices
        if (action := ButtonAction.decode(choice.id)) is not None
    }
    assert len(found) <= 1, found
    return next(iter(found), None)


async def tickets(hotline: Harness) -> int:
    async with hotline.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(TicketRow)) or 0)


async def slot(hotline: Harness, user: str) -> tuple[str, int] | None:
    async with hotline.sessions() as session, session.begin():
        stored = await load_dialog(session, key=ConversationKey("local", f"user:{user}", user))
    return None if stored is None else (stored.dialog, stored.version)


async def open_prompts(hotline: Harness, user: str) -> list[tuple[str, int | None]]:
    async with hotline.sessions() as session:
        rows = await session.scalars(
            select(OpenPromptRow).where(
                OpenPromptRow.user_id == user, OpenPromptRow.closed_at.is_(None)
            )
        )
        return [(row.kind, row.ticket_id) for row in rows]


async def test_each_question_of_the_intake_has_its_own_prompt(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Hallo")
    topics = await hotline.say(REQUESTER, "1")
    first = prompt_of(topics)
    assert first is not None and "Worum geht es" in texts(topics)
    pressed = button(topics, "topic:haushalt")
    assert pressed == f"topic:haushalt@{first}"
    following = await hotline.say(REQUESTER, action_id=pressed)
    second = prompt_of(following)
    assert second is not None and second != first
    assert await open_prompts(hotline, REQUESTER) == [("dialog", None)]


async def test_a_button_of_an_earlier_question_is_stale_and_changes_nothing(
    hotline: Harness,
) -> None:
    """Repro: a tap on an intake question already answered was taken as an answer to the
    question the intake asked now (or started a new request)."""
    await hotline.say(REQUESTER, "Hallo")
    topics = await hotline.say(REQUESTER, "1")
    old = button(topics, "topic:kreditoren")
    assert old is not None
    await hotline.say(REQUESTER, action_id=button(topics, "topic:haushalt"))
    before = await slot(hotline, REQUESTER)
    answer = texts(await hotline.say(REQUESTER, action_id=old))
    assert "früheren Frage" in answer and "nichts geändert" in answer
    assert await slot(hotline, REQUESTER) == before
    assert await tickets(hotline) == 0


async def test_a_question_asked_again_takes_only_its_newest_buttons(hotline: Harness) -> None:
    """A typo re-asks the question with fresh buttons; the first ones are then stale."""
    await hotline.say(REQUESTER, "Hallo")
    topics = await hotline.say(REQUESTER, "1")
    again = await hotline.say(REQUESTER, "99")
    assert "nicht verstanden" in texts(again)
    assert prompt_of(again) not in (None, prompt_of(topics))
    stale = texts(await hotline.say(REQUESTER, action_id=button(topics, "topic:haushalt")))
    assert "früheren Frage" in stale
    following = await hotline.say(REQUESTER, action_id=button(again, "topic:haushalt"))
    assert "nicht mehr aktuell" not in texts(following)


async def test_after_the_request_is_filed_its_confirm_button_files_nothing(
    hotline: Harness,
) -> None:
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    shown = await hotline.say(REQUESTER, action_id="topic:haushalt")
    for _ in range(3):  # sub-topic menu, FAQ menu, "did it help?"
        for wanted in ("topic:haushalt", "answer:none", "confirm:no"):
            if (pressed := button(shown[-1:], wanted)) is not None:
                shown = await hotline.say(REQUESTER, action_id=pressed)
                break
    await hotline.say(REQUESTER, "Der Beleg hängt seit Montag")
    summary = await hotline.say(REQUESTER, "-")
    confirm = button(summary, "confirm:yes")
    assert confirm is not None and "@" in confirm, texts(summary)
    filed = await hotline.say(REQUESTER, action_id=confirm)
    assert any(n.ticket_id for n in filed)
    hotline.clock.advance(timedelta(minutes=2))
    again = texts(await hotline.say(REQUESTER, action_id=confirm))
    assert "nicht mehr aktuell" in again and "früheren Frage" not in again  # nothing runs
    assert await tickets(hotline) == 1


async def test_another_persons_button_is_not_theirs_to_press(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Hallo")
    topics = await hotline.say(REQUESTER, "1")
    await hotline.say(OTHER, "Hallo")
    await hotline.say(OTHER, "1")
    before = await slot(hotline, OTHER)
    answer = texts(await hotline.say(OTHER, action_id=button(topics, "topic:haushalt")))
    assert "nicht mehr aktuell" in answer
    assert await slot(hotline, OTHER) == before


async def test_commands_under_a_dialog_question_carry_no_prompt(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    card = await hotline.channel("haushalt")
    claim = button(card, f"claim:{ticket_id}")
    assert claim == f"claim:{ticket_id}"  # a command is checked when it runs, not stamped


async def test_a_side_dialogs_questions_are_prompts_too(hotline: Harness) -> None:
    """The workshop form: a scale button of question 1 is stale once question 2 is asked."""
    workshop = await ms.add_workshop(hotline, days_from_now=-1)
    await ms.register(hotline, workshop, REQUESTER)
    first = await hotline.say(REQUESTER, f"/fragebogen {workshop}")
    assert "Frage 1 von 6" in texts(first)
    four = button(first, f"wsq:{workshop}:4")
    assert four is not None and "@" in four
    assert "Frage 2 von 6" in texts(await hotline.say(REQUESTER, action_id=four))
    stale = texts(await hotline.say(REQUESTER, action_id=four))
    assert "früheren Frage" in stale and "Frage 3 von 6" not in stale


async def test_a_rating_question_stays_open_while_a_new_request_is_written(
    hotline: Harness,
) -> None:
    """Several prompts at once: the rating of a resolved request and a new request's menu."""
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {ticket_id}", channel="haushalt")
    await hotline.say(
        AGENT, f"/resolve {ticket_id} Erledigt, Mittel freigegeben.", channel="haushalt"
    )
    rating = await hotline.dm(REQUESTER)
    four = button(rating, f"rate:{ticket_id}:4")
    assert four is not None
    await hotline.say(REQUESTER, "/neu")
    kinds = sorted(kind for kind, _ in await open_prompts(hotline, REQUESTER))
    assert kinds == ["dialog", "rating"]
    rated = texts(await hotline.say(REQUESTER, action_id=four))
    assert "Danke" in rated, rated
    assert [kind for kind, _ in await open_prompts(hotline, REQUESTER)] == ["dialog"]
