"""The Teams test harness proves itself with the reference echo bot: the playground round trip
(personal chat, channel with @mention, card submit and execute, activity updates, proactive
sends) and the playground's process and stream helpers. The connector emulator and the local
OpenID issuer prove themselves in test_harness_connector.py."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)

from tests.teams.conftest import PlaygroundFactory
from tests.teams.echo_bot import ADAPTIVE_CARD, EchoBotServer
from tests.teams.playground import (
    DEFAULT_USER,
    PACKAGE_SPEC,
    PACKAGE_VERSION,
    PlaygroundHTTPError,
    StreamEvent,
    default_config,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def bot_text(text: str) -> Any:
    return lambda e: e.is_create and e.text == text


# --- the playground -----------------------------------------------------------------------


async def test_personal_chat_round_trip(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    assert pg.version == PACKAGE_VERSION, f"tests/install-node-tools should pin {PACKAGE_SPEC}"
    assert pg.last_start_seconds < 10
    config = await pg.config()
    chat = config.personal_chat_id

    sent = await pg.say(chat, "hello")
    event = await pg.wait_for(bot_text("echo: hello"), after=sent.mark)

    assert event.conversation_id == chat
    assert event.from_id == config.bot_id
    assert event.message_id  # the id botbuilder got back from the connector
    inbound = echo_bot.bot.received[-1]
    assert inbound.text == "hello"
    assert inbound.from_property.id == DEFAULT_USER
    assert inbound.conversation.conversation_type == "personal"
    assert inbound.service_url == pg.service_url
    assert inbound.channel_id == "msteams"
    assert inbound.channel_data["tenant"]["id"] == config.tenant_id
    # botbuilder 4.17.1's send_activity posts a REPLY to the inbound activity's id.
    reply = ("POST", f"/_connector/v3/conversations/{chat}/activities/{inbound.id}", 201)
    await pg.wait_for_connector_call(lambda call: call == reply)


async def test_channel_needs_a_mention_and_replies_in_the_thread(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    config = await pg.config()

    unmentioned = await pg.say(config.channel_id, "nobody listens")
    assert (
        unmentioned.post_conversation_id
        == f"{config.channel_id};messageid={unmentioned.message_id}"
    )
    await pg.expect_none(lambda e: True, within=0.5, after=unmentioned.mark)
    assert echo_bot.bot.received == []

    sent = await pg.say_in_channel(config.channel_id, "hi there")
    event = await pg.wait_for(bot_text("echo: hi there"), after=sent.mark)

    assert event.conversation_id == sent.thread_id  # in the thread the user started
    inbound = echo_bot.bot.received[-1]
    # (remove_recipient_mention strips the mention from the received Activity in place.)
    assert echo_bot.requests[-1]["text"] == f"<at>{config.bot_name}</at> hi there"
    assert inbound.conversation.id == sent.thread_id
    assert inbound.conversation.conversation_type == "channel"
    assert inbound.conversation.is_group is True
    assert inbound.channel_data["team"]["id"] == config.team_id
    assert inbound.channel_data["channel"]["id"] == config.channel_id
    mentions = [e for e in inbound.entities if e.type == "mention"]
    assert len(mentions) == 1
    assert mentions[0].additional_properties["mentioned"] == {
        "id": config.bot_id,
        "name": config.bot_name,
    }
    assert mentions[0].additional_properties["text"] == f"<at>{config.bot_name}</at>"

    # A reply in the thread without a mention does not reach the bot either.
    quiet = await pg.say(sent.thread_id, "a reply in the thread")
    await pg.expect_none(lambda e: True, within=0.5, after=quiet.mark)
    assert len(echo_bot.bot.received) == 1


async def test_card_submit_and_execute(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    chat = (await pg.config()).personal_chat_id

    sent = await pg.say(chat, "card")
    card = await pg.wait_for(lambda e: e.is_create and bool(e.cards), after=sent.mark)
    assert card.card_texts() == ["pick one"]
    assert card.submit_actions()[0]["data"] == {"action": "pick", "choice": "a"}

    mark = pg.mark()
    await pg.submit_card(card)
    answer = await pg.wait_for(
        lambda e: e.is_create and 'submitted: {"action": "pick", "choice": "a"}' in e.card_texts(),
        after=mark,
    )
    assert answer.attachments[0]["contentType"] == ADAPTIVE_CARD
    submit = echo_bot.bot.received[-1]
    assert submit.type == "message"
    assert submit.text is None
    assert submit.value == {"action": "pick", "choice": "a"}
    assert submit.reply_to_id == card.message_id
    assert submit.from_property.id == DEFAULT_USER

    result = await pg.execute(card, "pick", {"choice": "b"})
    assert result == {
        "type": ADAPTIVE_CARD,
        "value": {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": "executed: pick", "wrap": True}],
        },
    }
    invoke = echo_bot.bot.received[-1]
    assert invoke.type == "invoke"
    assert invoke.name == "adaptiveCard/action"
    assert invoke.value["action"] == {
        "type": "Action.Execute",
        "verb": "pick",
        "data": {"choice": "b"},
    }


async def test_activity_update_and_typing_are_streamed(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    chat = (await pg.config()).personal_chat_id

    sent = await pg.say(chat, "update")
    original = await pg.wait_for(bot_text("original"), after=sent.mark)
    updated = await pg.wait_for(lambda e: e.is_update, after=sent.mark)
    assert updated.message_id == original.message_id
    assert updated.text == "updated"
    assert updated.conversation_id == chat
    put = ("PUT", f"/_connector/v3/conversations/{chat}/activities/{original.message_id}", 200)
    await pg.wait_for_connector_call(lambda call: call == put)

    sent = await pg.say(chat, "typing")
    typing, typed = await pg.collect(lambda e: e.is_typing or e.text == "typed", 2, after=sent.mark)
    assert typing.is_typing and typing.conversation_id == chat
    assert typed.text == "typed"


async def test_proactive_message_is_standalone(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    chat = (await pg.config()).personal_chat_id
    sent = await pg.say(chat, "hello")
    await pg.wait_for(bot_text("echo: hello"), after=sent.mark)

    mark = pg.mark()
    await echo_bot.proactive(chat, "reminder")
    event = await pg.wait_for(bot_text("reminder"), after=mark)
    assert event.conversation_id == chat
    standalone = ("POST", f"/_connector/v3/conversations/{chat}/activities", 201)
    await pg.wait_for_connector_call(lambda call: call == standalone)


async def test_bot_starts_a_channel_thread_and_a_personal_chat(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    """Reference for the adapter: CloudAdapter.create_conversation (anonymous: app id "")
    opens a channel thread with a first message, continue_conversation posts into it, and a
    1:1 create returns the user's personal chat."""
    pg = await playground(echo_bot.endpoint)
    config = await pg.config()
    seen: dict[str, ConversationReference] = {}

    async def remember(turn_context: TurnContext) -> None:
        seen["thread"] = TurnContext.get_conversation_reference(turn_context.activity)

    mark = pg.mark()
    await echo_bot.adapter.create_conversation(
        "",
        remember,
        ConversationParameters(
            is_group=True,
            channel_data={"channel": {"id": config.channel_id}},
            activity=Activity(type="message", text="new ticket"),
            tenant_id=config.tenant_id,
        ),
        "msteams",
        pg.service_url,
    )
    post = await pg.wait_for(bot_text("new ticket"), after=mark)
    thread = seen["thread"].conversation.id
    assert post.conversation_id == config.channel_id  # a new thread in the channel ...
    assert post.thread_id == thread == f"{config.channel_id};messageid={post.message_id}"

    reference = seen["thread"]
    reference.activity_id = None

    async def follow_up(turn_context: TurnContext) -> None:
        turn_context.activity.id = None  # else: a reply to the continuation event's uuid
        await turn_context.send_activity("status: in progress")

    mark = pg.mark()
    await echo_bot.adapter.continue_conversation(reference, follow_up, "")
    in_thread = await pg.wait_for(bot_text("status: in progress"), after=mark)
    assert in_thread.conversation_id == thread  # ... and the follow-up inside it

    async def greet(turn_context: TurnContext) -> None:
        seen["personal"] = TurnContext.get_conversation_reference(turn_context.activity)
        await turn_context.send_activity("hello 1:1")

    mark = pg.mark()
    await echo_bot.adapter.create_conversation(
        "",
        greet,
        ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=config.bot_id),
            members=[ChannelAccount(id=DEFAULT_USER)],
            tenant_id=config.tenant_id,
        ),
        "msteams",
        pg.service_url,
    )
    greeting = await pg.wait_for(bot_text("hello 1:1"), after=mark)
    assert seen["personal"].conversation.id == config.personal_chat_id
    assert greeting.conversation_id == config.personal_chat_id


