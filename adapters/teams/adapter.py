"""The Teams adapter: /api/messages on aiohttp, turns on botbuilder's CloudAdapter.

Inbound: authenticate (401 on any failure, before the body is even looked at), store the
conversation reference (so any instance can message this user, channel or group chat later),
hand the message to the engine, which deduplicates by conversation and activity id and answers
through the outbox. Outbound: the outbox calls `send`, which posts, updates a card in place
(posting it anew when Teams no longer has it), or first opens a 1:1 chat with a person who
never wrote to the bot (which needs the tenant id).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from msrest.serialization import Deserializer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams import render
from adapters.teams.auth import AuthError, AuthSettings, TokenValidator
from adapters.teams.connector import AppTokens, ConnectorClient, ConnectorError
from adapters.teams.mentions import mentions_of
from adapters.teams.parse import (
    PLATFORM,
    channel_of,
    conversation_type,
    parse_activity,
    reference_of,
    user_key,
)
from adapters.teams.references import ReferenceStore
from adapters.teams.settings import TeamsSettings
from adapters.teams.spool import KeptActivities, Spool
from adapters.teams.turns import TurnRunner
from bot.config.model import OrgConfig
from bot.delivery import DeliveryError, InboundHandler
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice, Target, ticket_card_prefix
from storage.outage import is_unavailable
from storage.repositories import platform_state, sent_messages

log = logging.getLogger(__name__)
DEFAULT_REFERENCE = "ref:default"
DEFAULT_FIELDS = ("service_url", "tenant_id", "bot_id", "bot_name")
NO_TENANT_RETRY_SECONDS = 300
RETRY_AFTER_SECONDS = 10  # asked of the caller when an activity can be neither run nor kept


# msrest's Model.deserialize, without building a new Deserializer (a scan of every
# botbuilder.schema class) for each activity: the same checks, once set up.
_ACTIVITY = Deserializer(Activity._infer_class_models())  # type: ignore[no-untyped-call]

# Parts of an activity that parse.py and botbuilder read as JSON objects.
_OBJECT_FIELDS = ("from", "recipient", "conversation", "channelData")


def _malformed(body: dict[str, Any]) -> str | None:
    """Why `body` cannot be an activity (a 400 instead of a 500 from deep inside a turn)."""
    for field in _OBJECT_FIELDS:
        if body.get(field) is not None and not isinstance(body[field], dict):
            return f"{field} must be an object"
    if body.get("serviceUrl") is not None and not isinstance(body["serviceUrl"], str):
        return "serviceUrl must be a string"
    if not isinstance(body["type"], str):
        return "type must be a string"
    return None


def _accepted(body: dict[str, Any]) -> web.Response:
    return web.Response(status=201 if body.get("type") == "message" else 200)


def _json(raw: bytes) -> Any:
    """The request body as JSON; None when it is not JSON at all."""
    try:
        return json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None


class TeamsAdapter:
    """Serves the hotline in Microsoft Teams."""

    platform = PLATFORM

    def __init__(
        self,
        settings: TeamsSettings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        spool: Spool | None = None,
        config: OrgConfig | None = None,
    ) -> None:
        self.settings = settings
        self.config = config  # who the people a notice mentions are (their Teams ids)
        self.sessions = sessions
        self.clock = clock
        self.http: aiohttp.ClientSession | None = None
        self.connector: ConnectorClient | None = None
        self.validator: TokenValidator | None = None
        self.turns = TurnRunner(settings.app_id, settings.app_password)
        self.references = ReferenceStore(sessions, clock)
        # Without a spool, an activity that finds the database away is answered 503.
        self.kept = KeptActivities(spool, self._turn) if spool is not None else None
        self._replayer: asyncio.Task[None] | None = None
        self._on_inbound: InboundHandler | None = None
        self._runner: web.AppRunner | None = None
        app_id = "" if settings.anonymous else settings.app_id
        self.tokens = AppTokens(app_id, settings.app_password, settings.tenant_id)

    # -- lifecycle ---------------------------------------------------------------

    async def start(self, on_inbound: InboundHandler) -> None:
        """Open the HTTP client and serve /api/messages."""
        await self.open(on_inbound)
        self._runner = web.AppRunner(self.web_app())
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.host, self.settings.port).start()
        log.warning(
            "Teams endpoint on http://%s:%s/api/messages (%s)",
            self.settings.host,
            self.settings.port,
            "ANONYMOUS local mode: no app id set" if self.settings.anonymous else "authenticated",
        )

    async def open(self, on_inbound: InboundHandler) -> None:
        """Everything but the listening socket (tests mount `web_app` themselves)."""
        self._on_inbound = on_inbound
        connector = aiohttp.TCPConnector(limit=50, keepalive_timeout=60)
        self.http = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        )
        self.connector = ConnectorClient(self.http, self.tokens.get, refresh=self.tokens.refresh)
        if not self.settings.anonymous:
            auth = AuthSettings(
                self.settings.app_id, self.settings.openid_metadata_url, self.settings.issuer
            )
            self.validator = TokenValidator(auth, self.http)
            self.validator.prefetch()  # the first request need not wait for Microsoft's keys
        if self.kept is not None:
            self._replayer = asyncio.create_task(self.kept.run(), name="teams-spool")

    def health(self) -> str | None:
        """Why Teams is not served right now (None: the endpoint is up), for /readyz. Whether
        Microsoft reaches the endpoint only Microsoft knows: watch the turn counters."""
        if self.http is None:
            return "not started"
        return None

    async def reconfigure(self, config: OrgConfig) -> None:
        """A config reload (bot/reload.py): mentions name the staff of the new config."""
        self.config = config

    async def stop(self) -> None:
        """Stop serving and close connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._replayer is not None:
            self._replayer.cancel()
            await asyncio.gather(self._replayer, return_exceptions=True)
            self._replayer = None
        if self.validator is not None:
            await self.validator.close()
        if self.http is not None:
            await self.http.close()
            self.http = None

    def web_app(self) -> web.Application:
        """The aiohttp application with POST /api/messages."""
        app = web.Application()
        app.router.add_post("/api/messages", self.messages)
        return app

    # -- inbound -----------------------------------------------------------------

    async def messages(self, request: web.Request) -> web.Response:
        """The Bot Connector endpoint: authentication first (401), then the body (400)."""
        body = _json(await request.read())
        claims = None
        if self.validator is not None:
            activity_like = isinstance(body, dict) and bool(body.get("type"))
            service_url = body.get("serviceUrl") if isinstance(body, dict) else None
            # The signing key must be endorsed for the activity's channel; a body that is
            # no activity at all is refused with 400 once the caller proved who it is.
            channel = {"channel_id": body.get("channelId")} if activity_like else {}
            try:
                claims = await self.validator.validate(
                    request.headers.get("Authorization", ""),
                    service_url if isinstance(service_url, str) else None,
                    **channel,
                )
            except AuthError as error:
                log.info("rejected an unauthenticated request: %s", error)
                return web.Response(status=401)
        if not isinstance(body, dict) or not body.get("type"):
            return web.Response(status=400, text="body must be a JSON activity")
        problem = _malformed(body)
        if problem is None:
            try:
                activity = _ACTIVITY(Activity.__name__, body)
            except (ValueError, TypeError, AttributeError) as error:  # msrest's errors
                problem = f"not an activity: {error}"
        if problem is not None:
            log.info("rejected a malformed activity: %s", problem)
            return web.Response(status=400, text="body must be a JSON activity")

        async def turn(_context: TurnContext) -> None:
            await self._turn(body)  # the JSON as received: no msrest serialize round trip

        if self.kept is not None and self.kept.waiting:  # in order, behind what waits
            return self._keep(body)
        try:
            await self.turns.run(activity, claims, turn)
        except Exception as error:
            if not is_unavailable(error):
                raise
            return self._keep(body)
        return _accepted(body)

    def _keep(self, body: dict[str, Any]) -> web.Response:
        """The database is away (or activities kept earlier wait): keep this one on disk
        and acknowledge it; without a spool, or when the disk refuses, ask for a retry."""
        if self.kept is not None:
            try:
                self.kept.keep(body)
            except OSError as error:
                log.error("database unavailable and the spool refused an activity: %s", error)
            else:
                log.warning("database unavailable: an activity is kept, answered when it is back")
                return _accepted(body)
        return web.Response(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    async def _turn(self, activity: dict[str, Any]) -> None:
        await self._remember(activity)
        inbound = parse_activity(activity)
        if inbound is not None and self._on_inbound is not None:
            await self._on_inbound(inbound)

    async def _remember(self, activity: dict[str, Any]) -> None:
        """Store the conversation reference for this user, channel or group chat (any
        instance can use it): ``ref:user:<aad id>``, ``ref:channel:<channel id>``,
        ``ref:chat:<group chat id>``, and ``ref:default`` for a first message to anyone."""
        reference = reference_of(activity)
        if not reference.get("service_url") or not reference.get("conversation_id"):
            return
        if not reference.get("tenant_id"):  # keep the tenant a former turn told us
            known = await self.references.get(DEFAULT_REFERENCE)
            reference["tenant_id"] = json.loads(known).get("tenant_id") if known else None
        # The default holds only what a first message to anyone needs (service URL, bot,
        # tenant): the same for every turn, so it is written once, not on every new sender.
        default = {key: reference.get(key) for key in DEFAULT_FIELDS}
        values = {DEFAULT_REFERENCE: json.dumps(default)}
        kind = conversation_type(activity)
        channel = channel_of(activity)
        if channel is not None and kind in ("channel", "groupChat"):
            prefix = "channel" if kind == "channel" else "chat"
            values[f"ref:{prefix}:{channel}"] = json.dumps(
                {**reference, "conversation_id": channel}
            )
        elif kind == "personal" and user_key(activity):
            key = platform_state.person_key(platform_state.TEAMS_USER, user_key(activity))
            values[key] = json.dumps(reference)
        await self.references.put(values)

    # -- outbound ----------------------------------------------------------------

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        """Post or update a notice; raises DeliveryError for the outbox to retry.

        A card shown before is updated in place; when the connector no longer knows it (404:
        deleted, or its conversation gone), the card is posted anew and the new post is the
        one updated from then on."""
        if self.connector is None:
            raise DeliveryError("Teams adapter not started", retry_after=5)
        if notice.retract and notice.card is not None:
            return await self._retract(target, notice)
        reference = await self._reference(target)
        service_url, conversation = reference["service_url"], reference["conversation_id"]
        activity = render.activity(notice, mentions_of(self.config, notice))
        original = None
        if notice.card is not None:
            async with self.sessions() as session:
                original = await sent_messages.card_message(
                    session, platform=PLATFORM, room=conversation, card=notice.card
                )
        choices = [choice.id for choice in notice.choices]
        replaced = False
        if original is not None:
            ref = original.message_ref
            try:
                await self.connector.update(service_url, conversation, ref, activity)
            except ConnectorError as error:
                if error.status != 404:  # 404: the card or its conversation is gone
                    raise
                log.warning("card %s in %s is gone (%s): posting it anew", ref, conversation, error)
                ref = await self.connector.send(service_url, conversation, activity)
                replaced = True
        else:
            thread = await self._thread(target, conversation, notice)
            ref = await self.connector.send(service_url, thread or conversation, activity)
        if notice.card is None:
            return ref  # only cards are looked up again (to update them in place)
        async with self.sessions() as session, session.begin():
            if replaced and original is not None:
                await sent_messages.repoint_card(
                    session, row_id=original.id, message_ref=ref, choices=choices
                )
            else:
                await sent_messages.remember_post(
                    session,
                    platform=PLATFORM,
                    room=conversation,
                    message_ref=ref,
                    edited=original is not None,
                    card=notice.card,
                    choices=choices,
                    at=self.clock.now(),
                )
        return ref

    async def _thread(self, target: Target, conversation: str, notice: Notice) -> str | None:
        """The channel thread of the notice's ticket card (``<channel>;messageid=<card's
        activity id>``: a reply under the card), or None to post top-level (no thread asked
        for, a DM, or the card was never posted in this channel)."""
        if notice.thread is None or notice.card is not None or target.kind != "channel":
            return None
        async with self.sessions() as session:
            root = await sent_messages.thread_root(
                session,
                platform=PLATFORM,
                room=conversation,
                card_prefix=ticket_card_prefix(notice.thread),
            )
        return None if root is None else f"{conversation};messageid={root.message_ref}"

    async def _retract(self, target: Target, notice: Notice) -> str | None:
        """Take a card back (its ticket's data was erased): replaced in place by the notice
        (Teams shows users no earlier version of a bot's message). Where it was never shown,
        or is gone, nothing is sent, and no 1:1 chat is opened for it."""
        assert self.connector is not None and notice.card is not None
        person = platform_state.person_key(platform_state.TEAMS_USER, target.address)
        if target.kind == "user" and await self.references.get(person) is None:
            return None
        reference = await self._reference(target)
        service_url, conversation = reference["service_url"], reference["conversation_id"]
        async with self.sessions() as session:
            original = await sent_messages.card_message(
                session, platform=PLATFORM, room=conversation, card=notice.card
            )
        if original is None:
            return None
        try:
            await self.connector.update(
                service_url, conversation, original.message_ref, render.activity(notice)
            )
        except ConnectorError as error:
            if error.status != 404:
                raise
            return None  # deleted in Teams already
        async with self.sessions() as session, session.begin():
            await sent_messages.update_choices(
                session,
                platform=PLATFORM,
                room=conversation,
                message_ref=original.message_ref,
                choices=[],
            )
        return original.message_ref

    async def _reference(self, target: Target) -> dict[str, Any]:
        """Where to post for `target`: its stored reference (a group chat is addressed like a
        channel), else the default service URL; a person who never wrote gets a new 1:1 chat."""
        key = f"ref:{target.kind}:{target.address}"
        stored = await self.references.get(key)
        if stored is None and target.kind == "channel":
            stored = await self.references.get(f"ref:chat:{target.address}")
        if stored is not None:
            return dict(json.loads(stored))
        default = await self.references.get(DEFAULT_REFERENCE)
        base = json.loads(default) if default else {}
        service_url = self.settings.service_url or base.get("service_url")
        if not service_url:
            raise DeliveryError(f"no Teams conversation known yet for {target}", retry_after=300)
        if target.kind == "channel":
            return {"service_url": service_url, "conversation_id": target.address}
        tenant = self.settings.tenant_id or base.get("tenant_id")
        if not tenant and not self.settings.anonymous:
            message = (
                f"cannot open a 1:1 chat with {target.address}: no Teams tenant id known "
                "(set HOTLINE_TEAMS_TENANT_ID, platforms.teams tenant_id, or wait until "
                "someone writes to the bot)"
            )
            log.warning("%s; retrying in %d s", message, NO_TENANT_RETRY_SECONDS)
            raise DeliveryError(message, retry_after=NO_TENANT_RETRY_SECONDS)
        assert self.connector is not None
        conversation = await self.connector.create_conversation(
            service_url,
            bot_id=str(base.get("bot_id") or self.settings.app_id),
            user_id=target.address,
            tenant_id=tenant,
        )
        reference = {
            "service_url": service_url,
            "conversation_id": conversation,
            "conversation_type": "personal",
            "tenant_id": tenant,
        }
        await self.references.put({key: json.dumps(reference)})
        return reference
