"""A local Bot Connector (Teams' serviceUrl side) with fault injection, for adapter tests.

It implements what botbuilder's ConnectorClient calls (v3 REST API):

- POST /v3/conversations                               create -> 201 {id, activityId?, serviceUrl}
  (a channel thread ``<channel>;messageid=<id>`` for isGroup + channelData.channel.id,
  else ``a:<hex>``)
- POST /v3/conversations/{id}/activities               send   -> 201 {id}
- POST /v3/conversations/{id}/activities/{activityId}  reply  -> 201 {id}
- PUT  /v3/conversations/{id}/activities/{activityId}  update -> 200 {id}
  (404 NotFound for an id this connector never handed out in that conversation)
- DELETE /v3/conversations/{id}/activities/{activityId}  delete -> 200
- GET  /v3/conversations/{id}/members[/{memberId}], /pagedmembers  from ``members``

Every request is recorded (``requests``); accepted sends, replies, updates and deletes are kept
as ``activities`` for assertions. It runs on its OWN thread and event loop, so it answers even
when the code under test blocks the test's loop (botbuilder's OpenID fetch does, for one).

    connector = ConnectorEmulator()
    connector.start()                      # http://127.0.0.1:<port>, use as serviceUrl
    connector.fail_next(2, 429, retry_after=1)   # the next two requests answer 429
    connector.go_away()                    # connection refused from now on ...
    connector.come_back()                  # ... until this (same port)
    activity = await connector.wait_for_activity(lambda a: a.text == "hi")
    connector.stop()

Faults: ``fail_next(count, status, retry_after=None, match=None)`` answers the next `count`
requests (that `match`, default all) with `status` and a Bot Framework ErrorResponse body
``{"error": {"code", "message"}}``; 429 carries ``Retry-After`` (seconds) when given.
``delay_next(count, seconds)`` holds requests back (client timeouts; with ``after_accept=True``
the request is handled first, so it counts as delivered although the client gives up).
``garble_next(count)`` handles requests and answers their 2xx with a body that is not JSON.
``outage(seconds)`` goes away and comes back by itself. ``connections_opened`` counts the TCP
connections clients opened (distinct client address and port); ``keepalive_timeout`` is how
long the emulator keeps an idle connection open. The records and fault models are in
tests/teams/connector_faults.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

from tests.teams.connector_faults import (
    ERROR_CODES,
    ConnectorRecords,
    Conversation,
    Fault,
    ReceivedActivity,
    RecordedRequest,
    error_response,
    garbled,
)

T = TypeVar("T")

__all__ = ["ERROR_CODES", "ConnectorEmulator", "ReceivedActivity", "RecordedRequest"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ConnectorEmulator(ConnectorRecords):
    """A Bot Connector on http://127.0.0.1:<port> in a background thread.

    ``token_validator``: when given, each request's Authorization header (or None) is passed
    to it and a False answer means 401 (see openid_issuer.OpenIdIssuer.connector_validator).
    ``members``: conversation id -> list of ChannelAccount dicts for the members routes
    (default for any conversation: ``default_members``).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        token_validator: Callable[[str | None], bool] | None = None,
        strict_updates: bool = True,
        keepalive_timeout: float = 75.0,
    ) -> None:
        super().__init__()
        self.port = port or _free_port()
        self.keepalive_timeout = keepalive_timeout
        self.token_validator = token_validator
        self.strict_updates = strict_updates
        self.members: dict[str, list[dict[str, Any]]] = {}
        self.default_members: list[dict[str, Any]] = [
            {"id": "29:user-1", "name": "User One", "aadObjectId": str(uuid.UUID(int=1))}
        ]
        self._conversations: dict[str, Conversation] = {}
        self._faults: list[Fault] = []
        self._peers: set[tuple[str, int]] = set()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._up = False
        self._pending: set[asyncio.Task[None]] = set()

    # --- lifecycle (call from any thread; each returns within milliseconds) -------------

    @property
    def service_url(self) -> str:
        """The serviceUrl to put into activities (botbuilder appends /v3/...)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def up(self) -> bool:
        """Whether the emulator listens."""
        return self._up

    @property
    def connections_opened(self) -> int:
        """TCP connections clients opened so far (distinct client address and port)."""
        with self._lock:
            return len(self._peers)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("ConnectorEmulator already started")
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="connector-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        self._call(self._open())

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._thread = None
        self._loop = None

    def go_away(self) -> None:
        """Close the listener and every open connection: new requests are refused."""
        self._call(self._close())

    def come_back(self) -> None:
        """Listen again on the same port."""
        self._call(self._open())

    def outage(self, seconds: float) -> None:
        """go_away() now and come_back() after `seconds` (returns at once)."""
        self.go_away()
        loop = self._require_loop()

        def back() -> None:
            self._pending.add(task := loop.create_task(self._open()))
            task.add_done_callback(self._pending.discard)

        loop.call_soon_threadsafe(loop.call_later, seconds, back)

    def __enter__(self) -> ConnectorEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: float | None = None,
        match: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Answer the next `count` requests (matching `match`) with `status`."""
        with self._lock:
            self._faults.append(Fault(count, status, retry_after, match))

    def delay_next(
        self,
        count: int,
        seconds: float,
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
        after_accept: bool = False,
    ) -> None:
        """Hold the next `count` requests back by `seconds`; with `after_accept` they are
        handled (accepted) first and only the answer is late."""
        with self._lock:
            if after_accept:
                self._faults.append(Fault(count, match=match, delay_after=seconds))
            else:
                self._faults.append(Fault(count, match=match, delay=seconds))

    def garble_next(
        self, count: int, *, match: Callable[[RecordedRequest], bool] | None = None
    ) -> None:
        """Handle the next `count` requests but answer a 2xx with a body that is not JSON."""
        with self._lock:
            self._faults.append(Fault(count, match=match, garble=True))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget requests, activities, conversations and faults."""
        with self._lock:
            self.requests.clear()
            self.activities.clear()
            self._conversations.clear()
            self._faults.clear()
            self._peers.clear()

    # --- the server (runs on the emulator's loop) ---------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        app.router.add_get("/v3/conversations/{cid}/members", self._members)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        return app

    async def _open(self) -> None:
        if self._up:
            return
        runner = web.AppRunner(
            self._app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            keepalive_timeout=self.keepalive_timeout,
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        self._up = True

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        self._up = False
        if runner is not None:
            await runner.cleanup()

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        peer = request.transport.get_extra_info("peername") if request.transport else None
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            body=body,
            conversation_id=request.match_info.get("cid"),
            activity_id=request.match_info.get("aid"),
            received_at=time.monotonic(),
            peer=(str(peer[0]), int(peer[1])) if peer else None,
        )
        with self._lock:
            self.requests.append(record)
            if record.peer is not None:
                self._peers.add(record.peer)
            delay = self._take_fault(record, lambda f: f.delay > 0)
            fault = self._take_fault(record, lambda f: f.is_failure)
            late = self._take_fault(record, lambda f: f.delay_after > 0) if not fault else None
            garble = self._take_fault(record, lambda f: f.garble) if not fault else None
        if delay is not None:
            await asyncio.sleep(delay.delay)
        if fault is not None:
            record.fault = True
            record.status = fault.status
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return error_response(fault.status, f"injected {fault.status}", headers)
        if self.token_validator is not None and not self.token_validator(record.authorization):
            record.status = 401
            return error_response(401, "Authorization has been denied for this request.")
        response = await handler(request)
        record.status = response.status
        if late is not None:
            await asyncio.sleep(late.delay_after)
        if garble is not None and 200 <= response.status < 300:
            record.fault = True
            return garbled(response.status)
        return response

    def _take_fault(self, record: RecordedRequest, kind: Callable[[Fault], bool]) -> Fault | None:
        for fault in self._faults:
            if kind(fault) and fault.take(record):
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _new_activity_id(self) -> str:
        # Teams message ids are epoch milliseconds; keep that shape, made unique.
        return f"{int(time.time() * 1000)}{next(self._ids):04d}"

    def _conversation(self, conversation_id: str) -> Conversation:
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            conversation = self._conversations[conversation_id] = Conversation(conversation_id)
        return conversation

    async def _create(self, request: web.Request) -> web.StreamResponse:
        parameters = await request.json()
        if not isinstance(parameters, dict):
            return error_response(400, "ConversationParameters expected")
        channel = ((parameters.get("channelData") or {}).get("channel") or {}).get("id")
        activity = parameters.get("activity")
        answer: dict[str, Any] = {"serviceUrl": self.service_url}
        with self._lock:
            activity_id = self._new_activity_id() if activity else None
            if parameters.get("isGroup") and channel:
                conversation_id = f"{channel};messageid={activity_id or self._new_activity_id()}"
            else:
                conversation_id = f"a:{uuid.uuid4().hex}"
            conversation = self._conversation(conversation_id)
            conversation.parameters = parameters
            if activity_id is not None and isinstance(activity, dict):
                conversation.activity_ids.append(activity_id)
                self.activities.append(
                    ReceivedActivity("create", conversation_id, activity_id, None, activity)
                )
                answer["activityId"] = activity_id
        answer["id"] = conversation_id
        return web.json_response(answer, status=201)

    async def _send(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not isinstance(body, dict):
            return error_response(400, "Activity expected")
        conversation_id = request.match_info["cid"]
        reply_to = request.match_info.get("aid")
        with self._lock:
            activity_id = self._new_activity_id()
            self._conversation(conversation_id).activity_ids.append(activity_id)
            kind = "reply" if reply_to else "send"
            self.activities.append(
                ReceivedActivity(kind, conversation_id, activity_id, reply_to, body)
            )
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not isinstance(body, dict):
            return error_response(400, "Activity expected")
        conversation_id = request.match_info["cid"]
        activity_id = request.match_info["aid"]
        with self._lock:
            known = activity_id in self._conversation(conversation_id).activity_ids
            if self.strict_updates and not known:
                return error_response(404, f"activity {activity_id} not found in {conversation_id}")
            self.activities.append(
                ReceivedActivity("update", conversation_id, activity_id, None, body)
            )
        return web.json_response({"id": activity_id}, status=200)

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        conversation_id = request.match_info["cid"]
        activity_id = request.match_info["aid"]
        with self._lock:
            self.activities.append(
                ReceivedActivity("delete", conversation_id, activity_id, None, {})
            )
        return web.Response(status=200)

    def _members_of(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.members.get(conversation_id, self.default_members)

    async def _members(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._members_of(request.match_info["cid"]))

    async def _paged_members(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"members": self._members_of(request.match_info["cid"])})

    async def _member(self, request: web.Request) -> web.StreamResponse:
        member_id = request.match_info["mid"]
        for member in self._members_of(request.match_info["cid"]):
            if member.get("id") == member_id or member.get("aadObjectId") == member_id:
                return web.json_response(member)
        return error_response(404, f"member {member_id} not found")

    # --- helpers ----------------------------------------------------------------------

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("ConnectorEmulator is not started")
        return self._loop

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the emulator's loop and wait for it (from another thread)."""
        loop = self._require_loop()
        if threading.current_thread() is self._thread:
            raise RuntimeError("ConnectorEmulator control methods cannot run on its own loop")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)
