"""Inbound authentication: the Bot Connector's JWT, validated without blocking the loop.

botbuilder's own validation fetches Microsoft's OpenID metadata with a synchronous
`requests.get` (no timeout) inside the event loop and answers 500 for a bad token. Here the
metadata and keys are fetched with aiohttp, with a timeout, and cached; every failure is a
clean AuthError, which the endpoint turns into 401.
"""

from __future__ import annotations

import asyncio
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
# A token naming a key we do not know makes us look again (keys roll over), but not on every
# request: anyone can send such a token, and each look is two calls to the issuer made while
# every other request waits for the lock.
UNKNOWN_KEY_REFRESH_SECONDS = 300
STALE_RETRY_SECONDS = 60  # stale keys whose refresh failed stay in use; retried this often


class AuthError(Exception):
    """The request is not from the Bot Connector (or not for this bot)."""


@dataclass(frozen=True)
class AuthSettings:
    """Who may call /api/messages: tokens for `app_id` issued by `issuer`."""

    app_id: str
    metadata_url: str = BOT_FRAMEWORK_METADATA
    issuer: str = BOT_FRAMEWORK_ISSUER
    timeout_seconds: float = 10.0


class TokenValidator:
    """Validates "Authorization: Bearer <jwt>" headers against the issuer's published keys."""

    def __init__(self, settings: AuthSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None  # last successful fetch (time.monotonic())
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._lock = asyncio.Lock()

    async def validate(self, auth_header: str, service_url: str | None) -> dict[str, Any]:
        """The token's claims, or AuthError."""
        scheme, _, token = auth_header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError("missing bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthError(f"malformed token: {error}") from error
        key = await self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.settings.app_id,
                issuer=self.settings.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=300,
            )
        except jwt.PyJWTError as error:
            raise AuthError(f"invalid token: {error}") from error
        claimed_url = claims.get("serviceurl") or claims.get("serviceUrl")
        if service_url and claimed_url and claimed_url.rstrip("/") != service_url.rstrip("/"):
            raise AuthError("serviceUrl does not match the token")
        return claims

    async def _key(self, kid: str) -> Any:
        async with self._lock:
            if self._refresh_due(kid):
                try:
                    await self._refresh()
                except AuthError:
                    if kid not in self._keys:
                        raise
                    # the issuer is unreachable: keep trusting the keys it published last
                    log.warning("could not refresh the signing keys; using the cached ones")
        if kid not in self._keys:
            raise AuthError(f"unknown signing key {kid!r}")
        return self._keys[kid]

    def _refresh_due(self, kid: str) -> bool:
        if self._fetched_at is None or self._attempted_at is None:
            return True  # no keys yet: nothing can be validated without them
        now = time.monotonic()
        since_attempt = now - self._attempted_at
        if now - self._fetched_at > KEYS_TTL_SECONDS:
            return since_attempt >= STALE_RETRY_SECONDS
        return kid not in self._keys and since_attempt >= UNKNOWN_KEY_REFRESH_SECONDS

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with self.session.get(self.settings.metadata_url, timeout=timeout) as answer:
                metadata = await answer.json(content_type=None)
            async with self.session.get(metadata["jwks_uri"], timeout=timeout) as answer:
                jwks = await answer.json(content_type=None)
            entries = jwks["keys"]
        except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as error:
            raise AuthError(f"cannot fetch the signing keys: {error!r}") from error
        keys = {}
        for entry in entries if isinstance(entries, list) else []:
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry).key
            except (jwt.PyJWTError, KeyError, TypeError, ValueError):
                continue
        self._keys, self._fetched_at = keys, time.monotonic()
