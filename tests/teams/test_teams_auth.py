"""Inbound authentication of the Teams adapter against the local OpenID issuer: a hanging
issuer costs a bounded wait and never the event loop, stale keys keep validating while they
are refreshed in the background, endorsements are checked, and whatever arrives (a
non-string serviceUrl, a token that is not even JSON) gets 401, never 500.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.teams import auth
from adapters.teams.auth import AuthError, AuthSettings, TokenValidator
from bot.clock import FrozenClock
from bot.config.loader import load_config
from bot.config.model import SecretRef
from tests.teams.bot_fixture import HotlineBot, activity_json, teams_config
from tests.teams.openid_issuer import MALFORMED_TOKEN, OpenIdIssuer
from tests.teams.playground import free_port
from tests.teams.stage import MONDAY_9

APP_ID_ENV = "HOTLINE_TEST_TEAMS_APP_ID"
PASSWORD_ENV = "HOTLINE_TEST_TEAMS_APP_PASSWORD"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"  # never contacted: nothing is sent
TIMEOUT = 1.0  # the fetch timeout in these tests (FETCH_TIMEOUT_SECONDS is 5 s)


@pytest.fixture
async def secured_bot(
    openid_issuer: OpenIdIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[HotlineBot]:
    """The bot with an app id: inbound tokens are checked against the local issuer."""
    monkeypatch.setattr(auth, "FETCH_TIMEOUT_SECONDS", TIMEOUT)
    monkeypatch.setenv(APP_ID_ENV, openid_issuer.app_id)
    monkeypatch.setenv(PASSWORD_ENV, "not-a-real-secret")
    config = teams_config(
        load_config(None),
        port=free_port(),
        people={},
        settings={"openid_metadata_url": openid_issuer.metadata_url},
        secrets={"app_id": SecretRef(env=APP_ID_ENV), "app_password": SecretRef(env=PASSWORD_ENV)},
    )
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    await bot.start()
    assert not bot.adapter.settings.anonymous
    yield bot
    await bot.stop()


class Poster:
    """Posts activities to the bot's endpoint; answers (status, seconds taken)."""

    def __init__(self, http: aiohttp.ClientSession, endpoint: str) -> None:
        self.http = http
        self.endpoint = endpoint

    async def __call__(self, token: str | None, **activity: Any) -> tuple[int, float]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        activity.setdefault("serviceUrl", SERVICE_URL)
        started = time.perf_counter()
        async with self.http.post(
            self.endpoint, json=activity_json(**activity), headers=headers
        ) as answer:
            return answer.status, time.perf_counter() - started


@pytest.fixture
async def post(secured_bot: HotlineBot) -> AsyncIterator[Poster]:
    async with aiohttp.ClientSession() as http:
        yield Poster(http, secured_bot.endpoint)


