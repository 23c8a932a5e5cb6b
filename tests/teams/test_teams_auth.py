"""Inbound authentication of the Teams adapter against the local OpenID issuer: a hanging
issuer costs a bounded wait and never the event loop, stale keys keep validating while they
are refreshed in the background, endorsements are checked, and whatever arrives (a
non-string serviceUrl, a token that is not even JSON) gets 401, never 500.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.teams import auth
from adapters.teams.auth import AuthError, AuthSettings, TokenValidator
from bot.kernel.clock import FrozenClock
from tests.teams.bot_fixture import (
    AUTH_FETCH_TIMEOUT,
    SERVICE_URL,
    HotlineBot,
    activity_json,
    b64url,
    secured_config,
)
from tests.teams.openid_issuer import MALFORMED_TOKEN, OpenIdIssuer
from tests.teams.stage import MONDAY_9

TIMEOUT = AUTH_FETCH_TIMEOUT  # the fetch timeout in these tests (FETCH_TIMEOUT_SECONDS is 5 s)
# Where a test holds the issuer hanging, the fetch may take this long: twice what "at once"
# may take on a loaded machine, so a request that waited for the fetch cannot pass as one
# that did not.
STALL_TIMEOUT = 2.0
AT_ONCE = 0.5  # a request that needs no fetch answers within this (loaded CI included)


async def _eventually(condition: Callable[[], bool], what: str, within: float = 5.0) -> None:
    """Poll `condition` (state another thread changes: nothing to await) until it holds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {within} s")
        await asyncio.sleep(0.01)


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
    secured_bot: HotlineBot,
    openid_issuer: OpenIdIssuer,
    post: Poster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The keys fetched at start are in; then Microsoft rolls them over and hangs: a token
    # signed with the new key needs a fetch (may look again at once), and that fetch hangs.
    await _eventually(lambda: len(openid_issuer.fetches) >= 2, "the fetch at start")
    assert (await post(openid_issuer.token(SERVICE_URL), id="before"))[0] == 201
    monkeypatch.setattr(auth, "FETCH_TIMEOUT_SECONDS", STALL_TIMEOUT)
    monkeypatch.setattr(auth, "UNKNOWN_KEY_REFRESH_SECONDS", 0)
    openid_issuer.stall()
    openid_issuer.rotate()
    with LoopWatch() as loop:
        stalled = asyncio.create_task(post(openid_issuer.token(SERVICE_URL), id="stalled"))
        await _eventually(lambda: openid_issuer.stalled == 1, "the fetch hanging")
        assert not stalled.done()
        # Meanwhile the endpoint answers others at once (no header: no keys needed) ...
        status, took = await post(None, id="other")
        assert status == 401
        assert took < AT_ONCE, took
        # ... and a second token waits for the SAME fetch, not for a new one.
        second = await post(openid_issuer.token(SERVICE_URL), id="second")
        status, took = await stalled
    assert (status, second[0]) == (401, 401)
    # bounded: the fetch timeout (+1 s at most for a fetch that ignores it), not the
    # issuer's 60 s hang; a loaded machine may add a little
    assert STALL_TIMEOUT - 0.1 <= took <= STALL_TIMEOUT + 2.0, took
    assert second[1] <= STALL_TIMEOUT + 1.0, second
    assert openid_issuer.stalled == 1
    # A fetch blocking the loop would stall it for the whole STALL_TIMEOUT.
    assert loop.worst < AT_ONCE, f"the event loop stalled for {loop.worst:.3f} s"
    assert [r.inbound.event_id.split("|")[-1] for r in secured_bot.inbound] == ["before"]

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
    monkeypatch.setattr(auth, "FETCH_TIMEOUT_SECONDS", STALL_TIMEOUT)
    monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 0)  # the keys are stale now ...
    monkeypatch.setattr(auth, "STALE_RETRY_SECONDS", 0)  # ... and may be refetched at once
    with LoopWatch() as loop:
        status, took = await post(openid_issuer.token(SERVICE_URL), id="stale")
        assert status == 201
        assert took < AT_ONCE, took  # served by the stale keys, not after the refresh
        await _eventually(lambda: openid_issuer.stalled == 1, "the refresh hanging")
        # the refresh runs (and hangs) in the background; no second fetch
        status, took = await post(openid_issuer.token(SERVICE_URL), id="stale-2")
        assert status == 201
        assert took < AT_ONCE, took
        assert openid_issuer.stalled == 1
        # Only a key we do not hold waits, and only as long as the fetch may take.
        status, took = await post(openid_issuer.unknown_kid_token(SERVICE_URL), id="forged")
        assert status == 401
        assert took <= STALL_TIMEOUT + 2.0, took
    assert loop.worst < AT_ONCE, f"the event loop stalled for {loop.worst:.3f} s"
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
        await _eventually(lambda: len(openid_issuer.fetches) >= 2, "the prefetch")
        old = openid_issuer.token(SERVICE_URL)
        await validator.validate(f"Bearer {old}", SERVICE_URL)  # (waits if still parsing)
        assert len(openid_issuer.fetches) == 2

        openid_issuer.rotate()  # Microsoft publishes a new key, the old one disappears
        monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 0)
        monkeypatch.setattr(auth, "STALE_RETRY_SECONDS", 0)
        await validator.validate(f"Bearer {old}", SERVICE_URL)  # stale key, refresh started
        await _eventually(lambda: len(openid_issuer.fetches) >= 4, "the refresh")
        monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 3600)
        new = openid_issuer.token(SERVICE_URL)
        # known once the refresh is through (a request while it runs waits for it)
        await validator.validate(f"Bearer {new}", SERVICE_URL)
        with pytest.raises(AuthError, match="unknown signing key"):
            await validator.validate(f"Bearer {old}", SERVICE_URL)  # gone with the refresh
        assert len(openid_issuer.fetches) == 4  # a kid miss looks again only every 5 min
        await validator.close()


