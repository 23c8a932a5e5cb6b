"""/api/messages before the engine: authentication comes first (401 for anyone without a
valid token, whatever they send), a malformed body of an authenticated caller is a 400, odd
parts of a well-formed activity are no 500, and the start says which mode the bot runs in."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.kernel.clock import FrozenClock
from tests.teams.bot_fixture import (
    SERVICE_URL,
    HotlineBot,
    activity_json,
    b64url,
    secured_config,
)
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.openid_issuer import MALFORMED_TOKEN, OpenIdIssuer
from tests.teams.playground import free_port
from tests.teams.stage import MONDAY_9, hotline_config

ADAPTER_LOG = "adapters.teams.adapter"

GARBAGE: dict[str, Any] = {
    "not json": b"{not json",
    "not utf-8": b"\xff\xfe{",
    "a list": [activity_json()],
    "null": None,
    "no type": {"text": "hallo", "serviceUrl": SERVICE_URL},
    "type is a number": activity_json(type=5, serviceUrl=SERVICE_URL),
    "from is a string": activity_json(serviceUrl=SERVICE_URL, **{"from": "29:x"}),
    "channelData is a string": activity_json(serviceUrl=SERVICE_URL, channelData="x"),
    "serviceUrl is a number": activity_json(serviceUrl=5),
    "bad timestamp": activity_json(serviceUrl=SERVICE_URL, timestamp="gestern"),
}


async def _post(http: aiohttp.ClientSession, url: str, body: Any, token: str | None) -> int:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if isinstance(body, bytes):
        request = http.post(url, data=body, headers=headers)
    else:
        request = http.post(url, json=body, headers=headers)
    async with request as answer:
        return answer.status


async def test_authentication_comes_before_the_body(
    openid_issuer: OpenIdIssuer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = secured_config(openid_issuer, monkeypatch)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    with caplog.at_level(logging.WARNING, logger=ADAPTER_LOG):
        await bot.start()
    try:
        assert "authenticated" in caplog.text and "ANONYMOUS" not in caplog.text
        token = openid_issuer.token(SERVICE_URL)
        async with aiohttp.ClientSession() as http:
            anonymous = {n: await _post(http, bot.endpoint, b, None) for n, b in GARBAGE.items()}
            forged = {n: await _post(http, bot.endpoint, b, "x.y.z") for n, b in GARBAGE.items()}
            signed = {n: await _post(http, bot.endpoint, b, token) for n, b in GARBAGE.items()}
            valid = await _post(http, bot.endpoint, activity_json(serviceUrl=SERVICE_URL), token)
        assert anonymous == dict.fromkeys(GARBAGE, 401)
        assert forged == dict.fromkeys(GARBAGE, 401)
        assert signed == dict.fromkeys(GARBAGE, 400)  # only a caller that proved who it is
        assert valid == 201
        assert [r.inbound.event_id for r in bot.inbound] == ["a:personal-1|1700000000001"]
    finally:
        await bot.stop()


async def test_odd_channel_data_parts_are_no_server_error(
    connector: ConnectorEmulator, tmp_path: Path
) -> None:
    config = hotline_config(free_port(), connector.service_url)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    await bot.start()
    try:
        channel = {"id": "19:x@thread.tacv2;messageid=1", "conversationType": "channel"}
        bodies = {
            "channel is a string": {"channel": "19:x@thread.tacv2", "tenant": {"id": "t"}},
            "tenant is a string": {"tenant": "t", "team": "x"},
            "channel is a list": {"channel": ["19:x"], "tenant": 5},
        }
        statuses = {}
        async with aiohttp.ClientSession() as http:
            for n, (name, data) in enumerate(bodies.items()):
                body = activity_json(
                    id=f"odd-{n}",
                    serviceUrl=connector.service_url,
                    conversation=channel,
                    channelData=data,
                    text="<at>Hotline</at> hilfe",
                )
                statuses[name] = await _post(http, bot.endpoint, body, None)
        assert statuses == dict.fromkeys(bodies, 201)
        assert [(r.inbound.channel_id, r.handled) for r in bot.inbound] == [
            ("19:x@thread.tacv2", True)
        ] * 3
    finally:
        await bot.stop()


async def test_the_start_says_anonymous_local_mode(
    connector: ConnectorEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = hotline_config(free_port(), connector.service_url)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    with caplog.at_level(logging.WARNING, logger=ADAPTER_LOG):
        await bot.start()
    try:
        assert bot.adapter.settings.anonymous
        (record,) = [r for r in caplog.records if r.name == ADAPTER_LOG]
        assert record.levelno == logging.WARNING
        message = record.getMessage()
        assert "ANONYMOUS local mode: no app id set" in message
        assert f"http://127.0.0.1:{bot.port}/api/messages" in message
    finally:
        await bot.stop()


# --- which tokens get in, and what a malformed body gets -----------------------------------


def _unsigned(issuer: OpenIdIssuer, alg: str, key: bytes = b"") -> str:
    """A token with the right claims but alg none, or HS256 keyed with public data."""
    now = int(datetime.now(UTC).timestamp())
    header = {"alg": alg, "typ": "JWT", "kid": issuer.kid}
    claims = {
        "iss": issuer.issuer,
        "aud": issuer.app_id,
        "nbf": now - 60,
        "exp": now + 3600,
        "serviceurl": SERVICE_URL,
    }
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if alg == "none":
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


BAD_HEADERS: dict[str, Callable[[OpenIdIssuer], str | None]] = {
    "no header": lambda issuer: None,
    "not bearer": lambda issuer: "Basic dXNlcjpwYXNz",
    "empty bearer": lambda issuer: "Bearer ",
    "malformed": lambda issuer: f"Bearer {MALFORMED_TOKEN}",
    "expired": lambda issuer: f"Bearer {issuer.expired_token(SERVICE_URL)}",
    "wrong audience": lambda issuer: f"Bearer {issuer.wrong_audience_token(SERVICE_URL)}",
    "bad signature": lambda issuer: f"Bearer {issuer.wrong_signature_token(SERVICE_URL)}",
    "wrong issuer": lambda issuer: f"Bearer {issuer.wrong_issuer_token(SERVICE_URL)}",
    "unknown key": lambda issuer: f"Bearer {issuer.unknown_kid_token(SERVICE_URL)}",
    "other service url": lambda issuer: f"Bearer {issuer.token('https://evil.example/')}",
    "no serviceurl claim": lambda issuer: f"Bearer {issuer.token()}",
    "alg none": lambda issuer: f"Bearer {_unsigned(issuer, 'none')}",
    "hs256 with the kid": lambda issuer: (
        f"Bearer {_unsigned(issuer, 'HS256', json.dumps(issuer.jwks()).encode())}"
    ),
}


async def test_only_valid_connector_tokens_reach_the_engine(
    secured_bot: HotlineBot, openid_issuer: OpenIdIssuer
) -> None:
    bot = secured_bot
    statuses: dict[str, int] = {}
    async with aiohttp.ClientSession() as http:

        async def post(name: str, authorization: str | None, **activity: Any) -> int:
            headers = {} if authorization is None else {"Authorization": authorization}
            body = activity_json(id=f"auth-{name}", serviceUrl=SERVICE_URL, **activity)
            async with http.post(bot.endpoint, json=body, headers=headers) as answer:
                return answer.status

        for name, header in BAD_HEADERS.items():
            statuses[name] = await post(name, header(openid_issuer))
        assert statuses == dict.fromkeys(BAD_HEADERS, 401)
        assert bot.inbound == []

        valid = f"Bearer {openid_issuer.token(SERVICE_URL)}"
        assert await post("valid", valid) == 201
        assert await post("update", valid, type="conversationUpdate", text=None) == 200

    assert [r.inbound.event_id for r in bot.inbound] == ["a:personal-1|auth-valid"]
    assert bot.inbound[0].handled is True
    # Keys came from the local issuer, fetched once (then cached).
    assert openid_issuer.fetches == ["/v1/.well-known/openidconfiguration", "/v1/.well-known/keys"]
    (answer,) = await bot.outbox()  # the help text, waiting: nothing was sent anywhere
    assert answer.status == "pending" and answer.target_address == "aad-requester"


async def test_malformed_activities_get_400_never_500(offline_bot: HotlineBot) -> None:
    bodies: dict[str, Any] = {
        "from is a string": activity_json(**{"from": "29:x"}),
        "conversation is a list": activity_json(conversation=["a:1"]),
        "channelData is a string": activity_json(channelData="x"),
        "entities is a string": activity_json(entities="mention"),
        "bad timestamp": activity_json(timestamp="gestern"),
        "type is a number": activity_json(type=5),
        "no type": {"text": "hallo"},
        "a list": [activity_json()],
    }
    async with aiohttp.ClientSession() as http:
        statuses = {}
        for name, body in bodies.items():
            async with http.post(offline_bot.endpoint, json=body) as answer:
                statuses[name] = answer.status
        async with http.post(offline_bot.endpoint, data=b"{not json") as answer:
            statuses["not json"] = answer.status
        # A message nobody sent (no from.id) is accepted and ignored.
        async with http.post(offline_bot.endpoint, json=activity_json(**{"from": {}})) as answer:
            statuses["no sender"] = answer.status
    assert statuses == {**dict.fromkeys([*bodies, "not json"], 400), "no sender": 201}
    assert offline_bot.inbound == []
    assert await offline_bot.outbox() == []
