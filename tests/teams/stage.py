"""The stage for end-to-end tests in Teams: the bot and Microsoft's playground with its cast.

Cast (the playground's mock tenant; the adapter knows people by their AAD object id):
the current user Alex Wilber (user-id-0) is the requester, a school, not staff; the five
other tenant users are Martin Schneider and Julia Weber (team Budget / Haushalt),
Dr. Katharina Hoffmann (department lead) and Team BK's two complaint managers (see STAFF).
The Haushalt channel is the team's General channel, Team BK's the second channel (the
playground allows no third; a test may give it to the leadership instead). The playground always
sends locale en-US, so the requester first switches to German with /sprache de (agents stay
English). Its event stream shows what the requester's client shows; messages to other
people's 1:1 chats are read from its recording (``posted``).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.kernel.actions import without_prompt
from bot.kernel.clock import FrozenClock
from tests.conftest import berlin
from tests.teams.bot_fixture import HotlineBot, teams_config
from tests.teams.conftest import PlaygroundFactory
from tests.teams.playground import Playground, StreamEvent, default_config, free_port

PERSONAL_CHAT = "a:1hotline-requester-chat"
BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"
TEAM = "19:hotline-general@thread.tacv2"  # General channel = the team id: Budget / Haushalt
BK_CHANNEL = "19:hotline-bk@thread.tacv2"
MONDAY_9 = berlin(2026, 11, 30, 9, 0)
STAFF = ("hh.schneider", "hh.weber", "leitung.hoffmann", "bk.berger", "bk.yilmaz")


def tenant() -> dict[str, Any]:
    """The playground's mock tenant, with Teams-shaped ids for the bot, chat and channels.

    The requester (currentUser) keeps distinct ids ("user-id-0" and an AAD object id), as in
    Teams. The five other users are the staff in STAFF's order; their account ids ARE their
    AAD object ids, because the playground resolves a 1:1 chat the bot opens
    (POST /v3/conversations) by account id only, while the adapter (like Teams in the
    personal scope) addresses people it has not talked to by AAD object id."""
    config = default_config(personal_chat_id=PERSONAL_CHAT)
    config["bot"] = {"id": BOT_ID, "name": "Hotline Finanzen"}
    config["team"]["id"] = TEAM
    config["team"]["name"] = "Hotline Finanzen"
    config["team"]["channels"] = [{"id": BK_CHANNEL, "name": "Team BK"}]  # at most one more
    for user in config["users"]:
        user["id"] = user["aadObjectId"]
    return config


TENANT = tenant()
REQUESTER = str(TENANT["currentUser"]["id"])  # user-id-0, Alex Wilber
CAST = {person: str(user["id"]) for person, user in zip(STAFF, TENANT["users"], strict=True)}
AAD = {user["id"]: user["aadObjectId"] for user in [TENANT["currentUser"], *TENANT["users"]]}


def aad(person_id: str) -> str:
    """The Teams user id the adapter sees for a staff member (from.aadObjectId)."""
    return str(AAD[CAST[person_id]])


# --- reading the stream ----------------------------------------------------------------


def unescape(markdown: str) -> str:
    """Card text as a user reads it (a backslash before punctuation is a Markdown escape)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def plain(event: StreamEvent) -> str:
    """Everything a user reads in a message: text, card texts, facts and button titles; a
    mention (`<at>Name</at>`) reads as the name, as Teams shows it."""
    parts = [event.text or "", *event.card_texts()]
    for card in event.cards:
        for block in card.get("body", []):
            for fact in block.get("facts", []):
                parts.append(f"{fact['title']}: {fact['value']}")
    parts += [str(action.get("title", "")) for action in event.submit_actions()]
    return _AT.sub(lambda tag: html.unescape(tag.group(1)), unescape("\n".join(parts)))


_AT = re.compile(r"<at>(.*?)</at>")


def facts(event: StreamEvent) -> dict[str, str]:
    return {
        unescape(fact["title"]): unescape(fact["value"])
        for card in event.cards
        for block in card.get("body", [])
        for fact in block.get("facts", [])
    }


def actions(event: StreamEvent) -> list[str]:
    """The card's buttons, then the options of its choice set (a long list)."""
    buttons = [str((a.get("data") or {}).get("action")) for a in event.submit_actions()]
    return [b for b in buttons if b != "None"] + list(choice_set(event))


