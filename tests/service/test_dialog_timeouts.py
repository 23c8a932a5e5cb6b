"""The configured dialog timeout (here 5 minutes, not the default 30) ends EVERY dialog that
waits for the user's next message, not only the intake: the comment after a rating, the
newsletter menu and the workshop feedback form. 4 minutes after the last message the dialog
takes the next one; 6 minutes after, it is over and the message starts afresh.

README, "Configuration": "timeout: an unfinished dialog (e.g. an intake left halfway)
expires after this long". SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.config
from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.actions import without_prompt
from bot.kernel.clock import FrozenClock
from storage.models import WorkshopFeedbackRow
from storage.repositories import newsletter, satisfaction
from tests.harness import Harness, texts
from tests.service import matrix_support as ms

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = ms.REQUESTER
SAMPLE = Path(bot.config.__file__).parent / "sample.yaml"
AFTER = [(4, True), (6, False)]  # minutes of silence, whether the dialog still takes the message
IDS = ["4 min: continues", "6 min: expired"]


@pytest.fixture
def hotline(tmp_path: Path, sessions: Sessions, clock: FrozenClock) -> Harness:
    """The engine on the sample organisation with `dialogs: timeout: 5m` (from the YAML)."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count("  timeout: 30m\n") == 1
    path = tmp_path / "hotline.yaml"
    path.write_text(text.replace("  timeout: 30m\n", "  timeout: 5m\n"), encoding="utf-8")
    config: OrgConfig = load_config(path)
    assert config.dialogs.timeout == timedelta(minutes=5)
    return Harness(config, sessions, clock)


def started_afresh(answer: str) -> bool:
    """The message was not taken by the old dialog: the intake greets."""
    return t("intake.greeting", "de") in answer


@pytest.mark.parametrize(("minutes", "continues"), AFTER, ids=IDS)
async def test_the_comment_after_a_rating(hotline: Harness, minutes: int, continues: bool) -> None:
    ticket_id = await ms.ticket_in(hotline, "resolved")
    asked = texts(await hotline.say(REQUESTER, f"/bewertung {ticket_id} 4"))
    assert t("csat.thanks_ask_comment", "de", score=4) in asked
    hotline.clock.advance(timedelta(minutes=minutes))
    answer = texts(await hotline.say(REQUESTER, "Sehr schnell geholfen, danke"))
    async with hotline.sessions() as session:
        rating = await satisfaction.rating_of(session, ticket_id=ticket_id)
    assert rating is not None and rating.score == 4
    if continues:
        assert t("csat.comment_thanks", "de") in answer
        assert rating.comment == "Sehr schnell geholfen, danke"
    else:
        assert rating.comment is None
        assert started_afresh(answer), answer


@pytest.mark.parametrize(("minutes", "continues"), AFTER, ids=IDS)
async def test_the_newsletter_menu(hotline: Harness, minutes: int, continues: bool) -> None:
    menu = await hotline.say(REQUESTER, "/newsletter")
    assert without_prompt(menu[-1].choices[1].id) == "nl:sub:f4"
    hotline.clock.advance(timedelta(minutes=minutes))
    answer = texts(await hotline.say(REQUESTER, "2"))
    async with hotline.sessions() as session:
        groups = await newsletter.subscribed_groups(session, platform="local", user_id=REQUESTER)
    if continues:
        assert groups == {"f4"}
    else:
        assert groups == set()
        assert started_afresh(answer), answer


async def answer_form(hotline: Harness, minutes: int) -> tuple[str, int]:
    """Open the feedback form of yesterday's workshop, answer the first question, wait
    `minutes`, then type "4"; the answer to that and the number of stored forms."""
    workshop = await ms.add_workshop(hotline, days_from_now=-1)
    await ms.register(hotline, workshop, REQUESTER)
    first = texts(await hotline.say(REQUESTER, f"/fragebogen {workshop}"))
    assert "Frage 1 von 6" in first
    assert "Frage 2 von 6" in texts(await hotline.say(REQUESTER, "5"))
    hotline.clock.advance(timedelta(minutes=minutes))
    answer = texts(await hotline.say(REQUESTER, "4"))
    async with hotline.sessions() as session:
        forms = len((await session.scalars(select(WorkshopFeedbackRow))).all())
    return answer, forms


async def test_the_workshop_form_continues_within_the_timeout(hotline: Harness) -> None:
    answer, forms = await answer_form(hotline, 4)
    assert "Frage 3 von 6" in answer and forms == 0


async def test_the_workshop_form_expires_after_the_timeout(hotline: Harness) -> None:
    answer, forms = await answer_form(hotline, 6)
    assert "Frage 3 von 6" not in answer and forms == 0
    assert started_afresh(answer), answer


@pytest.mark.parametrize(("minutes", "continues"), AFTER, ids=IDS)
async def test_the_answer_owed_after_erledigt_on_a_card(
    hotline: Harness, minutes: int, continues: bool
) -> None:
    ticket_id = await ms.ticket_in(hotline, "claimed")  # by the agent
    await hotline.say(ms.AGENT, action_id=f"resolve:{ticket_id}")
    hotline.clock.advance(timedelta(minutes=minutes))
    answer = texts(await hotline.say(ms.AGENT, "Die Mittel sind freigegeben."))
    if continues:  # the draft is shown for confirmation; "Senden" resolves
        assert "Senden" in answer
        answer = texts(await hotline.say(ms.AGENT, action_id="owed:send"))
    status = (await hotline.ticket(ticket_id)).status
    if continues:
        assert status == "resolved"
        assert t("cmd.resolve_ok", "de", id=ticket_id) in answer
    else:
        assert status == "claimed"
        assert started_afresh(answer), answer


@pytest.mark.parametrize(("minutes", "continues"), AFTER, ids=IDS)
async def test_a_reply_held_until_the_requester_says_which_ticket(
    hotline: Harness, minutes: int, continues: bool
) -> None:
    first = await ms.ticket_in(hotline, "claimed")
    second = await ms.ticket_in(hotline, "claimed")
    for ticket_id in (first, second):
        await hotline.say(ms.AGENT, f"/ask {ticket_id} Welche Kostenstelle?")
    which = texts(await hotline.say(REQUESTER, "Kostenstelle 4711"))
    assert t("reply.which", "de") in which
    hotline.clock.advance(timedelta(minutes=minutes))
    await hotline.say(REQUESTER, f"Nr. {first}")
    replies = [
        event.data.get("text")
        for ticket_id in (first, second)
        for event in await hotline.events(ticket_id)
        if event.action == "customer_reply"
    ]
    assert replies == (["Kostenstelle 4711"] if continues else [])
