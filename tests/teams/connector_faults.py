"""What the connector emulator records and the faults it can be scripted with.

``sockets_to(port, state)`` counts this process's TCP sockets to the emulator in a state
(CLOSE_WAIT: the emulator hung up and the client never closed its end).

``RecordedRequest``: one request as the emulator saw it and what it answered.
``ReceivedActivity``: an accepted send, reply, update, delete (or a create's first activity).
``Fault``: a scripted answer for the next matching requests: an error status, a delay before
or after the request is handled, or a garbled (non-JSON) body on an accepted request.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

TCP_ESTABLISHED = "01"
TCP_CLOSE_WAIT = "08"

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
    peer: tuple[str, int] | None = None  # the client's address and port (one TCP connection)

    @property
    def authorization(self) -> str | None:
        """The Authorization header as sent (None without one)."""
        return self.headers.get("Authorization")

    @property
    def kind(self) -> str:
        """create, send, reply, update, delete, members, member, pagedmembers or other."""
        return request_kind(self.method, self.path, self.activity_id)


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
        """The activity's type (message, typing, ...)."""
        value = self.body.get("type")
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        """The activity's text, if any."""
        value = self.body.get("text")
        return None if value is None else str(value)

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The activity's attachments (cards), possibly empty."""
        attachments: list[dict[str, Any]] = self.body.get("attachments") or []
        return attachments


@dataclass
class Fault:
    """A scripted answer for the next `remaining` requests that `match` (None: any).

    Exactly one kind: ``status`` (answer this error instead of handling the request),
    ``delay`` (hold the request back before handling it), ``delay_after`` (handle it, so it
    IS accepted, then hold the answer back) or ``garble`` (handle it, then answer its status
    with a body that is not JSON).
    """

    remaining: int
    status: int = 0
    retry_after: float | None = None
    match: Callable[[RecordedRequest], bool] | None = None
    delay: float = 0.0
    delay_after: float = 0.0
    garble: bool = False

    @property
    def is_failure(self) -> bool:
        """An error answer instead of handling the request."""
        return self.status != 0

    def take(self, record: RecordedRequest) -> bool:
        """Whether this fault applies to `record` (and count it)."""
        if self.remaining <= 0 or (self.match is not None and not self.match(record)):
            return False
        self.remaining -= 1
        return True


@dataclass
class Conversation:
    """A conversation the emulator knows: the activity ids it handed out in it."""

    id: str
    activity_ids: list[str] = field(default_factory=list)
    parameters: dict[str, Any] | None = None


def request_kind(method: str, path: str, activity_id: str | None) -> str:
    """The connector operation a request is (create, send, reply, update, ...)."""
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


def sockets_to(port: int, state: str) -> int:
    """This process's TCP sockets whose REMOTE port is `port`, in `state` (TCP_CLOSE_WAIT,
    ...), from /proc/net/tcp[6] and the socket inodes of /proc/self/fd (Linux)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote, st, inode = fields[2], fields[3], fields[9]
            if st == state and int(remote.rsplit(":", 1)[1], 16) == port and inode in inodes:
                count += 1
    return count


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A Bot Framework ErrorResponse: ``{"error": {"code", "message"}}``."""
    code = ERROR_CODES.get(status, "ServiceError")
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


def garbled(status: int) -> web.Response:
    """An answer with `status` whose body is not JSON (a proxy's HTML page, say)."""
    return web.Response(status=status, text="<html>OK</html>", content_type="text/html")


class ConnectorRecords:
    """What the emulator recorded, and the queries and waits tests assert with (thread-safe:
    the emulator appends on its own thread under ``_lock``)."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.activities: list[ReceivedActivity] = []
        self._lock = threading.Lock()

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
