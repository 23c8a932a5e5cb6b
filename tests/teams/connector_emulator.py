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
``delay_next(count, seconds)`` holds answers back (client timeouts). ``outage(seconds)`` goes
away and comes back by itself.
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
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")

ERROR_CODES: dict[int, str] = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    412: "PreconditionFailed",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class RecordedRequest:
    """One request as the connector saw it, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    conversation_id: str | None
    activity_id: str | None
    received_at: float  # time.monotonic()
    status: int = 0  # 0 until answered
    fault: bool = False  # answered by an injected fault

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    @property
    def kind(self) -> str:
        """create, send, reply, update, delete, members, member, pagedmembers or other."""
        return _kind(self.method, self.path, self.activity_id)


@dataclass
class ReceivedActivity:
    """An accepted send/reply/update/delete (or a create's initial activity)."""

    kind: str  # send, reply, update, delete, create
    conversation_id: str
    activity_id: str  # the id answered (or updated/deleted)
    reply_to_id: str | None  # the {activityId} of a reply
    body: dict[str, Any]

    @property
    def type(self) -> str | None:
        value = self.body.get("type")
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        value = self.body.get("text")
        return None if value is None else str(value)

    @property
    def attachments(self) -> list[dict[str, Any]]:
        attachments: list[dict[str, Any]] = self.body.get("attachments") or []
        return attachments


@dataclass
class _Fault:
    remaining: int
    status: int
    retry_after: float | None
    match: Callable[[RecordedRequest], bool] | None
    delay: float = 0.0  # >0: a delay rule, not a failure


@dataclass
class _Conversation:
    id: str
    activity_ids: list[str] = field(default_factory=list)
    parameters: dict[str, Any] | None = None


def _kind(method: str, path: str, activity_id: str | None) -> str:
    parts = [p for p in path.split("/") if p]
    if method == "POST" and parts == ["v3", "conversations"]:
        return "create"
    if "members" in parts:
        return "member" if parts[-1] != "members" else "members"
    if parts[-1:] == ["pagedmembers"]:
        return "pagedmembers"
    if "activities" in parts:
        if method == "POST":
            return "reply" if activity_id else "send"
        if method == "PUT":
            return "update"
        if method == "DELETE":
            return "delete"
    return "other"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ConnectorEmulator:
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
    ) -> None:
        self.port = port or _free_port()
        self.token_validator = token_validator
        self.strict_updates = strict_updates
        self.requests: list[RecordedRequest] = []
        self.activities: list[ReceivedActivity] = []
        self.members: dict[str, list[dict[str, Any]]] = {}
        self.default_members: list[dict[str, Any]] = [
            {"id": "29:user-1", "name": "User One", "aadObjectId": str(uuid.UUID(int=1))}
        ]
        self._conversations: dict[str, _Conversation] = {}
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
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
        return self._up

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
            self._faults.append(_Fault(count, status, retry_after, match))

    def delay_next(
        self,
        count: int,
        seconds: float,
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        """Hold the answers to the next `count` requests back by `seconds`."""
        with self._lock:
            self._faults.append(_Fault(count, 0, None, match, delay=seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # --- assertions ---------------------------------------------------------------------

    def sent(self, conversation_id: str | None = None) -> list[ReceivedActivity]:
        """Accepted sends and replies (message, typing, ...), optionally in one conversation."""
        with self._lock:
            return [
                a
                for a in self.activities
                if a.kind in ("send", "reply", "create")
                and (conversation_id is None or a.conversation_id == conversation_id)
            ]

    def updates(self, conversation_id: str | None = None) -> list[ReceivedActivity]:
        with self._lock:
            return [
                a
                for a in self.activities
                if a.kind == "update"
                and (conversation_id is None or a.conversation_id == conversation_id)
            ]

    def requests_of(self, kind: str) -> list[RecordedRequest]:
        """Recorded requests of one kind (create, send, reply, update, delete, ...)."""
        with self._lock:
            return [r for r in self.requests if r.kind == kind]

    async def wait_for_activity(
        self,
        predicate: Callable[[ReceivedActivity], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        after: int = 0,
    ) -> ReceivedActivity:
        """The first accepted activity at index >= `after` matching `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [a for a in self.activities[after:] if predicate(a)]
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                with self._lock:
                    seen = [(a.kind, a.conversation_id, a.body) for a in self.activities[after:]]
                raise TimeoutError(f"no matching activity within {timeout} s; got {seen}")
            await asyncio.sleep(0.02)

    async def wait_for_requests(
        self,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        """Wait until `count` answered requests (matching `match`) were recorded."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [r for r in self.requests if r.status and (match is None or match(r))]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(found)}/{count} requests within {timeout} s")
            await asyncio.sleep(0.02)

    def reset(self) -> None:
        """Forget requests, activities, conversations and faults."""
        with self._lock:
            self.requests.clear()
            self.activities.clear()
            self._conversations.clear()
            self._faults.clear()

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
            self._app(), access_log=None, handle_signals=False, shutdown_timeout=0.5
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
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            body=body,
            conversation_id=request.match_info.get("cid"),
            activity_id=request.match_info.get("aid"),
            received_at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(record)
            delay = self._take_fault(record, delays=True)
            fault = self._take_fault(record, delays=False)
        if delay is not None:
            await asyncio.sleep(delay.delay)
        if fault is not None:
            record.fault = True
            record.status = fault.status
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return _error(fault.status, f"injected {fault.status}", headers)
        if self.token_validator is not None and not self.token_validator(record.authorization):
            record.status = 401
            return _error(401, "Authorization has been denied for this request.")
        response = await handler(request)
        record.status = response.status
        return response

    def _take_fault(self, record: RecordedRequest, *, delays: bool) -> _Fault | None:
        for fault in self._faults:
            if bool(fault.delay) != delays:
                continue
            if fault.remaining > 0 and (fault.match is None or fault.match(record)):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _new_activity_id(self) -> str:
        # Teams message ids are epoch milliseconds; keep that shape, made unique.
        return f"{int(time.time() * 1000)}{next(self._ids):04d}"

    def _conversation(self, conversation_id: str) -> _Conversation:
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            conversation = self._conversations[conversation_id] = _Conversation(conversation_id)
        return conversation

    async def _create(self, request: web.Request) -> web.StreamResponse:
        parameters = await request.json()
        if not isinstance(parameters, dict):
            return _error(400, "ConversationParameters expected")
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
            return _error(400, "Activity expected")
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
            return _error(400, "Activity expected")
        conversation_id = request.match_info["cid"]
        activity_id = request.match_info["aid"]
        with self._lock:
            known = activity_id in self._conversation(conversation_id).activity_ids
            if self.strict_updates and not known:
                return _error(404, f"activity {activity_id} not found in {conversation_id}")
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
        return _error(404, f"member {member_id} not found")

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


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    code = ERROR_CODES.get(status, "ServiceError")
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )
