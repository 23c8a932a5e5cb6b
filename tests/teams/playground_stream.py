"""The playground's event stream (see tests/teams/playground.py): the websocket listener that
appends every JSON frame to ``events`` as a ``StreamEvent``, and the waits on those events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import aiohttp

from tests.teams.playground_model import Predicate, StreamEvent
from tests.teams.playground_process import PlaygroundProcess


class PlaygroundStream(PlaygroundProcess):
    """The stream part of ``Playground``: the listener and the waits on its events.

    The attributes are set by ``Playground.__init__``.
    """

    events: list[StreamEvent]
    _session: aiohttp.ClientSession | None
    _ws: aiohttp.ClientWebSocketResponse | None
    _listener: asyncio.Task[None] | None
    _changed: asyncio.Condition | None
    _stream_error: BaseException | None

    # --- the stream -------------------------------------------------------------------

    def mark(self) -> int:
        """The current length of ``events``: pass it as ``after=`` to ignore older ones."""
        return len(self.events)

    async def wait_for(
        self,
        predicate: Predicate,
        timeout: float = 10.0,  # noqa: ASYNC109 (a deadline per call is the point)
        *,
        after: int = 0,
    ) -> StreamEvent:
        """The first stream event at index >= `after` matching `predicate` (waits for it).

        Raises PlaygroundError on timeout (listing the events seen) or when the stream or
        the process died.
        """
        found = await self.collect(predicate, 1, timeout, after=after)
        return found[0]

    async def collect(
        self,
        predicate: Predicate,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        after: int = 0,
    ) -> list[StreamEvent]:
        """The first `count` matching events at index >= `after` (waits for them)."""
        changed = self._condition()
        deadline = time.monotonic() + timeout
        async with changed:
            while True:
                matches = [e for e in self.events[after:] if predicate(e)]
                if len(matches) >= count:
                    return matches[:count]
                if self._stream_error is not None or not self.running:
                    self._fail(
                        f"the event stream ended ({self._stream_error!r}); "
                        f"{len(matches)}/{count} matching events. {self._describe(after)}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._fail(
                        f"timed out after {timeout} s with {len(matches)}/{count} matching "
                        f"events. {self._describe(after)}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), min(remaining, 0.5))

    async def expect_none(
        self, predicate: Predicate, within: float = 1.0, *, after: int = 0
    ) -> None:
        """Assert that no event at index >= `after` matches during `within` seconds."""
        await asyncio.sleep(within)
        matches = [e for e in self.events[after:] if predicate(e)]
        if matches:
            raise AssertionError(f"unexpected stream events: {[m.raw for m in matches]}")

    def messages(self, conversation_id: str | None = None, *, after: int = 0) -> list[StreamEvent]:
        """createMessage events (optionally in one conversation) from index `after` on."""
        return [
            e
            for e in self.events[after:]
            if e.is_create and (conversation_id is None or e.conversation_id == conversation_id)
        ]

    # --- internals ----------------------------------------------------------------------

    async def _connect_stream(self) -> None:
        assert self._session is not None
        self._changed = asyncio.Condition()
        self._stream_error = None
        self._ws = await self._session.ws_connect(
            f"ws://127.0.0.1:{self.port}/_ws_conversation/v1/conversations/stream",
            timeout=aiohttp.ClientWSTimeout(ws_close=2),
            heartbeat=None,
        )
        self._listener = asyncio.create_task(self._listen(self._ws), name="playground-stream")

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        changed = self._condition()
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                event = StreamEvent(json.loads(frame.data), len(self.events), time.monotonic())
                async with changed:
                    self.events.append(event)
                    changed.notify_all()
            self._stream_error = ConnectionError("the playground closed the event stream")
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self._stream_error = error
        async with changed:
            changed.notify_all()

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            raise RuntimeError("Playground is not started")
        return self._changed

    def _describe(self, after: int) -> str:
        seen = [e.raw for e in self.events[after:]][-10:]
        return f"Last events: {json.dumps(seen)[:2000]}"
