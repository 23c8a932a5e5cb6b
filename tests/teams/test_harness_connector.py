"""The Teams test harness proves itself with the reference echo bot, part two: the connector
emulator's fault injection and routes (botbuilder's ConnectorClient against it), and
botbuilder's token validation against the local OpenID issuer. The playground round trip is in
test_harness.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import aiohttp
import pytest
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    JwtTokenValidation,
    MicrosoftAppCredentials,
    SimpleCredentialProvider,
)
from msrest.exceptions import HttpOperationError

from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.echo_bot import EchoBotServer
from tests.teams.openid_issuer import MALFORMED_TOKEN, OpenIdIssuer

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
