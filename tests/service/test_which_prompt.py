""" "Wozu gehört Ihre Nachricht?": a text typed during a dialog, after a team asked back on
another request, is held and the person asked where it belongs; nothing is dropped or
guessed.

Through the engine on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from storage.repositories.dialog_states import ConversationKey, load_dialog
from tests.harness import Harness, button, plain_ids, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.weber"
DESCRIPTION = "Uns fehlen Mittel für Lernmittel"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def intake_step(hotline: Harness) -> tuple[str, int] | None:
    async with hotline.sessions() as session, session.begin():
        key = ConversationKey("local", f"user:{REQUESTER}", REQUESTER)
        stored = await load_dialog(session, key=key)
    return None if stored is None else (str(stored.state.get("kind")), stored.version)


async def asked_back_during_a_new_request(hotline: Harness) -> int:
    """Request 1 is claimed; the requester starts a second one and stands at its
    description; then the team asks back on request 1. Returns request 1's number."""
    first = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {first}")
    await hotline.say(REQUESTER, "/neu")
    await hotline.say(REQUESTER, "Haushalt")
    for _ in range(3):
        shown = await hotline.dm(REQUESTER) or []
        if "answer:none" in plain_ids(shown):
            await hotline.say(REQUESTER, action_id=button(shown, "answer:none"))
    hotline.clock.advance(timedelta(minutes=3))
    await hotline.say(AGENT, f"/ask {first} Welche Kostenstelle?")
    await hotline.dm(REQUESTER)
    return first


async def question(hotline: Harness, text: str) -> list[Notice]:
    before = await intake_step(hotline)
    asked = await hotline.say(REQUESTER, text)
    assert "Wozu gehört Ihre Nachricht" in texts(asked), texts(asked)
    assert await intake_step(hotline) == before, "the dialog moved while the text was held"
    return asked


async def replies(hotline: Harness, ticket_id: int) -> list[str]:
    return [
        str(event.data.get("text", ""))
        for event in await hotline.events(ticket_id)
        if event.action == "customer_reply"
    ]


async def test_a_text_after_a_newer_question_back_is_held_and_asked_about(
    hotline: Harness,
) -> None:
    first = await asked_back_during_a_new_request(hotline)
    asked = await question(hotline, "Kostenstelle 4711")
    assert plain_ids(asked) == [f"which:reply:{first}", "which:dialog"]
    assert f"Antwort auf die Rückfrage zu Nr. {first}" in texts(asked)
    assert (await hotline.ticket(first)).status == "waiting_for_customer"
    answered = await hotline.say(REQUESTER, action_id=button(asked, f"which:reply:{first}"))
    assert "nicht verstanden" not in texts(answered)
    # The request being written keeps the chat: the thanks does not promise to add more to it.
    assert "Ihre laufende Eingabe geht weiter" in texts(answered)
    assert "Weitere Nachrichten ergänze ich" not in texts(answered)
    assert await replies(hotline, first) == ["Kostenstelle 4711"]
    assert (await hotline.ticket(first)).status != "waiting_for_customer"
    stale = texts(await hotline.say(REQUESTER, action_id=button(asked, "which:dialog")))
    assert "nicht mehr aktuell" in stale
    assert await replies(hotline, first) == ["Kostenstelle 4711"]


async def test_choosing_the_dialog_by_number_feeds_it_the_text(hotline: Harness) -> None:
    first = await asked_back_during_a_new_request(hotline)
    before = await intake_step(hotline)
    await question(hotline, DESCRIPTION)
    fed = await hotline.say(REQUESTER, "2")
    assert "Wozu gehört" not in texts(fed)
    assert await intake_step(hotline) != before  # the description was taken
    assert await replies(hotline, first) == []
    assert (await hotline.ticket(first)).status == "waiting_for_customer"


async def test_more_text_is_added_and_a_wrong_number_is_asked_again(hotline: Harness) -> None:
    first = await asked_back_during_a_new_request(hotline)
    await question(hotline, "Kostenstelle 4711,")
    again = texts(await hotline.say(REQUESTER, "Sachkonto 5200"))
    assert "Wozu gehört" in again and "4711, Sachkonto 5200" in again
    assert "von 1 bis 2" in texts(await hotline.say(REQUESTER, "7"))
    await hotline.say(REQUESTER, "1")
    assert await replies(hotline, first) == ["Kostenstelle 4711,\nSachkonto 5200"]


async def test_cancel_drops_the_held_text_and_says_so(hotline: Harness) -> None:
    first = await asked_back_during_a_new_request(hotline)
    before = await intake_step(hotline)
    await question(hotline, "Kostenstelle 4711")
    dropped = texts(await hotline.say(REQUESTER, "abbrechen"))
    assert "verworfen" in dropped and "Kostenstelle 4711" in dropped
    assert await intake_step(hotline) == before  # the request being written goes on
    assert await replies(hotline, first) == []


async def test_a_question_back_older_than_the_dialogs_step_asks_nothing(
    hotline: Harness,
) -> None:
    """The dialog's latest step came after the question back: the text is the dialog's."""
    first = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {first}")
    await hotline.say(AGENT, f"/ask {first} Welche Kostenstelle?")
    hotline.clock.advance(timedelta(minutes=3))
    await hotline.say(REQUESTER, "/neu")
    answer = texts(await hotline.say(REQUESTER, "Haushalt"))
    assert "Wozu gehört" not in answer


async def test_a_bare_number_during_a_dialog_stays_the_dialogs(hotline: Harness) -> None:
    await asked_back_during_a_new_request(hotline)
    await hotline.say(REQUESTER, "zurück")  # back to a menu
    hotline.clock.advance(timedelta(minutes=3))
    answer = texts(await hotline.say(REQUESTER, "1"))
    assert "Wozu gehört" not in answer
