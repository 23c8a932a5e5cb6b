"""The Teams test harness proves itself with the reference echo bot: the playground round trip
(personal chat, channel with @mention, card submit and execute, activity updates, proactive
sends), the connector emulator's fault injection, and botbuilder's token validation against
the local OpenID issuer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    JwtTokenValidation,
    MicrosoftAppCredentials,
    SimpleCredentialProvider,
)
from msrest.exceptions import HttpOperationError

from tests.teams.conftest import PlaygroundFactory
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.echo_bot import ADAPTIVE_CARD, EchoBotServer
from tests.teams.openid_issuer import MALFORMED_TOKEN, OpenIdIssuer
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


# --- the connector emulator -----------------------------------------------------------------


def _client(connector: ConnectorEmulator) -> ConnectorClient:
    return ConnectorClient(MicrosoftAppCredentials("", ""), base_url=connector.service_url)


async def test_connector_429_then_200_with_connector_client(connector: ConnectorEmulator) -> None:
    client = _client(connector)
    connector.fail_next(1, 429, retry_after=2)
    message = Activity(type="message", text="hi")

    with pytest.raises(HttpOperationError) as raised:
        await client.conversations.send_to_conversation("a:conv", message)
    # botbuilder does not retry a 429 itself: the adapter must (after Retry-After).
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "2"
    assert "TooManyRequests" in str(raised.value)

    answer = await client.conversations.send_to_conversation("a:conv", message)
    assert answer.id
    assert [(r.kind, r.status, r.fault) for r in connector.requests] == [
        ("send", 429, True),
        ("send", 201, False),
    ]
    assert [(a.kind, a.text) for a in connector.sent("a:conv")] == [("send", "hi")]


@pytest.mark.parametrize(
    ("status", "code"),
    [(412, "PreconditionFailed"), (502, "BadGateway"), (504, "GatewayTimeout")],
)
async def test_connector_faults_over_plain_http(
    connector: ConnectorEmulator, status: int, code: str
) -> None:
    url = f"{connector.service_url}/v3/conversations/a:conv/activities"
    connector.fail_next(2, status, match=lambda r: r.kind == "send")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{connector.service_url}/v3/conversations/a:conv/members") as r:
            assert r.status == 200  # not matched: no fault consumed
        for _ in range(2):
            async with session.post(url, json={"type": "message", "text": "x"}) as response:
                assert response.status == status
                assert (await response.json()) == {
                    "error": {"code": code, "message": f"injected {status}"}
                }
        async with session.post(url, json={"type": "message", "text": "x"}) as response:
            assert response.status == 201
    assert [r.status for r in connector.requests] == [200, status, status, 201]


async def test_connector_goes_away_and_comes_back(connector: ConnectorEmulator) -> None:
    url = f"{connector.service_url}/v3/conversations/a:conv/activities"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": "message", "text": "1"}) as response:
            assert response.status == 201
        connector.go_away()
        assert not connector.up
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.post(url, json={"type": "message", "text": "2"}):
                pass
        connector.come_back()
        async with session.post(url, json={"type": "message", "text": "3"}) as response:
            assert response.status == 201

        connector.outage(0.3)
        started = time.monotonic()
        for _attempt in range(50):  # the retry loop an adapter needs
            try:
                async with session.post(url, json={"type": "message", "text": "4"}) as response:
                    assert response.status == 201
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        assert 0.25 <= time.monotonic() - started < 2
    assert [a.text for a in connector.sent()] == ["1", "3", "4"]


async def test_connector_routes_with_connector_client(connector: ConnectorEmulator) -> None:
    client = _client(connector)
    personal = await client.conversations.create_conversation(
        ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id="28:bot"),
            members=[ChannelAccount(id="29:user-1")],
            tenant_id="tenant",
        )
    )
    assert personal.id.startswith("a:")
    thread = await client.conversations.create_conversation(
        ConversationParameters(
            is_group=True,
            channel_data={"channel": {"id": "19:general@thread.tacv2"}},
            activity=Activity(type="message", text="new thread"),
        )
    )
    assert thread.id == f"19:general@thread.tacv2;messageid={thread.activity_id}"

    sent = await client.conversations.send_to_conversation(
        personal.id, Activity(type="message", text="one")
    )
    reply = await client.conversations.reply_to_activity(
        thread.id, thread.activity_id, Activity(type="message", text="two")
    )
    updated = await client.conversations.update_activity(
        personal.id, sent.id, Activity(type="message", text="one, edited", id=sent.id)
    )
    assert updated.id == sent.id
    with pytest.raises(HttpOperationError) as raised:
        await client.conversations.update_activity(
            personal.id, "unknown", Activity(type="message", text="?")
        )
    assert raised.value.response.status_code == 404
    members = await client.conversations.get_conversation_members(personal.id)
    assert [m.id for m in members] == ["29:user-1"]

    assert [(a.kind, a.text) for a in connector.activities] == [
        ("create", "new thread"),
        ("send", "one"),
        ("reply", "two"),
        ("update", "one, edited"),
    ]
    assert connector.activities[2].reply_to_id == thread.activity_id
    assert reply.id
    create = connector.requests_of("create")[0]
    assert create.body["tenantID"] == "tenant"  # sic: botbuilder's key for tenant_id


async def test_echo_bot_answers_through_the_connector(
    echo_bot: EchoBotServer, connector: ConnectorEmulator
) -> None:
    """The pattern for adapter tests without the playground: post an activity whose
    serviceUrl is the connector emulator, and assert on what the connector received."""
    activity = _inbound(connector.service_url, "update")
    async with (
        aiohttp.ClientSession() as session,
        session.post(echo_bot.endpoint, json=activity) as response,
    ):
        assert response.status == 201
    original = connector.sent("a:conv")[0]
    assert (original.kind, original.text, original.reply_to_id) == ("reply", "original", "in-1")
    update = connector.updates("a:conv")[0]
    assert (update.activity_id, update.text) == (original.activity_id, "updated")

    # A connector that fails the reply: the turn fails and the bot answers 500.
    connector.fail_next(1, 429, retry_after=1)
    async with (
        aiohttp.ClientSession() as session,
        session.post(echo_bot.endpoint, json=_inbound(connector.service_url)) as response,
    ):
        assert response.status == 500
    assert type(echo_bot.bot.errors[-1]).__name__ == "ErrorResponseException"


def _inbound(service_url: str, text: str = "hi", activity_id: str = "in-1") -> dict[str, Any]:
    return {
        "type": "message",
        "id": activity_id,
        "text": text,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:user-1", "name": "User One"},
        "recipient": {"id": "28:bot", "name": "Bot"},
        "conversation": {"id": "a:conv", "conversationType": "personal", "tenantId": "t"},
        "channelData": {"tenant": {"id": "t"}},
    }


# --- the OpenID issuer ----------------------------------------------------------------------


def _bad_tokens(issuer: OpenIdIssuer, service_url: str) -> dict[str, str]:
    return {
        "expired": issuer.expired_token(service_url),
        "wrong signature": issuer.wrong_signature_token(service_url),
        "wrong audience": issuer.wrong_audience_token(service_url),
        "wrong issuer": issuer.wrong_issuer_token(service_url),
        "unknown kid": issuer.unknown_kid_token(service_url),
        "other service url": issuer.token("http://127.0.0.1:1/elsewhere"),
        "malformed": MALFORMED_TOKEN,
    }


async def test_jwt_token_validation_against_the_local_issuer(openid_issuer: OpenIdIssuer) -> None:
    service_url = "http://127.0.0.1:9/connector"
    activity = Activity(type="message", channel_id="msteams", service_url=service_url)
    credentials = SimpleCredentialProvider(openid_issuer.app_id, "secret")

    with openid_issuer.patch_channel_validation():
        header = openid_issuer.auth_header(openid_issuer.token(service_url))
        identity = await JwtTokenValidation.authenticate_request(activity, header, credentials)
        assert identity.is_authenticated
        assert identity.get_claim_value("aud") == openid_issuer.app_id
        assert identity.get_claim_value("serviceurl") == service_url

        outcomes: dict[str, str] = {}
        for name, token in _bad_tokens(openid_issuer, service_url).items():
            try:
                await JwtTokenValidation.authenticate_request(
                    activity, openid_issuer.auth_header(token), credentials
                )
            except Exception as error:
                outcomes[name] = type(error).__name__
            else:
                outcomes[name] = "ACCEPTED"
        with pytest.raises(PermissionError):
            await JwtTokenValidation.authenticate_request(activity, "", credentials)

    assert "ACCEPTED" not in outcomes.values(), outcomes
    assert outcomes == {
        "expired": "ExpiredSignatureError",
        "wrong signature": "InvalidSignatureError",
        "wrong audience": "PermissionError",
        "wrong issuer": "PermissionError",  # no identity -> "Unauthorized. No valid identity."
        "unknown kid": "IndexError",
        "other service url": "PermissionError",
        "malformed": "DecodeError",
    }
    assert openid_issuer.fetches[:2] == [
        "/v1/.well-known/openidconfiguration",
        "/v1/.well-known/keys",
    ]


EXPECTED_STATUSES = {
    "valid": 201,
    "no header": 401,
    "expired": 500,
    "wrong signature": 500,
    "wrong audience": 401,
    "wrong issuer": 401,
    "unknown kid": 500,
    "other service url": 401,
    "malformed": 500,
}


@pytest.mark.parametrize("path", ["production", "parameterized"])
async def test_cloud_adapter_with_credentials_against_the_local_issuer(
    openid_issuer: OpenIdIssuer, path: str
) -> None:
    """CloudAdapter with an app id and password validates the issuer's tokens; outbound, a
    credentials factory mints tokens that the connector emulator checks.

    production: APP_ID/APP_PASSWORD only, with ChannelValidation pointed at the issuer;
    parameterized: settings that name the issuer, no patching at all.
    """
    validator = openid_issuer.connector_validator()
    connector = ConnectorEmulator(token_validator=validator)
    connector.start()
    patch: contextlib.AbstractContextManager[None]
    if path == "production":
        settings = openid_issuer.production_settings()
        patch = openid_issuer.patch_channel_validation()
    else:
        settings = openid_issuer.bot_settings()
        patch = contextlib.nullcontext()
    auth = ConfigurationBotFrameworkAuthentication(
        settings, credentials_factory=openid_issuer.credentials_factory()
    )
    bot = EchoBotServer(auth=auth)
    await bot.start()
    try:
        service_url = connector.service_url
        statuses: dict[str, int] = {}
        async with aiohttp.ClientSession() as session:

            async def post(token: str | None, activity_id: str) -> int:
                headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
                body = _inbound(service_url, activity_id=activity_id)
                async with session.post(bot.endpoint, json=body, headers=headers) as response:
                    return response.status

            with patch:
                statuses["valid"] = await post(openid_issuer.token(service_url), "ok")
                statuses["no header"] = await post(None, "none")
                for name, token in _bad_tokens(openid_issuer, service_url).items():
                    statuses[name] = await post(token, name)
    finally:
        await bot.stop()
        connector.stop()

    # The reply to the valid request carried a token the connector accepted.
    assert [(a.kind, a.text, a.reply_to_id) for a in connector.sent()] == [
        ("reply", "echo: hi", "ok")
    ]
    assert validator.rejections == []
    assert (connector.requests[0].authorization or "").startswith("Bearer ")
    # Only the valid request reached the bot.
    assert [a.id for a in bot.bot.received] == ["ok"]
    # botbuilder 4.17.1: jwt errors escape as 500 instead of 401 (the adapter should map
    # them), and the parameterized path also fails a missing header with 500.
    expected = dict(EXPECTED_STATUSES)
    if path == "parameterized":
        expected["no header"] = 500
    assert statuses == expected, json.dumps(statuses)


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
