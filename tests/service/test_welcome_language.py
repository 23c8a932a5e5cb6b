"""Issue 15: a welcome when the bot is added, the first message's language where the platform
gives none, and the first message kept as the start of the request."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound
from storage.models import OutboxRow
from storage.repositories.profiles import get_profile
from tests.harness import Harness, button, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


def joined(event_id: str, *, locale: str = "de", channel: str | None = None) -> Inbound:
    """The bot added to REQUESTER's DM (or to a team channel), as an adapter reports it."""
    return Inbound(
        platform="local",
        conversation_id=f"channel:{channel}" if channel else f"user:{REQUESTER}",
        user_id=REQUESTER,
        event_id=event_id,
        locale=locale,
        is_direct=channel is None,
        channel_id=channel,
        kind="joined",
    )


async def _outbox(hotline: Harness) -> list[OutboxRow]:
    async with hotline.sessions() as session:
        return list((await session.scalars(select(OutboxRow))).all())


async def test_install_events_greet_each_conversation_once(hotline: Harness) -> None:
    # Teams sends installationUpdate and conversationUpdate for one install, and redelivers
    assert await hotline.engine.handle(joined("install-1"))
    assert not await hotline.engine.handle(joined("conversation-update-1"))
    assert not await hotline.engine.handle(joined("install-1"))
    (welcome,) = await hotline.dm(REQUESTER)
    assert "/hilfe" in welcome.text and "/language en" in welcome.text
    assert welcome.text.index("Guten Tag") < welcome.text.index("Prefer English")
    # a team channel the app is added to is greeted there, once, and nobody's DM is
    assert await hotline.engine.handle(joined("team-1", channel="haushalt"))
    assert not await hotline.engine.handle(joined("team-2", channel="haushalt"))
    (posted,) = await hotline.channel("haushalt")
    assert "@Hotline /hilfe" in posted.text
    assert await hotline.dm(REQUESTER) == []
    assert len(await _outbox(hotline)) == 2  # through the outbox, like every notice


async def test_english_platform_locale_greets_in_english(hotline: Harness) -> None:
    await hotline.engine.handle(joined("install-en", locale="en-GB"))
    (welcome,) = await hotline.dm(REQUESTER)
    assert welcome.text.startswith("Hello!") and "/help" in welcome.text
    assert "/sprache de" in welcome.text


async def test_without_a_locale_the_welcome_says_to_just_write_in_english(
    hotline: Harness,
) -> None:
    await hotline.engine.handle(joined("matrix-join", locale=""))
    (welcome,) = await hotline.dm(REQUESTER)
    assert welcome.text.startswith("Guten Tag!") and "Just write in English" in welcome.text


async def test_first_english_message_chooses_english_and_it_is_remembered(
    hotline: Harness,
) -> None:
    answer = texts(
        await hotline.say(REQUESTER, "Hello, I have a question about my invoice", locale="")
    )
    assert "Hello!" in answer and "Guten Tag" not in answer
    answer = texts(await hotline.say(REQUESTER, "1", locale=""))  # a number shows no language
    assert "topic" in answer.lower() and "Thema" not in answer
    async with hotline.sessions() as session:
        profile = await get_profile(session, platform="local", user_id=REQUESTER)
    assert profile is not None and profile.locale == "auto-en"
    # /sprache still wins over the guess
    assert "Deutsch" in texts(await hotline.say(REQUESTER, "/sprache de", locale=""))
    assert "Thema" in texts(await hotline.say(REQUESTER, "/neu", locale=""))


async def test_a_platform_locale_beats_the_words(hotline: Harness) -> None:
    answer = texts(await hotline.say(REQUESTER, "Hello, I have a question about my invoice"))
    assert "Guten Tag" in answer  # Teams said de-DE: the platform's language stands
    async with hotline.sessions() as session:
        assert await get_profile(session, platform="local", user_id=REQUESTER) is None


async def _to_description(hotline: Harness, first: str, topic: str) -> list[object]:
    notices = await hotline.say(REQUESTER, first, event_id="first-message")
    assert any(c.id.startswith("group:") for n in notices for c in n.choices[:1])
    notices = await hotline.say(REQUESTER, "1")
    notices = await hotline.say(REQUESTER, action_id=button(notices, f"topic:{topic}"))
    for _ in range(3):  # FAQ answers first: declined
        pressed = button(notices[-1:], "answer:none") or button(notices[-1:], "confirm:no")
        if pressed is None:
            break
        notices = await hotline.say(REQUESTER, action_id=pressed)
    return list(notices)


def _request_topic(config: OrgConfig) -> str:
    return next(
        t.id
        for t in config.topics
        if t.kind == "request" and t.parent is None and not config.subtopics(t.id)
    )


async def test_the_first_message_is_offered_as_the_description(
    hotline: Harness, config: OrgConfig
) -> None:
    first = "Unsere Rechnung 4711 wurde doppelt gebucht"
    notices = await _to_description(hotline, first, _request_topic(config))
    asked = notices[-1]
    assert first in asked.text  # type: ignore[attr-defined]
    use = button(notices, "confirm:draft")  # type: ignore[arg-type]
    assert use is not None
    await hotline.say(REQUESTER, action_id=use)
    await hotline.say(REQUESTER, "-")  # no reference
    answer = await hotline.say(REQUESTER, "ja")
    (number,) = [n.ticket_id for n in answer if n.ticket_id is not None]
    ticket = await hotline.ticket(number)
    assert ticket.description == first
    # the description remembers the first message's event: editing it still counts
    await hotline.say(
        REQUESTER, "Unsere Rechnung 4712 wurde doppelt gebucht", edits="first-message"
    )
    assert (await hotline.ticket(number)).description.startswith("Unsere Rechnung 4712")


async def test_a_new_description_replaces_the_offer(hotline: Harness, config: OrgConfig) -> None:
    await _to_description(hotline, "Guten Tag, ich habe eine Frage", _request_topic(config))
    await hotline.say(REQUESTER, "Der Beleg 17 fehlt im Export")
    await hotline.say(REQUESTER, "-")
    answer = await hotline.say(REQUESTER, "ja")
    (number,) = [n.ticket_id for n in answer if n.ticket_id is not None]
    assert (await hotline.ticket(number)).description == "Der Beleg 17 fehlt im Export"


async def test_a_greeting_alone_is_not_kept(hotline: Harness, config: OrgConfig) -> None:
    notices = await _to_description(hotline, "Hallo", _request_topic(config))
    assert button(notices, "confirm:draft") is None  # type: ignore[arg-type]


async def test_an_edited_first_message_is_offered_as_edited(
    hotline: Harness, config: OrgConfig
) -> None:
    first = "Unsere Rechnung 4711 wurde doppelt gebucht"
    await hotline.say(REQUESTER, first, event_id="first")
    await hotline.say(REQUESTER, first.replace("4711", "4712"), edits="first")
    notices = await hotline.say(REQUESTER, "1")
    topic = _request_topic(config)
    notices = await hotline.say(REQUESTER, action_id=button(notices, f"topic:{topic}"))
    for _ in range(3):
        pressed = button(notices[-1:], "answer:none") or button(notices[-1:], "confirm:no")
        if pressed is None:
            break
        notices = await hotline.say(REQUESTER, action_id=pressed)
    assert "4712" in notices[-1].text and "4711" not in notices[-1].text
    await hotline.say(REQUESTER, "", redacts="first")  # deleted: no longer offered
    assert "etwas knapp" in texts(await hotline.say(REQUESTER, "ja"))
