"""A reply held while the bot asks which request it belongs to is never lost silently: a
command that takes its place (/neu) says first that it was not sent; a command that only
reports (/status), a refused command, a rating or an older message's button leaves it held;
/abbrechen drops it, as asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from tests.harness import Harness, texts
from tests.service.test_dialog_fixes import HAUSHALT, REQUESTER, _replies, _two_questions

Sessions = async_sessionmaker[AsyncSession]
HELD = "Kostenstelle 4711"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _holding(hotline: Harness) -> tuple[int, int]:
    first, second = await _two_questions(hotline)
    assert "Zu welchem Anliegen" in texts(await hotline.say(REQUESTER, HELD))
    return first, second


async def test_a_new_request_over_a_held_reply_says_it_was_not_sent(hotline: Harness) -> None:
    first, second = await _holding(hotline)
    told = await hotline.say(REQUESTER, "/neu")
    assert told[0].text == t("reply.not_sent", "de", text=HELD)
    assert told[-1].choices, "the new request's first question follows"
    assert await _replies(hotline, first) == await _replies(hotline, second) == []
    assert "nicht verschickt" not in texts(await hotline.say(REQUESTER, "1"))  # told once


async def test_a_report_command_leaves_the_reply_held(hotline: Harness) -> None:
    first, _ = await _holding(hotline)
    told = await hotline.say(REQUESTER, "/status")
    assert "nicht verschickt" not in texts(told)
    await hotline.say(REQUESTER, "1")
    assert await _replies(hotline, first) == [HELD]


async def test_a_rating_leaves_the_reply_held_and_asks_no_comment(hotline: Harness) -> None:
    text = "Die Rechnung für die Kreide ist offen"
    rated = await hotline.file_request(REQUESTER, topic="haushalt", text=text)
    await hotline.say(HAUSHALT, f"/claim {rated}")
    await hotline.say(HAUSHALT, f"/resolve {rated} Ist gebucht.")
    first, _ = await _holding(hotline)
    told = await hotline.say(REQUESTER, action_id=f"rate:{rated}:4")
    assert [n.text for n in told] == [t("csat.thanks_short", "de", score=4)]
    await hotline.say(REQUESTER, "1")
    assert await _replies(hotline, first) == [HELD]


async def test_cancel_drops_the_held_reply_without_a_second_notice(hotline: Harness) -> None:
    first, second = await _holding(hotline)
    told = await hotline.say(REQUESTER, "/abbrechen")
    assert [n.text for n in told] == [t("cmd.cancelled", "de")]
    await hotline.say(REQUESTER, "1")
    assert await _replies(hotline, first) == await _replies(hotline, second) == []


async def test_a_refused_command_leaves_the_reply_held(hotline: Harness) -> None:
    first, _ = await _holding(hotline)
    told = await hotline.say(REQUESTER, "/status 999")
    assert "999" in texts(told) and "nicht verschickt" not in texts(told)
    await hotline.say(REQUESTER, "1")
    assert await _replies(hotline, first) == [HELD]


async def test_an_older_button_asks_again_and_keeps_the_reply(hotline: Harness) -> None:
    first, _ = await _holding(hotline)
    told = await hotline.say(REQUESTER, action_id="topic:haushalt")  # an old intake menu
    assert "Zu welchem Anliegen" in texts(told) and "nicht verschickt" not in texts(told)
    await hotline.say(REQUESTER, "1")
    assert await _replies(hotline, first) == [HELD]


async def test_an_expired_held_reply_under_a_new_request_is_reported_once(
    hotline: Harness,
) -> None:
    await _holding(hotline)
    hotline.clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    told = await hotline.say(REQUESTER, "/neu")
    assert [n.text for n in told].count(t("reply.not_sent", "de", text=HELD)) == 1
    assert "nicht verschickt" not in texts(await hotline.say(REQUESTER, "1"))
