"""Conversation references: every scope the bot lives in (personal chat, team channel, group
chat) is remembered from its first activity, so any instance can post there later.

The bot receives what Teams sends when it is installed and used: conversationUpdate
(membersAdded with the bot), installationUpdate (add) and messages, on /api/messages, with
the local Bot Connector as serviceUrl. A second instance (a fresh app on the same database,
no service URL configured, the default reference deleted) then delivers the first one's
answers and its own notices into each conversation from the stored references alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import delete, select

from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.models import PlatformStateRow
from tests.teams.bot_fixture import HotlineBot, postgres_database
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.playground import free_port
from tests.teams.stage import BK_CHANNEL, MONDAY_9, TEAM, aad, hotline_config

BOT = {"id": "28:hotline-bot", "name": "Hotline"}
TENANT = "tenant-1"
REQUESTER = {"id": "29:rita", "name": "Rita Requester", "aadObjectId": "aad-rita"}
PERSONAL = "a:personal-rita"
GROUP_CHAT = "19:group-chat-1@thread.v2"
THREAD = f"{BK_CHANNEL};messageid=1700000000100"


def _activity(
    kind: str, conversation: dict[str, Any], sender: dict[str, Any], **more: Any
) -> dict[str, Any]:
    channel_data = {"tenant": {"id": TENANT}, **more.pop("channelData", {})}
    return {
        "type": kind,
        "channelId": "msteams",
        "from": sender,
        "recipient": BOT,
        "conversation": {**conversation, "tenantId": TENANT},
        "channelData": channel_data,
        "locale": "de-DE",
        **more,
    }


def _mention_text(text: str) -> dict[str, Any]:
    tag = f"<at>{BOT['name']}</at>"
    mention = {"type": "mention", "mentioned": BOT, "text": tag}
    return {"text": f"{tag} {text}", "entities": [mention]}


def _scopes() -> Iterator[dict[str, Any]]:
    """What Teams sends on installing and using the bot in each scope, in order."""
    weber = {"id": "29:weber", "name": "Julia Weber", "aadObjectId": aad("hh.weber")}
    personal = {"id": PERSONAL, "conversationType": "personal"}
    general = {"id": TEAM, "conversationType": "channel", "isGroup": True}
    thread = {"id": THREAD, "conversationType": "channel", "isGroup": True}
    group = {"id": GROUP_CHAT, "conversationType": "groupChat", "isGroup": True}
    team_data = {"team": {"id": TEAM}}
    n = 0
    for conversation, sender, data, text in (
        (personal, REQUESTER, {}, {"text": "/hilfe"}),
        (general, weber, {**team_data, "channel": {"id": TEAM}}, None),
        (thread, weber, {**team_data, "channel": {"id": BK_CHANNEL}}, _mention_text("hilfe")),
        (group, weber, {}, _mention_text("/hilfe")),
    ):
        added = {"membersAdded": [BOT, sender], "channelData": {**data, "eventType": "x"}}
        yield _activity("conversationUpdate", conversation, sender, **added)
        yield _activity("installationUpdate", conversation, sender, action="add", channelData=data)
        if text is not None:
            n += 1
            yield _activity(
                "message", conversation, sender, id=f"17000000001{n:02d}", channelData=data, **text
            )


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def test_every_scope_is_remembered_and_a_second_instance_posts_into_each(
    connector: ConnectorEmulator, tmp_path: Path, database: str
) -> None:
    async with postgres_database(enabled=database == "postgresql") as url:
        first = HotlineBot(
            hotline_config(free_port(), None),
            tmp_path / "first",
            FrozenClock(MONDAY_9),
            sender_loop=False,
            database_url=url,
        )
        await first.start()
        try:
            await _first_instance(first, connector)
        finally:
            await first.stop()
        second = HotlineBot(
            hotline_config(free_port(), None),
            tmp_path / "second",
            FrozenClock(MONDAY_9),
            sender_loop=False,
            database_url=first.database_url,
        )
        await second.start()
        try:
            await _second_instance(second, connector)
        finally:
            await second.stop()


async def _first_instance(bot: HotlineBot, connector: ConnectorEmulator) -> None:
    statuses = []
    async with aiohttp.ClientSession() as http:
        for activity in _scopes():
            body = {**activity, "serviceUrl": connector.service_url}
            async with http.post(bot.endpoint, json=body) as answer:
                statuses.append((activity["type"], answer.status))
    installed = [("conversationUpdate", 200), ("installationUpdate", 200)]
    used = [*installed, ("message", 201)]
    assert statuses == [*used, *installed, *used, *used]  # personal, General, BK, group chat
    messages = [r.handled for r in bot.inbound if r.inbound.kind == "message"]
    assert messages == [True, True, True]
    # each scope's two install events: one welcome per conversation (issue 15)
    assert [r.handled for r in bot.inbound if r.inbound.kind == "joined"] == [True, False] * 4
    assert connector.requests == []  # nothing sent yet: this instance has no sender

    refs = await _references(bot)
    assert set(refs) == {
        "ref:default",
        "ref:user:aad-rita",
        f"ref:channel:{TEAM}",
        f"ref:channel:{BK_CHANNEL}",
        f"ref:chat:{GROUP_CHAT}",
    }
    expected = {
        "ref:user:aad-rita": (PERSONAL, "personal"),
        f"ref:channel:{TEAM}": (TEAM, "channel"),
        f"ref:channel:{BK_CHANNEL}": (BK_CHANNEL, "channel"),
        f"ref:chat:{GROUP_CHAT}": (GROUP_CHAT, "groupChat"),
    }
    for key, (conversation, kind) in expected.items():
        ref = refs[key]
        assert (ref["conversation_id"], ref["conversation_type"]) == (conversation, kind), key
        assert (ref["service_url"], ref["tenant_id"], ref["bot_id"]) == (
            connector.service_url,
            TENANT,
            BOT["id"],
        )
    # The answers and welcomes wait in the outbox: the requester's DM, the channels, the
    # group chat.
    targets = {(row.target_kind, row.target_address) for row in await bot.outbox()}
    assert targets == {
        ("user", "aad-rita"),
        ("channel", TEAM),
        ("channel", BK_CHANNEL),
        ("channel", GROUP_CHAT),
    }


async def _second_instance(bot: HotlineBot, connector: ConnectorEmulator) -> None:
    async with bot.app.sessions() as session, session.begin():
        await session.execute(delete(PlatformStateRow).where(PlatformStateRow.key == "ref:default"))
    assert bot.adapter.settings.service_url is None  # only the stored references can serve
    for target, text in (
        (Target("teams", "user", "aad-rita"), "Ihr Anliegen Nr. 4 ist erledigt."),
        (Target("teams", "channel", TEAM), "Neues Ticket Nr. 5"),
        (Target("teams", "channel", GROUP_CHAT), "Nr. 5 ist übernommen"),
    ):
        await bot.enqueue(target, Notice(text=text))
    assert await bot.app.sender.deliver_due() == 6 + 4  # and the four welcomes
    assert all(row.status == "delivered" for row in await bot.outbox())

    posted = sorted(a.conversation_id for a in connector.sent())
    once = [PERSONAL, PERSONAL, BK_CHANNEL, TEAM, GROUP_CHAT, GROUP_CHAT]
    assert posted == sorted([*once, PERSONAL, TEAM, BK_CHANNEL, GROUP_CHAT])
    assert connector.requests_of("create") == []  # the requester's chat was known
    assert {r.status for r in connector.requests} == {201}


async def _references(bot: HotlineBot) -> dict[str, dict[str, Any]]:
    async with bot.app.sessions() as session:
        rows = await session.scalars(
            select(PlatformStateRow).where(PlatformStateRow.platform == "teams")
        )
        return {row.key: json.loads(row.value) for row in rows.all()}
