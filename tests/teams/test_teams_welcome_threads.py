"""Issue 15 through the local Bot Connector: installing the app greets once (personal
scope and a team; Teams sends installationUpdate and conversationUpdate for one install and
may redeliver either), and replies about a ticket go into its card's thread."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import aiohttp

from bot.kernel.notices import Notice, Target, ticket_card_key
from tests.teams.bot_fixture import HotlineBot, activity_json
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.stage import TEAM

BOT = {"id": "28:hotline", "name": "Hotline"}


def _install(connector: ConnectorEmulator, **overrides: Any) -> dict[str, Any]:
    body = activity_json(serviceUrl=connector.service_url, text=None, **overrides)
    body.pop("text")
    return body


async def _post(bot: HotlineBot, *bodies: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http:
        for body in bodies:
            async with http.post(bot.endpoint, json=body) as answer:
                assert answer.status in (200, 201), await answer.text()


def _shown(connector: ConnectorEmulator, conversation: str) -> list[str]:
    return [
        json.dumps(a.body, ensure_ascii=False)
        for a in connector.activities
        if a.conversation_id == conversation and a.kind in ("send", "reply")
    ]


async def test_personal_install_is_greeted_once(
    connector: ConnectorEmulator, offline_bot: HotlineBot
) -> None:
    install = _install(connector, id="inst-1", type="installationUpdate", action="add")
    update = _install(
        connector, id="conv-1", type="conversationUpdate", membersAdded=[{"id": BOT["id"]}]
    )
    await _post(offline_bot, install, update, install)  # and a redelivery
    await offline_bot.app.sender.deliver_due()
    (welcome,) = _shown(connector, "a:personal-1")
    assert "Hotline der Abteilung Finanzen" in welcome and "/hilfe" in welcome
    assert "/language en" in welcome
    # the first message afterwards is answered as usual (the welcome took no event of it)
    await _post(offline_bot, activity_json(serviceUrl=connector.service_url, id="m-1"))
    await offline_bot.app.sender.deliver_due()
    assert len(_shown(connector, "a:personal-1")) == 2


async def test_team_install_greets_the_channel_and_ignores_other_members(
    connector: ConnectorEmulator, offline_bot: HotlineBot
) -> None:
    channel = "19:general@thread.tacv2"
    team = {
        "conversation": {"id": channel, "conversationType": "channel", "tenantId": "t"},
        "channelData": {"tenant": {"id": "t"}, "team": {"id": channel}},
    }
    someone = _install(
        connector, id="c-0", type="conversationUpdate", membersAdded=[{"id": "29:new"}], **team
    )
    added = _install(
        connector, id="c-1", type="conversationUpdate", membersAdded=[{"id": BOT["id"]}], **team
    )
    install = _install(connector, id="i-1", type="installationUpdate", action="add", **team)
    await _post(offline_bot, someone, added, install)
    await offline_bot.app.sender.deliver_due()
    (welcome,) = _shown(connector, channel)
    assert "in diesem Kanal" in welcome
    assert _shown(connector, "a:personal-1") == []  # the installer's DM stays quiet


# --- replies about a ticket go under its card (issue 15) ---------------------------------


async def test_a_reply_about_a_ticket_goes_into_its_cards_thread(
    connector: ConnectorEmulator, offline_bot: HotlineBot
) -> None:
    channel = Target("teams", "channel", TEAM)
    card = Notice(text="Karte", title="Nr. 5", ticket_id=5, card=ticket_card_key(5, 1))
    await offline_bot.enqueue(channel, card)
    await offline_bot.app.sender.deliver_due()
    (posted,) = [a for a in connector.activities if a.kind == "send"]
    assert posted.conversation_id == TEAM
    ack = Notice(
        text="Julia Weber: Sie haben Nr. 5 übernommen.",
        ticket_id=5,
        thread=5,
        mentions=("hh.weber",),  # as bot/conversation/threads.py names the agent
    )
    await offline_bot.enqueue(channel, ack)
    await offline_bot.enqueue(channel, replace(ack, ticket_id=6, thread=6))  # no card of 6
    await offline_bot.app.sender.deliver_due()
    sent = [a for a in connector.activities if a.kind == "send"][1:]
    assert [a.conversation_id for a in sent] == [f"{TEAM};messageid={posted.activity_id}", TEAM]
    # a real mention, so that the agent is notified: the tag in the text and the entity
    julia = offline_bot.config.person("hh.weber")
    assert julia is not None
    tag = "<at>Julia Weber</at>"
    assert sent[0].body["text"].startswith(f"{tag}: Sie haben Nr. 5")
    mentioned = {"id": julia.platform_ids["teams"], "name": "Julia Weber"}
    assert sent[0].body["entities"] == [{"type": "mention", "text": tag, "mentioned": mentioned}]
    # the card itself is still updated in place, not in its own thread
    await offline_bot.enqueue(channel, replace(card, text="Karte, übernommen"))
    await offline_bot.app.sender.deliver_due()
    (updated,) = [a for a in connector.activities if a.kind == "update"]
    assert (updated.conversation_id, updated.activity_id) == (TEAM, posted.activity_id)
