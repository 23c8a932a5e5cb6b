"""Outbound calls to the Bot Connector REST API on one reused aiohttp session.

Replaces botbuilder's msrest ConnectorClient for sending: no new session per turn, no
sockets left behind (the adapter's one pool: keep-alive connections, reused turn after turn),
and failures surface as DeliveryError (ConnectorError, with the HTTP status, when the
connector answered one) so the outbox retries them (429, 412, 500, 502, 503, 504
and connection errors with exponential backoff and jitter, honouring Retry-After).

- A 2xx whose body cannot be read or is not JSON counts as delivered (without an activity
  id): the connector accepted the activity, and a retry would post it a second time.
- A 401 on a call that carried a token (the cached outbound token went stale, or was
  revoked) refreshes the token once and repeats the call; a second 401 is a retryable error.
  Without a token (anonymous mode) a 401 is permanent.
- The known window: when the connector accepts a POST but its answer is lost (the
  connection breaks, or the session's 30 s timeout fires first), the outbox retries and the
  activity is posted twice. The Bot Connector offers no idempotency key for sends (it
  ignores a client-chosen activity id), so that window cannot be closed from this side; it
  is only as wide as a lost answer, and an update (PUT) repeated this way is harmless.
- Bodies go out as compact UTF-8 JSON (`wire_body`): Teams caps a bot message at about
  28 KB, and spaces after separators and \\u escapes of umlauts would spend 8-10 % of that.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.delivery import DeliveryError

log = logging.getLogger(__name__)
RETRYABLE = frozenset({412, 429, 500, 502, 503, 504})
TokenSource = Callable[[], Awaitable[str | None]]


def wire_body(body: dict[str, Any]) -> bytes:
    """A request body as sent: compact JSON, UTF-8, non-ASCII characters as they are."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ConnectorError(DeliveryError):
    """The connector answered with an error status (`status`: 404 means the conversation or
    the activity is gone). Unreachable connectors and unusable answers stay DeliveryError."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(message, retry_after=retry_after, permanent=permanent)
        self.status = status


class ConnectorClient:
    """Bot Connector v3: send, update and create conversations.

    `token` gives the outbound token (None: anonymous); `refresh` a NEW one after the
    connector refused the cached one (default: `token` again).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: TokenSource,
        *,
        refresh: TokenSource | None = None,
    ) -> None:
        self.session = session
        self.token = token
        self.refresh = refresh or token

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post a new activity into a conversation; returns its id ("" if the answer had none)."""
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
        answer = await self._call("POST", service_url, path, activity)
        return str(answer.get("id", ""))

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        """Replace an earlier activity (a card) in place."""
        path = (
            f"/v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        await self._call("PUT", service_url, path, {**activity, "id": activity_id})

    async def create_conversation(
        self, service_url: str, *, bot_id: str, user_id: str, tenant_id: str | None
    ) -> str:
        """Open a 1:1 chat with a user who never wrote to the bot; returns its id.

        An answer without an id is a retryable error: creating the same 1:1 chat again
        answers the same conversation and posts nothing."""
        body: dict[str, Any] = {
            "isGroup": False,
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}} if tenant_id else {},
        }
        answer = await self._call("POST", service_url, "/v3/conversations", body)
        conversation = answer.get("id")
        if not isinstance(conversation, str) or not conversation:
            raise DeliveryError("create conversation: the answer named no conversation id")
        return conversation

    async def _call(
        self, method: str, service_url: str, path: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        url = service_url.rstrip("/") + path
        token = await _fetch_token(self.token)
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json; charset=utf-8"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                async with self.session.request(
                    method, url, data=wire_body(body), headers=headers
                ) as answer:
                    if not (answer.status == 401 and token and attempt == 1):
                        return await _outcome(method, path, answer, authenticated=bool(token))
            except (TimeoutError, aiohttp.ClientError) as error:
                raise DeliveryError(f"connector unreachable: {error!r}") from error
            log.info("the connector refused the outbound token: fetching a new one")
            token = await _fetch_token(self.refresh)
        raise AssertionError("unreachable")  # pragma: no cover


async def _fetch_token(source: TokenSource) -> str | None:
    try:
        return await source()
    except (OSError, ValueError, RuntimeError) as error:  # MSAL, requests (OSError)
        raise DeliveryError(f"no outbound token: {error!r}") from error


async def _outcome(
    method: str, path: str, answer: aiohttp.ClientResponse, *, authenticated: bool
) -> dict[str, Any]:
    """The answer's JSON object, or DeliveryError (retryable or permanent)."""
    status = answer.status
    if status in RETRYABLE:
        raise ConnectorError(
            f"{method} {path}: {status}",
            status=status,
            retry_after=_retry_after(answer.headers.get("Retry-After")),
        )
    if status == 401 and authenticated:
        raise ConnectorError(
            f"{method} {path}: 401 with a freshly fetched token", status=status, retry_after=60
        )
    if status >= 400:
        text = await answer.text()
        raise ConnectorError(
            f"{method} {path}: {status} {text[:200]}", status=status, permanent=True
        )
    try:
        raw = await answer.read()
        data = json.loads(raw) if raw.strip() else {}
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        # Accepted: a retry would post the activity twice. Delivered, without an id.
        log.warning(
            "%s %s: %s, but its answer is unreadable: %r", method, path, answer.status, error
        )
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


class AppTokens:
    """Outbound tokens for the bot's app id from Azure AD (MSAL's blocking calls off the loop).

    `get` answers MSAL's cached token; `refresh` drops that cache (a new credentials object)
    and asks Azure AD again: use it as ConnectorClient's `refresh`."""

    def __init__(self, app_id: str, password: str, tenant_id: str | None) -> None:
        self.app_id = app_id
        self.password = password
        self.tenant_id = tenant_id
        self._credentials: Any = None

    async def get(self) -> str | None:
        """The current outbound token (None without an app id: anonymous mode)."""
        if not self.app_id:
            return None
        if self._credentials is None:
            self._credentials = self._new_credentials()
        token: str = await asyncio.to_thread(self._credentials.get_access_token)
        return token

    async def refresh(self) -> str | None:
        """A newly issued token (the cached one was refused)."""
        self._credentials = None
        return await self.get()

    def _new_credentials(self) -> Any:
        from botframework.connector.auth import MicrosoftAppCredentials

        return MicrosoftAppCredentials(
            self.app_id, self.password, channel_auth_tenant=self.tenant_id
        )
