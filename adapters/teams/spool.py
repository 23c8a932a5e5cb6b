"""Activities that arrived while the database was away, kept on disk until they are handled.

Teams sends each message once: an answer of 5xx is not reliably retried, so a message that
reaches the bot while the database is away would be lost. Instead the activity as received
is written to this spool (one file each, written whole and renamed, so a crash leaves either
the complete file or none), the request is acknowledged, and the adapter runs the kept
activities in arrival order once the database is back. While anything waits here, newer
activities queue behind it, so a person's messages are answered in the order they wrote them.

The files hold message texts: they are readable by the bot's user only and deleted as soon as
their turn is stored. Each instance has its own spool (in its data directory), replayed by
that instance, at the latest when it starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from storage.outage import is_unavailable

log = logging.getLogger(__name__)
SUFFIX = ".activity.json"
RETRY_SECONDS = 1.0  # while activities wait: how soon the database's return is noticed
Turn = Callable[[dict[str, Any]], Awaitable[None]]


class Spool:
    """A directory of waiting activities, oldest first by name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._sequence = itertools.count()

    def keep(self, activity: dict[str, Any]) -> Path:
        """Write one activity durably; raises OSError when the disk cannot take it."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._sequence):06d}"
        final = self.directory / f"{name}{SUFFIX}"
        partial = self.directory / f".{name}.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, json.dumps(activity).encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        partial.rename(final)
        return final

    def waiting(self) -> list[Path]:
        """The kept activities, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"*{SUFFIX}"))

    def __bool__(self) -> bool:
        return bool(self.waiting())

    @staticmethod
    def load(path: Path) -> dict[str, Any] | None:
        """The activity in `path`; None for a file that is not one (it is dropped)."""
        try:
            value = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    @staticmethod
    def forget(path: Path) -> None:
        path.unlink(missing_ok=True)


class KeptActivities:
    """The spool, the rule that newer activities queue behind kept ones, and the replay.

    `waiting` is checked on every request, so it is a flag kept in memory, set when an
    activity is kept and cleared when the spool is found empty. Checking it and keeping an
    activity happen without a pause in between, as do finding the spool empty and clearing
    it, so no activity can slip past one that waits."""

    def __init__(self, spool: Spool, turn: Turn) -> None:
        self.spool = spool
        self.turn = turn
        self.waiting = bool(spool.waiting())  # kept by an earlier run of this instance
        self._wake = asyncio.Event()
        self._replaying = asyncio.Lock()

    def keep(self, activity: dict[str, Any]) -> None:
        """Keep `activity` for later; raises OSError when the disk cannot take it."""
        self.spool.keep(activity)
        self.waiting = True
        self._wake.set()

    async def replay(self) -> int:
        """Run the kept activities in order until none is left or the database is away
        again; returns how many were run. One that fails for any other reason is dropped
        with an error (the engine has apologised to its sender where it could)."""
        done = 0
        async with self._replaying:
            while True:
                waiting = self.spool.waiting()
                if not waiting:
                    self.waiting = False
                    if done:
                        log.warning("answered %d Teams activities kept while away", done)
                    return done
                for path in waiting:
                    activity = self.spool.load(path)
                    if activity is not None:
                        try:
                            await self.turn(activity)
                        except Exception as error:
                            if is_unavailable(error):
                                return done
                            log.exception("a kept Teams activity failed; it is dropped")
                    self.spool.forget(path)
                    done += 1

    async def run(self) -> None:
        """Replay what an earlier run kept, then whenever something is kept, and every
        second while anything waits. The loop outlives any failure of a round (the spool
        directory unreadable for a moment): a dead replayer would leave the spool unread."""
        while True:
            try:
                await self.replay()
            except Exception:
                log.exception("replaying the Teams spool failed; trying again")
                self.waiting = True
            if self.waiting:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=RETRY_SECONDS)
            else:
                await self._wake.wait()
            self._wake.clear()
