"""Inbound authentication: the Bot Connector's JWT, validated without blocking the loop.

botbuilder's own validation fetches Microsoft's OpenID metadata with a synchronous
`requests.get` (no timeout) inside the event loop and answers 500 for a bad token. Here the
metadata and keys are fetched with aiohttp, within FETCH_TIMEOUT_SECONDS for both, and
cached; every failure is a clean AuthError, which the endpoint turns into 401.

The keys are fetched by one task at a time. Past their TTL they are refreshed in the
background while they keep validating (a request never waits for a refresh its key does not
need); only a token naming a key we do not hold waits for a fetch, at most the fetch
timeout, and such fetches are rate-limited. `prefetch()` starts the first fetch at start.
When a published key lists `endorsements`, the activity's channelId must be among them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

log = logging.getLogger(__name__)
BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEYS_TTL_SECONDS = 24 * 3600
# The Bot Connector gives the bot 15 s to answer: a request that must wait for the keys
# (the first one, or a new kid) waits at most this long for metadata and keys together.
FETCH_TIMEOUT_SECONDS = 5.0
# A token naming a key we do not know makes us look again (keys roll over), but not on every
# request: anyone can send such a token, and each look is two calls to the issuer.
UNKNOWN_KEY_REFRESH_SECONDS = 300
STALE_RETRY_SECONDS = 60  # stale keys whose refresh failed stay in use; retried this often
_NOT_GIVEN: Any = object()


class AuthError(Exception):
    """The request is not from the Bot Connector (or not for this bot)."""


@dataclass(frozen=True)
class AuthSettings:
    """Who may call /api/messages: tokens for `app_id` issued by `issuer`.

    `timeout_seconds`: for fetching metadata and keys together (None: FETCH_TIMEOUT_SECONDS).
    """

    app_id: str
    metadata_url: str = BOT_FRAMEWORK_METADATA
    issuer: str = BOT_FRAMEWORK_ISSUER
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class SigningKey:
    """A published key, and the channels it may sign for (None: any)."""

    key: Any
    endorsements: frozenset[str] | None


class TokenValidator:
    """Validates "Authorization: Bearer <jwt>" headers against the issuer's published keys."""

    def __init__(self, settings: AuthSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None  # last successful fetch (time.monotonic())
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._fetch: asyncio.Task[None] | None = None  # the fetch under way, if any

    @property
    def timeout(self) -> float:
        """Seconds for one fetch of metadata and keys."""
        configured = self.settings.timeout_seconds
        return FETCH_TIMEOUT_SECONDS if configured is None else configured

    def prefetch(self) -> None:
        """Start fetching the keys now (in the background), so the first request need not."""
        self._start_fetch()

    async def close(self) -> None:
        """Cancel a fetch under way."""
        task, self._fetch = self._fetch, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def validate(
        self, auth_header: str, service_url: object, *, channel_id: object = _NOT_GIVEN
    ) -> dict[str, Any]:
        """The token's claims, or AuthError.

        `service_url` is the activity's serviceUrl: the token must name the same one (a
        token without a serviceurl claim is refused); None when the body has none (then the
        claim is not compared); anything but a string or None is refused. `channel_id`,
        when given, is the activity's channelId (must be among the signing key's
        endorsements, if it lists any)."""
        if service_url is not None and not isinstance(service_url, str):
            raise AuthError("serviceUrl must be a string")
        scheme, _, token = auth_header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError("missing bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthError(f"malformed token: {error}") from error
        signing = await self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=signing.key,
                algorithms=["RS256"],
                audience=self.settings.app_id,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=300,
            )
        except jwt.PyJWTError as error:
            raise AuthError(f"invalid token: {error}") from error
        _check_service_url(claims, service_url)
        endorsements = signing.endorsements
        if (
            channel_id is not _NOT_GIVEN
            and endorsements is not None
            and (not isinstance(channel_id, str) or channel_id not in endorsements)
        ):
            raise AuthError(f"the signing key is not endorsed for channel {channel_id!r}")
        return claims

    async def _key(self, kid: str) -> SigningKey:
        now = time.monotonic()
        known = self._keys.get(kid)
        if known is not None:
            if self._stale(now):
                self._start_fetch()  # in the background: the stale key still validates
            return known
        if self._fetched_at is None or self._may_look_for_new_keys(now):
            self._start_fetch()
        task = self._fetch
        if task is not None:
            # bounded even if the fetch misbehaves; shielded: other requests share it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), self.timeout + 1.0)
        known = self._keys.get(kid)
        if known is None:
            raise AuthError(f"unknown signing key {kid!r}")
        return known

    def _stale(self, now: float) -> bool:
        if self._fetched_at is None or now - self._fetched_at <= KEYS_TTL_SECONDS:
            return False
        return self._attempted_at is None or now - self._attempted_at >= STALE_RETRY_SECONDS

    def _may_look_for_new_keys(self, now: float) -> bool:
        if self._attempted_at is None:
            return True
        return now - self._attempted_at >= UNKNOWN_KEY_REFRESH_SECONDS

    def _start_fetch(self) -> None:
        if self._fetch is not None and not self._fetch.done():
            return  # one fetch at a time; everyone who needs it waits for that one
        self._attempted_at = time.monotonic()
        self._fetch = asyncio.get_running_loop().create_task(
            self._fetch_keys(), name="teams-openid-keys"
        )

    async def _fetch_keys(self) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                keys = await self._download()
        except (AuthError, TimeoutError) as error:
            if self._keys:
                log.warning("could not refresh the signing keys (%r); using the cached ones", error)
            else:
                log.warning("could not fetch the signing keys: %r", error)
            return
        except Exception:  # never into the requests waiting for this fetch: they answer 401
            log.exception("fetching the signing keys failed")
            return
        self._keys, self._fetched_at = keys, time.monotonic()

    async def _download(self) -> dict[str, SigningKey]:
        try:
            async with self.session.get(self.settings.metadata_url) as answer:
                metadata = await answer.json(content_type=None)
            async with self.session.get(metadata["jwks_uri"]) as answer:
                jwks = await answer.json(content_type=None)
            entries = jwks["keys"]
        except (aiohttp.ClientError, KeyError, TypeError, ValueError) as error:
            raise AuthError(f"cannot fetch the signing keys: {error!r}") from error
        keys = {}
        for entry in entries if isinstance(entries, list) else []:
            try:
                endorsements = entry.get("endorsements")
                keys[str(entry["kid"])] = SigningKey(
                    jwt.PyJWK(entry).key,
                    frozenset(map(str, endorsements)) if isinstance(endorsements, list) else None,
                )
            except (jwt.PyJWTError, AttributeError, KeyError, TypeError, ValueError):
                continue
        return keys


def _check_service_url(claims: dict[str, Any], service_url: str | None) -> None:
    """The token must name the activity's serviceUrl (botbuilder's ChannelValidation: the
    claim must equal it, and a missing claim never does). The bot stores that URL and later
    sends its own outbound token there, so a token without the claim is refused too."""
    claimed_url = claims.get("serviceurl", claims.get("serviceUrl"))
    if claimed_url is not None and not isinstance(claimed_url, str):
        raise AuthError("the token's serviceurl is not a string")
    if service_url is None:
        return  # no activity serviceUrl (not an activity: the body is refused with 400)
    if not claimed_url:
        raise AuthError("the token names no serviceurl")
    if claimed_url.rstrip("/") != service_url.rstrip("/"):
        raise AuthError("serviceUrl does not match the token")
