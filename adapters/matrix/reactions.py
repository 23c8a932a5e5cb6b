"""Choice reactions that stop being added once the requester has answered.

A question's reactions (1️⃣, 2️⃣, ... or ✋) are one event each, sent after the notice inside
the outbox's `send`: eight to ten round trips to the homeserver per question, during which
every later notice waits (the benchmark's biggest cost). When the requester answers in that
DM before they are all there, the missing ones are stale (the dialog has moved on), so the
inbox worker calls `answered` and `send` returns at once instead of adding them. An answer
handled before the reactions even started counts too (`mark` is taken before the notice goes
out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class ReactionTasks:
    """The reactions being added, per room, cut short by an answer in that room."""

    def __init__(self) -> None:
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}
        self._answers: dict[str, int] = {}  # room id -> answers seen there

    @property
    def running(self) -> int:
        """How many messages are getting their reactions right now."""
        return sum(len(tasks) for tasks in self._tasks.values())

    def mark(self, room_id: str) -> int:
        """Take before posting a question; pass to `add`."""
        return self._answers.get(room_id, 0)

    async def add(self, room_id: str, mark: int, work: Coroutine[Any, Any, None]) -> bool:
        """Run `work` (adding one message's reactions) until it is done or the requester
        answers in `room_id`; True when it ran to the end. Nothing runs when an answer came
        since `mark`."""
        if self._answers.get(room_id, 0) != mark:
            work.close()
            return False
        task = asyncio.create_task(work, name=f"matrix-reactions {room_id}")
        tasks = self._tasks.setdefault(room_id, set())
        tasks.add(task)
        try:
            await asyncio.wait({task})  # returns on cancellation by `answered` without raising
        except asyncio.CancelledError:  # the sender itself is cancelled: take the task along
            task.cancel()
            raise
        finally:
            tasks.discard(task)
            if not tasks and self._tasks.get(room_id) is tasks:
                del self._tasks[room_id]
        if task.cancelled():
            return False
        error = task.exception()
        if error is not None:
            log.warning("adding reactions in %s failed: %r", room_id, error)
            return False
        return True

    def answered(self, room_id: str) -> int:
        """The requester wrote in `room_id`: stop adding reactions there; how many messages'
        reactions were cut short."""
        self._answers[room_id] = self._answers.get(room_id, 0) + 1
        tasks = self._tasks.pop(room_id, set())
        for task in tasks:
            task.cancel()
        return len(tasks)

    async def cancel_all(self) -> None:
        """Stop every task still running (at shutdown, after the sender has finished)."""
        tasks = [task for tasks in self._tasks.values() for task in tasks]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
