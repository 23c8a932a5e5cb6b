"""Choice reactions, added a moment after the question and not at all once it is answered.

A question's reactions (1️⃣, 2️⃣, ... or ✋) are one event each: eight to ten more events for
the homeserver per question. They are decoration (the numbered list in the text always
works), so they never hold up the outbox: they are added in the background, after a grace
period (`delay`, a second by default: less than anyone needs to read a question). When the
requester answers in that DM first, by typing or tapping an earlier reaction, the dialog has
moved on and the reactions are stale: the inbox worker calls `answered`, and what is still
waiting or running is cancelled, so a fast typist costs the homeserver one event per answer,
not ten. An answer handled before the reactions were even scheduled counts too (`mark` is
taken before the notice goes out). A graceful stop adds what still waits at once (for a few
seconds at most); a crash loses them, and the question stays answerable by typing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
DEFAULT_DELAY = 1.0  # seconds
FINISH_TIMEOUT = 5.0  # seconds a stop waits for the reactions still to be added


class ReactionTasks:
    """The reactions waiting or being added, per room, cut short by an answer in that room."""

    def __init__(self, delay: float = DEFAULT_DELAY) -> None:
        self.delay = delay
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}
        self._answers: dict[str, int] = {}  # room id -> answers seen there
        self._hurry = asyncio.Event()  # set by a stop: no more waiting

    @property
    def running(self) -> int:
        """How many messages' reactions are waiting or being added right now."""
        return sum(len(tasks) for tasks in self._tasks.values())

    def mark(self, room_id: str) -> int:
        """Take before posting a question; pass to `schedule`."""
        return self._answers.get(room_id, 0)

    def schedule(self, room_id: str, mark: int, add: Callable[[], Awaitable[None]]) -> bool:
        """Run `add` (adding one message's reactions) after the grace period, in the
        background, unless the requester answers in `room_id` first. False (nothing
        scheduled) when an answer came since `mark`."""
        if self._answers.get(room_id, 0) != mark:
            return False

        async def later() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), self.delay)
            await add()

        task = asyncio.create_task(later(), name=f"matrix-reactions {room_id}")
        self._tasks.setdefault(room_id, set()).add(task)
        task.add_done_callback(lambda done: self._finished(room_id, done))
        return True

    def _finished(self, room_id: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.get(room_id)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._tasks[room_id]
        if not task.cancelled() and task.exception() is not None:
            log.warning("adding reactions in %s failed: %r", room_id, task.exception())

    def answered(self, room_id: str) -> int:
        """The requester wrote in `room_id`: stop adding reactions there; how many messages'
        reactions were cut short."""
        self._answers[room_id] = self._answers.get(room_id, 0) + 1
        tasks = self._tasks.pop(room_id, set())
        for task in tasks:
            task.cancel()
        return len(tasks)

    async def finish(self, timeout: float = FINISH_TIMEOUT) -> None:  # noqa: ASYNC109
        """At a stop: add what still waits now, give it `timeout` seconds, cancel the rest."""
        self._hurry.set()
        tasks = [task for tasks in self._tasks.values() for task in tasks]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._hurry.clear()  # a restarted adapter waits again