class LoopWatch:
    """Ticks every 10 ms on the test's (= the bot's) event loop; `worst` is the longest gap."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.01)
            last = now

    def __enter__(self) -> LoopWatch:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()


# --- a hanging issuer ----------------------------------------------------------------------


async def test_a_hanging_issuer_means_401_in_time_and_the_loop_keeps_serving(
    secured_bot: HotlineBot, openid_issuer: OpenIdIssuer, post: Poster
) -> None:
    openid_issuer.stall()
    with LoopWatch() as loop:
        stalled = asyncio.create_task(post(openid_issuer.token(SERVICE_URL), id="stalled"))
        await asyncio.sleep(0.2)  # the fetch hangs now
        assert openid_issuer.stalled == 1 and not stalled.done()
        # Meanwhile the endpoint answers others at once (no header: no keys needed) ...
        assert await post(None, id="other") < (401, 0.2)
        # ... and a second token waits for the SAME fetch, not for a new one.
        second = await post(openid_issuer.token(SERVICE_URL), id="second")
        status, took = await stalled
    assert (status, second[0]) == (401, 401)
    assert TIMEOUT - 0.1 <= took <= TIMEOUT + 1.0, took
    assert second[1] <= TIMEOUT, second
    assert openid_issuer.stalled == 1
    assert loop.worst < 0.15, f"the event loop stalled for {loop.worst:.3f} s"
    assert secured_bot.inbound == []

    openid_issuer.unstall()  # the issuer is back: the next request fetches and is let in
    assert (await post(openid_issuer.token(SERVICE_URL), id="later"))[0] == 201


async def test_stale_keys_validate_while_their_refresh_hangs(
    secured_bot: HotlineBot,
    openid_issuer: OpenIdIssuer,
    post: Poster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (await post(openid_issuer.token(SERVICE_URL), id="first"))[0] == 201
    fetches = len(openid_issuer.fetches)
    openid_issuer.stall()
    monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 0)  # the keys are stale now ...
    monkeypatch.setattr(auth, "STALE_RETRY_SECONDS", 0)  # ... and may be refetched at once
    with LoopWatch() as loop:
        status, took = await post(openid_issuer.token(SERVICE_URL), id="stale")
        assert (status, took < 0.5) == (201, True), took  # served by the stale keys at once
        await asyncio.sleep(0.1)
        assert openid_issuer.stalled == 1  # the refresh runs (and hangs) in the background
        status, took = await post(openid_issuer.token(SERVICE_URL), id="stale-2")
        assert (status, took < 0.5, openid_issuer.stalled) == (201, True, 1)  # no second fetch
        # Only a key we do not hold waits, and only as long as the fetch may take.
        status, took = await post(openid_issuer.unknown_kid_token(SERVICE_URL), id="forged")
        assert status == 401 and took <= TIMEOUT + 1.0, took
    assert loop.worst < 0.15, f"the event loop stalled for {loop.worst:.3f} s"
    assert len(openid_issuer.fetches) == fetches + 1
    assert [r.inbound.event_id.split("|")[-1] for r in secured_bot.inbound] == [
        "first",
        "stale",
        "stale-2",
    ]


async def test_rolled_over_keys_are_picked_up_by_the_background_refresh(
    openid_issuer: OpenIdIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with aiohttp.ClientSession() as session:
        validator = _validator(openid_issuer, session)
        validator.prefetch()  # at start: the first request finds the keys there
        await asyncio.sleep(0.3)
        assert len(openid_issuer.fetches) == 2
        old = openid_issuer.token(SERVICE_URL)
        await validator.validate(f"Bearer {old}", SERVICE_URL)
        assert len(openid_issuer.fetches) == 2

        openid_issuer.rotate()  # Microsoft publishes a new key, the old one disappears
        monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 0)
        monkeypatch.setattr(auth, "STALE_RETRY_SECONDS", 0)
        await validator.validate(f"Bearer {old}", SERVICE_URL)  # stale key, refresh started
        await asyncio.sleep(0.3)
        assert len(openid_issuer.fetches) == 4
        monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 3600)
        new = openid_issuer.token(SERVICE_URL)
        await validator.validate(f"Bearer {new}", SERVICE_URL)  # known by now: no wait
        with pytest.raises(AuthError, match="unknown signing key"):
            await validator.validate(f"Bearer {old}", SERVICE_URL)  # gone with the refresh
        assert len(openid_issuer.fetches) == 4  # a kid miss looks again only every 5 min
        await validator.close()


def _validator(issuer: OpenIdIssuer, session: aiohttp.ClientSession) -> TokenValidator:
    settings = AuthSettings(issuer.app_id, issuer.metadata_url, issuer.issuer, TIMEOUT)
    return TokenValidator(settings, session)


# --- endorsements ---------------------------------------------------------------------------


@pytest.fixture
def teams_only_issuer() -> Iterator[OpenIdIssuer]:
    issuer = OpenIdIssuer(endorsements=("msteams",))
    with issuer:
        yield issuer


async def test_the_signing_key_must_be_endorsed_for_the_channel(
    teams_only_issuer: OpenIdIssuer, openid_issuer: OpenIdIssuer
) -> None:
    async with aiohttp.ClientSession() as session:
        validator = _validator(teams_only_issuer, session)
        header = f"Bearer {teams_only_issuer.token(SERVICE_URL)}"
        assert await validator.validate(header, SERVICE_URL, channel_id="msteams")
        for channel in ("webchat", "", None, 5, ["msteams"]):
            with pytest.raises(AuthError, match="not endorsed"):
                await validator.validate(header, SERVICE_URL, channel_id=channel)
        assert await validator.validate(header, SERVICE_URL)  # a caller without the channel

        unendorsed = OpenIdIssuer(openid_issuer.app_id, endorsements=None)
        with unendorsed:  # a key without an endorsements list signs for any channel
            validator = _validator(unendorsed, session)
            header = f"Bearer {unendorsed.token(SERVICE_URL)}"
            assert await validator.validate(header, SERVICE_URL, channel_id="webchat")


async def test_the_endpoint_refuses_a_channel_the_key_is_not_endorsed_for(
    secured_bot: HotlineBot, openid_issuer: OpenIdIssuer, post: Poster
) -> None:
    """End to end: the adapter hands the activity's channelId to the check (the local
    issuer's key endorses msteams, emulator, webchat and directline)."""
    token = openid_issuer.token(SERVICE_URL)
    assert (await post(token, id="skype-1", channelId="skype"))[0] == 401
    assert (await post(token, id="none-1", channelId=None))[0] == 401
    assert secured_bot.inbound == []
    assert (await post(token, id="teams-1", channelId="msteams"))[0] in (200, 201, 202)
    await secured_bot.wait_handled(1)