async def test_membership_errors_and_submits_from_other_users(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    config = await pg.config()
    with pytest.raises(PlaygroundHTTPError) as raised:
        await pg.say(config.personal_chat_id, "not my chat", "user-id-1")
    assert (raised.value.status, raised.value.body["code"]) == (400, "UserNotFound")
    with pytest.raises(PlaygroundHTTPError) as raised:
        await pg.say("no-such-conversation", "hello")
    assert (raised.value.status, raised.value.body["code"]) == (404, "ConversationNotFound")

    group = config.group_chat_ids[0]
    sent = await pg.say(group, "card", mention_bot=True)
    card = await pg.wait_for(lambda e: bool(e.cards), after=sent.mark)
    assert card.conversation_id == group
    mark = pg.mark()
    await pg.submit_card(card, user_id="user-id-2")  # submits DO carry the user
    await pg.wait_for(lambda e: bool(e.cards), after=mark)
    assert echo_bot.bot.received[-1].from_property.id == "user-id-2"


async def test_other_users_and_custom_activities(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    config = await pg.config()
    group = config.group_chat_ids[0]

    mark = pg.mark()
    await pg.say_as(group, "from megan", "user-id-1", mention_bot=True)
    event = await pg.wait_for(bot_text("echo: from megan"), after=mark)
    assert event.conversation_id == group
    inbound = echo_bot.bot.received[-1]
    assert inbound.from_property.id == "user-id-1"
    assert inbound.from_property.name == "Megan Bowen"
    assert inbound.conversation.conversation_type == "groupChat"

    added = await pg.activity_template(config.personal_chat_id, "botAdded")
    assert added["type"] == "conversationUpdate"
    await pg.send_activity(added)
    for _ in range(100):
        if any(a.type == "conversationUpdate" for a in echo_bot.bot.received):
            break
        await asyncio.sleep(0.02)
    update = next(a for a in echo_bot.bot.received if a.type == "conversationUpdate")
    assert [m.id for m in update.members_added] == [config.bot_id]


async def test_custom_tenant_config(playground: PlaygroundFactory, echo_bot: EchoBotServer) -> None:
    tenant = default_config(personal_chat_id="a:personal-chat")
    tenant["bot"] = {"id": "28:hotline-app-id", "name": "Hotline"}
    tenant["currentUser"]["id"] = "29:requester"
    tenant["currentUser"]["name"] = "Rita Requester"
    pg = await playground(echo_bot.endpoint, config=tenant)
    config = await pg.config()
    assert config.personal_chat_id == "a:personal-chat"
    assert config.bot_name == "Hotline"

    sent = await pg.say(config.personal_chat_id, "hi", "29:requester")
    await pg.wait_for(bot_text("echo: hi"), after=sent.mark)
    inbound = echo_bot.bot.received[-1]
    assert inbound.from_property.id == "29:requester"
    assert inbound.recipient.id == "28:hotline-app-id"

    sent = await pg.say_in_channel(text="hello hotline", user_id="29:requester")
    await pg.wait_for(bot_text("echo: hello hotline"), after=sent.mark)
    assert echo_bot.requests[-1]["text"] == "<at>Hotline</at> hello hotline"


async def test_stop_leaves_no_process(
    playground: PlaygroundFactory, echo_bot: EchoBotServer
) -> None:
    pg = await playground(echo_bot.endpoint)
    pid = pg.pid
    assert pid is not None
    await pg.stop()
    assert not _alive(pid)


def test_a_killed_test_run_leaves_no_playground(playground_dir: Path, tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: SIGKILL the Python process that started a playground -> it dies."""
    script = f"""
import asyncio, sys
sys.path.insert(0, {str(REPO_ROOT)!r})
from pathlib import Path
from tests.teams.playground import Playground

async def main():
    pg = Playground("http://127.0.0.1:9/api/messages", directory=Path({str(playground_dir)!r}),
                    workdir=Path({str(tmp_path / "orphan")!r}))
    await pg.start()
    print(pg.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert parent.stdout is not None
        node_pid = int(parent.stdout.readline())
        assert _alive(node_pid)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 5
    while _alive(node_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(node_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_stream_event_helpers() -> None:
    event = StreamEvent(
        {
            "action": "createMessage",
            "actionConversationId": "19:c",
            "message": {
                "messageId": "1",
                "postConversationId": "19:c;messageid=1",
                "from": {"id": "bot"},
                "attachments": [
                    {
                        "contentType": ADAPTIVE_CARD,
                        "content": {
                            "body": [
                                {"type": "Container", "items": [{"type": "TextBlock", "text": "t"}]}
                            ],
                            "actions": [{"type": "Action.Submit", "data": {"x": 1}}],
                        },
                    }
                ],
            },
        },
        0,
        0.0,
    )
    assert event.thread_id == "19:c;messageid=1"
    assert event.card_texts() == ["t"]
    assert event.submit_actions() == [{"type": "Action.Submit", "data": {"x": 1}}]
    assert event.from_id == "bot"