def _validator(issuer: OpenIdIssuer, session: aiohttp.ClientSession) -> TokenValidator:
    settings = AuthSettings(issuer.app_id, issuer.metadata_url, issuer.issuer, TIMEOUT)
    return TokenValidator(settings, session)


# --- an unreachable issuer -------------------------------------------------------------------


async def test_cached_keys_outlive_an_unreachable_issuer(
    secured_bot: HotlineBot,
    openid_issuer: OpenIdIssuer,
    post: Poster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (await post(openid_issuer.token(SERVICE_URL), id="keys-first"))[0] == 201
    valid, forged = (
        openid_issuer.token(SERVICE_URL),
        openid_issuer.unknown_kid_token(SERVICE_URL),
    )
    openid_issuer.stop()
    monkeypatch.setattr(auth, "KEYS_TTL_SECONDS", 0)  # the keys are stale now ...
    monkeypatch.setattr(auth, "STALE_RETRY_SECONDS", 0)  # ... and refetched every time
    assert (await post(valid, id="keys-stale"))[0] == 201  # refresh fails: the cache serves
    assert (await post(forged, id="keys-forged"))[0] == 401
    seen = [r.inbound.event_id.split("|")[-1] for r in secured_bot.inbound]
    assert seen == ["keys-first", "keys-stale"]


async def test_issuer_unreachable_from_the_start_means_401(
    openid_issuer: OpenIdIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = openid_issuer.token(SERVICE_URL)
    config = secured_config(openid_issuer, monkeypatch)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    openid_issuer.stop()  # before the bot starts: its prefetch of the keys fails too
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:
            assert (await Poster(http, bot.endpoint)(token))[0] == 401
        assert bot.inbound == []
    finally:
        await bot.stop()


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


async def test_a_token_without_a_serviceurl_claim_gets_401(
    secured_bot: HotlineBot, openid_issuer: OpenIdIssuer, post: Poster
) -> None:
    """botbuilder's ChannelValidation: the claim must equal the activity's serviceUrl, and a
    missing claim never does. The bot would store that URL and send its own token there."""
    status, _ = await post(openid_issuer.token(), id="no-claim", serviceUrl="https://evil.example/")
    assert status == 401
    status, _ = await post(openid_issuer.token(claims={"serviceurl": ""}), id="empty-claim")
    assert status == 401
    assert secured_bot.inbound == []
    assert await secured_bot.outbox() == []
    assert (await post(openid_issuer.token(SERVICE_URL), id="with-claim"))[0] == 201


async def test_the_validator_compares_the_serviceurl_claim(openid_issuer: OpenIdIssuer) -> None:
    async with aiohttp.ClientSession() as session:
        validator = _validator(openid_issuer, session)
        without = f"Bearer {openid_issuer.token()}"
        for url in (SERVICE_URL, "https://evil.example/", ""):
            with pytest.raises(AuthError, match=r"names no serviceurl|does not match"):
                await validator.validate(without, url)
        assert await validator.validate(without, None)  # no serviceUrl: nothing to compare
        header = f"Bearer {openid_issuer.token(SERVICE_URL)}"
        assert await validator.validate(header, SERVICE_URL.rstrip("/"))  # trailing slash
        with pytest.raises(AuthError, match="does not match"):
            await validator.validate(header, "https://evil.example/")
        await validator.close()


ODD_TOKENS = {
    "malformed": MALFORMED_TOKEN,
    "header is a list": f"{b64url(b'[1]')}.{b64url(b'{}')}.x",
    "header not json": f"{b64url(b'{nope')}.{b64url(b'{}')}.x",
    "kid is an object": f"{b64url(json.dumps({'alg': 'RS256', 'kid': {}}).encode())}.e30.x",
    "claims are a list": f"{b64url(json.dumps({'alg': 'RS256', 'kid': 'k'}).encode())}.WzFd.x",
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