async def test_the_keys_are_fetched_at_start_not_by_the_first_request(
    secured_bot: HotlineBot, openid_issuer: OpenIdIssuer
) -> None:
    for _ in range(250):  # polls a plain list another thread appends to: no event to await
        if len(openid_issuer.fetches) >= 2:
            break
        await asyncio.sleep(0.02)
    assert len(openid_issuer.fetches) == 2, openid_issuer.fetches  # metadata, then keys


# --- never 500 ------------------------------------------------------------------------------


async def test_a_non_string_service_url_with_a_valid_token_gets_401(
    secured_bot: HotlineBot, openid_issuer: OpenIdIssuer, post: Poster
) -> None:
    token = openid_issuer.token(SERVICE_URL)
    statuses = [
        (await post(token, id=f"url-{n}", serviceUrl=value))[0]
        for n, value in enumerate([5, {"url": SERVICE_URL}, [SERVICE_URL], True, 1.5])
    ]
    odd_claim = openid_issuer.token(claims={"serviceurl": {"a": 1}})
    statuses.append((await post(odd_claim, id="claim"))[0])
    assert set(statuses) <= {400, 401}, statuses  # the adapter may refuse the body first
    assert statuses[-1] == 401
    assert secured_bot.inbound == []


async def test_the_validator_itself_refuses_a_non_string_service_url(
    openid_issuer: OpenIdIssuer,
) -> None:
    async with aiohttp.ClientSession() as session:
        validator = _validator(openid_issuer, session)
        header = f"Bearer {openid_issuer.token(SERVICE_URL)}"
        assert await validator.validate(header, SERVICE_URL)
        for value in (5, {"url": SERVICE_URL}, [SERVICE_URL], True):
            with pytest.raises(AuthError, match="serviceUrl must be a string"):
                await validator.validate(header, value)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


ODD_TOKENS = {
    "malformed": MALFORMED_TOKEN,
    "header is a list": f"{_b64(b'[1]')}.{_b64(b'{}')}.x",
    "header not json": f"{_b64(b'{nope')}.{_b64(b'{}')}.x",
    "kid is an object": f"{_b64(json.dumps({'alg': 'RS256', 'kid': {}}).encode())}.e30.x",
    "claims are a list": f"{_b64(json.dumps({'alg': 'RS256', 'kid': 'k'}).encode())}.WzFd.x",
    "two parts": "abc.def",
    "unicode": "ä.ö.ü",
}


async def test_odd_tokens_are_auth_errors(openid_issuer: OpenIdIssuer) -> None:
    async with aiohttp.ClientSession() as session:
        validator = _validator(openid_issuer, session)
        for name, token in ODD_TOKENS.items():
            with pytest.raises(AuthError):
                await validator.validate(f"Bearer {token}", SERVICE_URL)
            print(f"{name}: AuthError")
        await validator.close()