def choice_set(event: StreamEvent) -> dict[str, str]:
    """The options of the card's Input.ChoiceSet: value -> title."""
    return {
        str(option["value"]): str(option["title"])
        for card in event.cards
        for block in card.get("body", [])
        if block.get("type") == "Input.ChoiceSet"
        for option in block.get("choices", [])
    }


def plain_actions(event: StreamEvent) -> list[str]:
    """The card's buttons as their dialog knows them (without the question's prompt id)."""
    return [without_prompt(action) for action in actions(event)]


def says(fragment: str, conversation: str | None = None) -> Callable[[StreamEvent], bool]:
    def match(event: StreamEvent) -> bool:
        in_place = conversation is None or event.conversation_id == conversation
        return event.is_create and in_place and fragment in plain(event)

    return match


def offers(action_id: str, conversation: str | None = None) -> Callable[[StreamEvent], bool]:
    def match(event: StreamEvent) -> bool:
        in_place = conversation is None or event.conversation_id == conversation
        offered = (*actions(event), *plain_actions(event))
        return event.is_create and in_place and action_id in offered

    return match


def in_channel(event: StreamEvent) -> bool:
    return event.conversation_id.split(";", 1)[0] in (TEAM, BK_CHANNEL)


@dataclass(frozen=True)
class Posted:
    """A message the bot posted through the playground's connector (from its recording).

    The playground streams only what its current user (the requester) sees; 1:1 chats the bot
    opens with other people are visible in the recording alone."""

    conversation_id: str
    body: dict[str, Any]
    status: int

    @property
    def text(self) -> str:
        text = str(self.body.get("text") or "")
        if self.body.get("textFormat") == "markdown":
            text = unescape(text)
        parts = [text, str(self.body.get("summary") or "")]
        for attachment in self.body.get("attachments") or []:
            content = attachment.get("content") or {}
            for block in content.get("body", []):
                parts.append(unescape(str(block.get("text", ""))))
                for fact in block.get("facts", []):
                    parts.append(unescape(f"{fact['title']}: {fact['value']}"))
        return "\n".join(parts)


def posted(pg: Playground) -> list[Posted]:
    """Every POST .../v3/conversations/{id}/activities the bot made, in order."""
    found = []
    for event in pg.recorded_events():
        request, response = event.get("request") or {}, event.get("response") or {}
        url = unquote(str(request.get("url") or ""))
        if request.get("method") != "POST" or "/v3/conversations/" not in url:
            continue
        conversation = url.split("/v3/conversations/", 1)[1].split("/activities", 1)[0]
        raw = request.get("body")
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        found.append(Posted(conversation, body, int(response.get("statusCode") or 0)))
    return found


