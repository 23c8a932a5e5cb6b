"""Stale input is answered, never acted on: a button or reaction for a question that is
answered, expired or unknown gets "nicht mehr aktuell", and nothing else changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from storage.models import TicketRow
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.schneider"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _tickets(hotline: Harness) -> int:
    async with hotline.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(TicketRow)) or 0)


async def test_a_button_of_an_intake_answered_long_ago_starts_nothing(hotline: Harness) -> None:
    """Repro: a reaction on an intake question answered 20 minutes ago started a new request."""
    await hotline.file_request(REQUESTER, topic="haushalt")
    hotline.clock.advance(timedelta(minutes=20))
    answer = texts(await hotline.say(REQUESTER, action_id="topic:haushalt"))
    assert "nicht mehr aktuell" in answer
    assert "Guten Tag" not in answer and "Worum geht es" not in answer
    assert await _tickets(hotline) == 1
    # Typing still starts a new request as always.
    assert "Guten Tag" in texts(await hotline.say(REQUESTER, "Hallo"))


async def test_an_unknown_button_keeps_a_waiting_resolve_draft(hotline: Harness) -> None:
    """Repro: a button value no current card carries started an intake and silently dropped
    the resolve draft that waited for "Senden"."""
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    draft = await hotline.say(AGENT, "Die Mittel sind freigegeben.")
    assert "Senden?" in texts(draft)
    for stale in ("colour:blue", "topic:gibtesnicht", "rate:x:y@abc", "x" * 500):
        answer = texts(await hotline.say(AGENT, action_id=stale))
        assert "nicht mehr aktuell" in answer, stale
        assert "Guten Tag" not in answer
    done = await hotline.say(AGENT, action_id="owed:send")
    assert f"Nr. {ticket_id} ist erledigt" in texts(done)
    assert (await hotline.ticket(ticket_id)).status == "resolved"


async def test_a_button_of_an_expired_intake_still_says_it_expired(hotline: Harness) -> None:
    """An intake left longer than the timeout keeps its own answer: it says so, starts anew."""
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    hotline.clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    answer = texts(await hotline.say(REQUESTER, action_id="topic:haushalt"))
    assert "nicht mehr aktuell" not in answer
    assert "Minuten" in answer  # "... nach 30 Minuten ohne Antwort ..."


async def test_another_conversations_button_never_lands_in_a_running_intake(
    hotline: Harness,
) -> None:
    """Noted by the team: a button from a side conversation went to a running intake."""
    await hotline.say(REQUESTER, "Hallo")
    asked = texts(await hotline.say(REQUESTER, "1"))
    assert "Worum geht es" in asked
    for foreign in ("wsq:1:5", "colour:blue"):
        answer = texts(await hotline.say(REQUESTER, action_id=foreign))
        assert "nicht mehr aktuell" in answer, foreign
        assert "nicht verstanden" not in answer
    # The newsletter's own buttons are its business (a composer button without a draft
    # says how to start one; a subscription button subscribes), never the intake's.
    composer = texts(await hotline.say(REQUESTER, action_id="nlg:kern"))
    assert "/newsletter" in composer and "nicht verstanden" not in composer
    subscribed = texts(await hotline.say(REQUESTER, action_id="nl:sub:f4"))
    assert "Sie erhalten jetzt den Newsletter" in subscribed
    # The intake is where it was: the topic menu still answers.
    assert "Hat Ihnen das geholfen" in texts(await hotline.say(REQUESTER, "haushalt"))


async def test_a_foreign_button_after_an_expired_intake_starts_nothing(hotline: Harness) -> None:
    """Review finding: a garbage or side button after the intake expired greeted anew."""
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    hotline.clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    for foreign in ("wsq:1:5", "colour:blue"):
        answer = texts(await hotline.say(REQUESTER, action_id=foreign))
        assert "nicht mehr aktuell" in answer and "Guten Tag" not in answer, foreign


async def test_an_old_drafts_button_after_a_newer_dialog_keeps_the_draft(
    hotline: Harness,
) -> None:
    """Review finding: draft 1's Senden pressed after /neu dropped the waiting draft 2 and
    said nothing had changed."""
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    first = await hotline.say(AGENT, "Erste Fassung.")
    await hotline.say(AGENT, "Ändern")
    second = await hotline.say(AGENT, "Zweite Fassung.")
    await hotline.say(AGENT, "/neu")
    stale = texts(await hotline.say(AGENT, action_id=first[-1].choices[0].id))
    assert "früheren Entwurf" in stale
    done = texts(await hotline.say(AGENT, action_id=second[-1].choices[0].id))
    assert f"Nr. {ticket_id} ist erledigt" in done
    assert "Zweite Fassung." in texts(await hotline.dm(REQUESTER))


@pytest.mark.parametrize("payload", ["topic:haushalt", "claim", "edit@5", "\x00"])
async def test_a_button_no_card_offers_in_a_channel_is_answered_stale(
    hotline: Harness, payload: str
) -> None:
    """Fuzz finding (issue 14): a forged or garbage button pressed in a team channel went
    the way of channel chatter and got no answer at all."""
    answer = texts(await hotline.say(AGENT, action_id=payload, channel="haushalt"))
    assert "nicht mehr aktuell" in answer
    assert await hotline.channel("haushalt") == []  # nothing posted into the channel
    assert await _tickets(hotline) == 0
