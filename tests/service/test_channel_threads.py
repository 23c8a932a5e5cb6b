"""Issue 15: an answer in a team channel about one ticket goes into the thread of that
ticket's card and names the agent it is for; other channel answers stay top-level."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from tests.harness import Harness

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


def _request_topic(config: OrgConfig) -> str:
    return next(t.id for t in config.topics if t.kind == "request" and t.team == "haushalt")


async def test_a_claim_typed_in_the_channel_is_acknowledged_in_the_cards_thread(
    hotline: Harness, config: OrgConfig
) -> None:
    number = await hotline.file_request(REQUESTER, topic=_request_topic(config))
    (card,) = [n for n in await hotline.channel("haushalt") if n.card is not None]
    assert card.thread is None  # the card itself is a top-level post
    await hotline.say("hh.weber", f"/claim {number}", channel="haushalt")
    posted = await hotline.channel("haushalt")
    (ack,) = [n for n in posted if n.card is None]
    assert ack.thread == number  # the adapter posts it under the card
    assert ack.text == f"Julia Weber: Sie haben Nr. {number} übernommen."
    assert ack.mentions == ("hh.weber",)  # a pill where the platform has them
    assert [n.card for n in posted if n.card is not None] == [card.card]  # updated in place


async def test_answers_about_no_ticket_and_dm_answers_are_not_threaded(
    hotline: Harness, config: OrgConfig
) -> None:
    number = await hotline.file_request(REQUESTER, topic=_request_topic(config))
    await hotline.channel("haushalt")
    await hotline.say("hh.weber", "/hilfe", channel="haushalt")
    (help_text,) = await hotline.channel("haushalt")
    assert help_text.thread is None and not help_text.text.startswith("Julia Weber")
    (direct,) = [n for n in await hotline.say("hh.weber", f"/claim {number}") if n.card is None]
    assert direct.thread is None and direct.text.startswith("Sie haben")


def test_thread_survives_the_outbox() -> None:
    notice = Notice(text="x", ticket_id=3, thread=3)
    assert Notice.from_json(notice.to_json()) == notice
    assert "thread" not in Notice(text="x").to_json()  # rows written before stay the same


async def test_a_refusal_about_a_ticket_goes_into_its_thread_too(
    hotline: Harness, config: OrgConfig
) -> None:
    number = await hotline.file_request(REQUESTER, topic=_request_topic(config))
    await hotline.say("hh.weber", f"/claim {number}", channel="haushalt")
    await hotline.channel("haushalt")
    await hotline.say("hh.schneider", f"/claim {number}", channel="haushalt")
    (refusal,) = [n for n in await hotline.channel("haushalt") if n.card is None]
    assert refusal.thread == number and refusal.text.startswith("Martin Schneider: ")
    assert refusal.mentions == ("hh.schneider",)