async def wait_posted(
    pg: Playground, predicate: Callable[[Posted], bool], count: int = 1, within: float = 10.0
) -> list[Posted]:
    """The first `count` recorded posts matching `predicate` (polls the recording)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        matches = [p for p in posted(pg) if predicate(p)]
        if len(matches) >= count:
            return matches[:count]
        if asyncio.get_running_loop().time() >= deadline:
            seen = [(p.conversation_id, p.text[:80], p.status) for p in posted(pg)]
            raise AssertionError(f"{len(matches)}/{count} matching posts; all: {seen}")
        await asyncio.sleep(0.05)


async def click(pg: Playground, card: StreamEvent, action_id: str, user: str = REQUESTER) -> int:
    """`user` presses the card's button `action_id` (it must be on the card); returns the
    stream mark before the press."""
    ids = actions(card)
    if action_id not in ids:  # named as the dialog knows it: press what the card carries
        ids = plain_actions(card)
    assert action_id in ids, f"no button {action_id!r} on the card: {actions(card)}"
    mark = pg.mark()
    chosen = actions(card)[ids.index(action_id)]
    if chosen in choice_set(card):  # picked from the list, then the one submit button
        (submit,) = card.submit_actions()
        value = {**(submit.get("data") or {}), "action": chosen}
        await pg.submit_card(card, value, user_id=user)
    else:
        await pg.submit_card(card, user_id=user, action=ids.index(action_id))
    return mark


# --- the stage: bot + playground -------------------------------------------------------


@dataclass
class Stage:
    bot: HotlineBot
    pg: Playground

    async def say(self, text: str) -> int:
        """The requester types in the personal chat; returns the stream mark."""
        sent = await self.pg.say(PERSONAL_CHAT, text)
        return sent.mark

    async def file_request(self, description: str) -> tuple[int, StreamEvent, StreamEvent]:
        """Walk the intake by clicking through the cards (`request_by_cards`). Returns the
        ticket number, the requester's receipt and the channel's handoff card."""
        number, mark, receipt = await request_by_cards(self.pg, description)
        post = await self.pg.wait_for(offers(f"claim:{number}", TEAM), after=mark)
        return number, receipt, post


async def request_by_cards(pg: Playground, description: str) -> tuple[int, int, StreamEvent]:
    """The requester walks the intake in the personal chat by clicking through the cards:
    German, customer group KERN, topic Budget / Haushalt, FAQ "did not help", a description,
    no reference, confirm. Returns the ticket number, the stream mark before the confirming
    click (the handoff card follows it) and the requester's receipt."""
    mark = (await pg.say(PERSONAL_CHAT, "/sprache de")).mark
    await pg.wait_for(says("auf Deutsch", PERSONAL_CHAT), after=mark)
    mark = (await pg.say(PERSONAL_CHAT, "Hallo")).mark
    groups = await pg.wait_for(offers("group:kern", PERSONAL_CHAT), after=mark)
    assert "Zu welcher Kundengruppe gehören Sie?" in plain(groups)
    mark = await click(pg, groups, "group:kern")
    topics = await pg.wait_for(offers("topic:haushalt", PERSONAL_CHAT), after=mark)
    assert "Worum geht es?" in plain(topics)
    mark = await click(pg, topics, "topic:haushalt")
    faq = await pg.wait_for(offers("confirm:no", PERSONAL_CHAT), after=mark)
    assert "Hat Ihnen das geholfen?" in plain(faq)
    mark = await click(pg, faq, "confirm:no")
    await pg.wait_for(says("Bitte beschreiben Sie Ihr Anliegen", PERSONAL_CHAT), after=mark)
    mark = (await pg.say(PERSONAL_CHAT, description)).mark
    await pg.wait_for(says("Rechnungsnummer", PERSONAL_CHAT), after=mark)
    mark = (await pg.say(PERSONAL_CHAT, "-")).mark
    confirm = await pg.wait_for(offers("confirm:yes", PERSONAL_CHAT), after=mark)
    assert "Soll ich das so an Budget / Haushalt weitergeben?" in plain(confirm)
    assert description in plain(confirm)
    mark = await click(pg, confirm, "confirm:yes")
    receipt = await pg.wait_for(says("Antwort spätestens", PERSONAL_CHAT), after=mark)
    found = re.search(r"Nr\. (\d+)", plain(receipt))
    assert found, plain(receipt)
    return int(found.group(1)), mark, receipt


def hotline_config(
    bot_port: int, service_url: str | None, channels: Mapping[str, str] | None = None
) -> OrgConfig:
    """The sample config on Teams: the cast's AAD ids, team channels (default: Haushalt's
    and Team BK's)."""
    people = {person: aad(person) for person in CAST}
    return teams_config(
        load_config(None),
        port=bot_port,
        people=people,
        channels=dict(channels or {"haushalt": TEAM, "bk": BK_CHANNEL}),
        service_url=service_url,
    )


async def open_stage(
    playground: PlaygroundFactory,
    workdir: Path,
    database_url: str | None = None,
    channels: Mapping[str, str] | None = None,
) -> tuple[Stage, Callable[[], Awaitable[None]]]:
    """The bot (clock frozen at MONDAY_9) and the playground; returns the stage and its close."""
    pg_port = free_port()
    config = hotline_config(free_port(), f"http://127.0.0.1:{pg_port}/_connector", channels)
    bot = HotlineBot(config, workdir, FrozenClock(MONDAY_9), database_url=database_url)
    await bot.start()
    try:
        pg = await playground(bot.endpoint, config=TENANT, port=pg_port)
    except BaseException:
        await bot.stop()
        raise

    async def close() -> None:
        await pg.stop()  # first: the playground must not call a stopped bot
        await bot.stop()

    return Stage(bot, pg), close
