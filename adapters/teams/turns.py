"""botbuilder's CloudAdapter, with authentication and the connector done our way.

The CloudAdapter runs the turn pipeline. The request is authenticated before it reaches
botbuilder (async, cached keys, 401 on failure), and the connector factory hands out one
cached ConnectorClient per service URL instead of building an msrest client per turn (its
retry set-up was two thirds of a stock turn). Sending never uses it: notices go through the
outbox and `connector.ConnectorClient`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector import ConnectorClient as MsrestConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    MicrosoftAppCredentials,
)
from botframework.connector.auth.authenticate_request_result import AuthenticateRequestResult

TurnLogic = Callable[[TurnContext], Awaitable[None]]


class _CachedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """One msrest client per service URL, built once (botbuilder builds one per turn)."""

    def __init__(self, app_id: str, password: str) -> None:
        self._clients: dict[str, MsrestConnectorClient] = {}
        self._credentials = MicrosoftAppCredentials(app_id or None, password or None)

    async def create(self, service_url: str, audience: str) -> MsrestConnectorClient:
        client = self._clients.get(service_url)
        if client is None:
            client = MsrestConnectorClient(self._credentials, base_url=service_url)
            self._clients[service_url] = client
        return client


class _PreAuthenticated(BotFrameworkAuthentication):  # type: ignore[misc]
    """Requests arrive already authenticated; botbuilder only asks for the token client."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        raise PermissionError("requests are authenticated before the CloudAdapter")

    async def authenticate_streaming_request(self, auth_header: str, channel_id: str) -> Any:
        raise PermissionError("streaming is not offered")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> Any:
        raise NotImplementedError

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> None:
        return None  # no OAuth sign-in in this bot

    def create_bot_framework_client(self) -> Any:
        raise NotImplementedError

    def get_originating_audience(self) -> str:
        return AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # type: ignore[no-any-return]

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        raise PermissionError("not offered")


class TurnRunner:
    """Runs one authenticated activity through the CloudAdapter's pipeline."""

    def __init__(self, app_id: str, password: str) -> None:
        self.adapter = CloudAdapter(_PreAuthenticated())
        self._factory = _CachedConnectorFactory(app_id, password)
        self._app_id = app_id

    async def run(self, activity: Activity, claims: dict[str, Any] | None, logic: TurnLogic) -> Any:
        """Process `activity`; `claims` None means anonymous (local development)."""
        result = AuthenticateRequestResult()
        if claims is None:
            result.claims_identity = ClaimsIdentity(
                {}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE
            )
        else:
            result.claims_identity = ClaimsIdentity(claims, True)
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.connector_factory = self._factory
        return await self.adapter.process_activity(result, activity, logic)
