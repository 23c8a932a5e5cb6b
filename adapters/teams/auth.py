"""Inbound authentication: the Bot Connector's JWT, validated without blocking the loop.

botbuilder's own validation fetches Microsoft's OpenID metadata with a synchronous
`requests.get` (no timeout) inside the event loop and answers 500 for a bad token. Here the
metadata and keys are fetched with aiohttp, with a timeout, and cached; every failure is a
clean AuthError, which the endpoint turns into 401.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
KEYS_TTL_SECONDS = 24 * 3600


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
        self._fetched_at = 0.0
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
            stale = time.monotonic() - self._fetched_at > KEYS_TTL_SECONDS
            if stale or kid not in self._keys:
                await self._refresh()
        if kid not in self._keys:
            raise AuthError(f"unknown signing key {kid!r}")
        return self._keys[kid]

    async def _refresh(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with self.session.get(self.settings.metadata_url, timeout=timeout) as answer:
                metadata = await answer.json(content_type=None)
            async with self.session.get(metadata["jwks_uri"], timeout=timeout) as answer:
                jwks = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
            raise AuthError(f"cannot fetch the signing keys: {error!r}") from error
        keys = {}
        for entry in jwks.get("keys", []):
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry).key
            except (jwt.PyJWTError, KeyError):
                continue
        self._keys, self._fetched_at = keys, time.monotonic()
