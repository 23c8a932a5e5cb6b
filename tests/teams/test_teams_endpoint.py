"""/api/messages before the engine: authentication comes first (401 for anyone without a
valid token, whatever they send), a malformed body of an authenticated caller is a 400, odd
parts of a well-formed activity are no 500, and the start says which mode the bot runs in."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import FrozenClock
from bot.config.loader import load_config
from bot.config.model import SecretRef
from tests.teams.bot_fixture import HotlineBot, activity_json, teams_config
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.openid_issuer import OpenIdIssuer
from tests.teams.playground import free_port
from tests.teams.stage import MONDAY_9, hotline_config

APP_ID_ENV = "HOTLINE_TEST_TEAMS_ENDPOINT_APP_ID"
PASSWORD_ENV = "HOTLINE_TEST_TEAMS_ENDPOINT_PASSWORD"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"  # never contacted: nothing is sent
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


def _secured_config(issuer: OpenIdIssuer, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(APP_ID_ENV, issuer.app_id)
    monkeypatch.setenv(PASSWORD_ENV, "not-a-real-secret")
    return teams_config(
        load_config(None),
        port=free_port(),
        people={},
        settings={"openid_metadata_url": issuer.metadata_url},
        secrets={"app_id": SecretRef(env=APP_ID_ENV), "app_password": SecretRef(env=PASSWORD_ENV)},
    )


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
    config = _secured_config(openid_issuer, monkeypatch)
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
