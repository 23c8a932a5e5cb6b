"""Outbound calls to the Bot Connector REST API on one reused aiohttp session.

Replaces botbuilder's msrest ConnectorClient for sending: no new session per turn, no
sockets left behind, and failures surface as DeliveryError so the outbox retries them
(429, 412, 502, 504 and connection errors with backoff, honouring Retry-After).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.delivery import DeliveryError

log = logging.getLogger(__name__)
RETRYABLE = frozenset({412, 429, 500, 502, 503, 504})
TokenSource = Callable[[], Awaitable[str | None]]


class ConnectorClient:
    """Bot Connector v3: send, update and create conversations."""

    def __init__(self, session: aiohttp.ClientSession, token: TokenSource) -> None:
        self.session = session
        self.token = token

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post a new activity into a conversation; returns its id."""
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
        """Open a 1:1 chat with a user who never wrote to the bot; returns its id."""
        body: dict[str, Any] = {
            "isGroup": False,
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}} if tenant_id else {},
        }
        answer = await self._call("POST", service_url, "/v3/conversations", body)
        return str(answer["id"])

    async def _call(
        self, method: str, service_url: str, path: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        token = await self.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = service_url.rstrip("/") + path
        try:
            async with self.session.request(method, url, json=body, headers=headers) as answer:
                if answer.status in RETRYABLE:
                    raise DeliveryError(
                        f"{method} {path}: {answer.status}",
                        retry_after=_retry_after(answer.headers.get("Retry-After")),
                    )
                if answer.status >= 400:
                    text = await answer.text()
                    raise DeliveryError(
                        f"{method} {path}: {answer.status} {text[:200]}", permanent=True
                    )
                if answer.content_length == 0:
                    return {}
                data = await answer.json(content_type=None)
                return data if isinstance(data, dict) else {}
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"connector unreachable: {error!r}") from error


def _retry_after(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
