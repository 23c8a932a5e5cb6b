"""A minimal botbuilder bot for the Teams test harness (and a reference for the adapter).

It proves the playground round trip before the real adapter exists: botbuilder's CloudAdapter
in anonymous mode (empty app id and password: no Authorization header either way, and an
http://127.0.0.1 serviceUrl is accepted) on POST /api/messages of an aiohttp app on 127.0.0.1.

What it answers (text after removing an @mention of the bot):

- ``card``: an Adaptive Card with an Action.Submit (data ``{"action": "pick", "choice": "a"}``)
  and an Action.Execute (verb ``pick``) for ``adaptiveCard/action`` invokes;
- ``update``: sends ``original`` and then updates that activity to ``updated``
  (``update_activity``: PUT /v3/conversations/{id}/activities/{activityId});
- ``typing``: a typing activity, then ``typed``;
- anything else: ``echo: <text>``;
- an Action.Submit (a message with ``value`` and no text): an Adaptive Card whose TextBlock
  reads ``submitted: <value as sorted JSON>``;
- an ``adaptiveCard/action`` invoke: an invoke response carrying a card
  ``executed: <verb>`` (status 200, type application/vnd.microsoft.card.adaptive).

Every inbound activity is kept in ``EchoBot.received`` and every turn's conversation
reference in ``EchoBot.references`` (by conversation id), so tests can send proactively with
``await server.proactive(conversation_id, text)``.

botbuilder 4.17.1 details that matter here (see shared/platform-notes.md):

- ``send_activity`` posts as a REPLY to the inbound activity id
  (POST .../activities/{replyToId}); inside ``continue_conversation`` it replies to the
  reference's ``activity_id`` or, when that is empty, to the synthetic event's uuid1:
  ``proactive`` clears both to post a standalone message.
- ActivityHandler.on_adaptive_card_invoke's answer is serialized twice -> 500; see
  ``on_invoke_activity`` for the workaround.
- ``expectReplies`` delivery answers 500 in 4.17.1; the harness never enables it.

    server = EchoBotServer()
    await server.start()          # http://127.0.0.1:<port>/api/messages
    ...
    await server.stop()
"""

from __future__ import annotations

import copy
import json
import socket
from typing import Any

from aiohttp import web
from botbuilder.core import (
    ActivityHandler,
    CardFactory,
    InvokeResponse,
    MessageFactory,
    TurnContext,
)
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ConversationReference,
)
from botframework.connector.auth import BotFrameworkAuthentication

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


class AnonymousConfig:
    """Settings object for ConfigurationBotFrameworkAuthentication: anonymous mode."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def choice_card() -> dict[str, Any]:
    """The card sent for ``card``: one Action.Submit and one Action.Execute."""
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": "pick one", "wrap": True}],
        "actions": [
            {"type": "Action.Submit", "title": "A", "data": {"action": "pick", "choice": "a"}},
            {"type": "Action.Execute", "title": "B", "verb": "pick", "data": {"choice": "b"}},
        ],
    }


def text_card(text: str) -> dict[str, Any]:
    """An Adaptive Card with a single TextBlock."""
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """Echoes text, answers card submits and invokes with cards, demonstrates updates."""

    def __init__(self) -> None:
        self.received: list[Activity] = []
        self.references: dict[str, ConversationReference] = {}
        self.errors: list[BaseException] = []

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        self.received.append(activity)
        reference = TurnContext.get_conversation_reference(activity)
        if activity.conversation is not None and activity.conversation.id:
            self.references[activity.conversation.id] = reference
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.value is not None and not (activity.text or "").strip():
            value = json.dumps(activity.value, sort_keys=True)
            card = CardFactory.adaptive_card(text_card(f"submitted: {value}"))
            await turn_context.send_activity(MessageFactory.attachment(card))
            return
        text = (TurnContext.remove_recipient_mention(activity) or "").strip()
        if text == "card":
            await turn_context.send_activity(
                MessageFactory.attachment(CardFactory.adaptive_card(choice_card()))
            )
        elif text == "update":
            sent = await turn_context.send_activity("original")
            if sent is None or not sent.id:
                raise RuntimeError("send_activity returned no id: cannot update")
            replacement = MessageFactory.text("updated")
            replacement.id = sent.id
            await turn_context.update_activity(replacement)
        elif text == "typing":
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
            await turn_context.send_activity("typed")
        else:
            await turn_context.send_activity(f"echo: {text}")

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """``adaptiveCard/action`` answered with a card.

        Not through ActivityHandler.on_adaptive_card_invoke: in 4.17.1 its result is
        serialized to a dict by ActivityHandler._create_invoke_response and then AGAIN by
        CloudAdapter.process (serializer_helper), which raises "'dict' object has no
        attribute 'is_xml_model'" -> HTTP 500 for EVERY invoke response with a body.
        Returning the msrest Model itself gets serialized exactly once.
        """
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            response: InvokeResponse | None = await super().on_invoke_activity(turn_context)
            return response
        action = (activity.value or {}).get("action") or {}
        body = AdaptiveCardInvokeResponse(
            status_code=200,
            type=ADAPTIVE_CARD,
            value=text_card(f"executed: {action.get('verb')}"),
        )
        return InvokeResponse(status=200, body=body)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EchoBotServer:
    """The echo bot behind CloudAdapter on http://127.0.0.1:<port>/api/messages.

    ``auth``: a BotFrameworkAuthentication (default anonymous); for token tests use
    ``ConfigurationBotFrameworkAuthentication(issuer.bot_settings(),
    credentials_factory=issuer.credentials_factory())`` from openid_issuer.py.

    Runs in the CALLER's event loop (aiohttp AppRunner). botbuilder's outbound calls go
    through msrest's aiohttp sender, so they do not block that loop.
    """

    def __init__(
        self,
        bot: EchoBot | None = None,
        port: int | None = None,
        *,
        auth: BotFrameworkAuthentication | None = None,
    ) -> None:
        self.bot = bot or EchoBot()
        self.port = port or _free_port()
        self.adapter = CloudAdapter(
            auth or ConfigurationBotFrameworkAuthentication(AnonymousConfig())
        )
        self.adapter.on_turn_error = self._on_error
        self.requests: list[dict[str, Any]] = []  # raw inbound bodies, in order
        self.statuses: list[int] = []  # HTTP status answered for each inbound request
        self._runner: web.AppRunner | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/messages", self._messages)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def proactive(self, conversation_id: str, text: str) -> None:
        """Send `text` into a conversation the bot has seen, as a standalone message.

        botbuilder 4.17.1 would post it as a REPLY twice over: to the stored reference's
        activity_id, and, with that cleared, to the id of the synthetic continueConversation
        event that continue_conversation creates (uuid1), since TurnContext.send_activity
        copies ``turn_context.activity.id`` into replyToId. Clearing both gives
        POST /v3/conversations/{id}/activities.
        """
        reference = copy.copy(self.bot.references[conversation_id])
        reference.activity_id = None

        async def send(turn_context: TurnContext) -> None:
            turn_context.activity.id = None
            await turn_context.send_activity(text)

        await self.adapter.continue_conversation(reference, send, bot_app_id="")

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        try:
            response = await self.adapter.process(request, self.bot)
        except web.HTTPException as error:
            self.statuses.append(error.status)
            raise
        status = response.status if response is not None else 201
        self.statuses.append(status)
        return response if response is not None else web.Response(status=201)

    async def _on_error(self, turn_context: TurnContext, error: Exception) -> None:
        self.bot.errors.append(error)
        raise error
