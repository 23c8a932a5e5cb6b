"""The README's promise for every dialog step, checked in the side dialogs (the workshop
feedback form, the newsletter menu): "In every dialog step 'zurück' goes back and
'abbrechen' discards the input; every choice can be typed as its number or its word."

Through the engine on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from storage.models import WorkshopFeedbackRow
from storage.repositories import newsletter
from tests.harness import Harness, texts
from tests.service import matrix_support as ms

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = ms.REQUESTER


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    """The engine on the sample organisation."""
    return Harness(config, sessions, clock)


async def open_form(hotline: Harness) -> int:
    """The requester attended yesterday's workshop and opens its form at question 1."""
    workshop = await ms.add_workshop(hotline, days_from_now=-1)
    await ms.register(hotline, workshop, REQUESTER)
    assert "Frage 1 von 6" in texts(await hotline.say(REQUESTER, f"/fragebogen {workshop}"))
    return workshop


async def stored_forms(hotline: Harness) -> list[dict[str, object]]:
    """The feedback forms stored so far."""
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(WorkshopFeedbackRow))).all()
    return [dict(row.answers) for row in rows]


async def test_the_scale_is_answered_by_number_and_button(hotline: Harness) -> None:
    workshop = await open_form(hotline)
    assert "Frage 2 von 6" in texts(await hotline.say(REQUESTER, "4"))
    pressed = await hotline.say(REQUESTER, action_id=f"wsq:{workshop}:5")
    assert "Frage 3 von 6" in texts(pressed)


@pytest.mark.parametrize("typed", ["überwiegend", "4 – überwiegend"])
async def test_the_scale_is_answered_by_the_word_of_a_choice(hotline: Harness, typed: str) -> None:
    await open_form(hotline)
    assert t("questionnaire.scale.4", "de") == "4 – überwiegend"
    answer = texts(await hotline.say(REQUESTER, typed))
    assert "Frage 2 von 6" in answer, answer


async def test_back_in_the_form_goes_to_the_previous_question(hotline: Harness) -> None:
    await open_form(hotline)
    for number in range(2, 7):
        assert f"Frage {number} von 6" in texts(await hotline.say(REQUESTER, "4"))
    answer = texts(await hotline.say(REQUESTER, "zurück"))  # at the free-text question
    assert await stored_forms(hotline) == []
    assert "Frage 5 von 6" in answer, answer


async def test_cancel_in_the_form_discards_the_answers(hotline: Harness) -> None:
    workshop = await open_form(hotline)
    await hotline.say(REQUESTER, "4")
    answer = texts(await hotline.say(REQUESTER, "abbrechen"))
    assert t("questionnaire.cancelled", "de", id=workshop) in answer
    assert await stored_forms(hotline) == []
    assert "Frage 1 von 6" in texts(await hotline.say(REQUESTER, f"/fragebogen {workshop}"))


@pytest.mark.parametrize("typed", ["2", "f4", "Dezentrale Einrichtungen F4 – abonnieren"])
async def test_the_newsletter_menu_takes_number_word_and_label(
    hotline: Harness, typed: str
) -> None:
    await hotline.say(REQUESTER, "/newsletter")
    answer = texts(await hotline.say(REQUESTER, typed))
    async with hotline.sessions() as session:
        groups = await newsletter.subscribed_groups(session, platform="local", user_id=REQUESTER)
    assert groups == {"f4"}, answer


async def test_an_owed_card_answer_does_not_swallow_a_newer_intake(hotline: Harness) -> None:
    ticket_id = await ms.ticket_in(hotline, "claimed")  # by the agent
    prompt = texts(await hotline.say(ms.AGENT, action_id=f"resolve:{ticket_id}"))
    assert t("card.answer_prompt", "de", id=ticket_id) in prompt
    menu = await hotline.say(ms.AGENT, "/neu")  # the agent starts a request of their own
    assert any(choice.id.startswith("group:") for notice in menu for choice in notice.choices)
    answer = await hotline.say(ms.AGENT, "1")
    assert (await hotline.ticket(ticket_id)).status == "claimed"
    assert any(choice.id.startswith("topic:") for notice in answer for choice in notice.choices)
