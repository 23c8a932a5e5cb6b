"""Per-key lanes: work on one key (a recipient) in the order it was queued, in one process."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable


class Lanes:
    """Whoever `enter`s a key's lane waits for those that entered it before; `enter` is
    synchronous, so the order is the order of the calls (an after-commit hook's included)."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    def enter(self, keys: Iterable[Hashable]) -> Place:
        """Queue up in the lanes of `keys` (needs a running event loop)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        keys = list(keys)
        earlier = [self._tails[key] for key in keys if key in self._tails]
        for key in keys:
            self._tails[key] = done
        return Place(self, keys, earlier, done)

    def _leave(self, place: Place) -> None:
        if not place.done.done():
            place.done.set_result(None)
        for key in place.keys:
            if self._tails.get(key) is place.done:
                del self._tails[key]


class Place:
    """One place in the lanes: `turn()` waits for the earlier ones, `leave()` lets the
    next go (idempotent)."""

    def __init__(
        self,
        lanes: Lanes,
        keys: list[Hashable],
        earlier: list[asyncio.Future[None]],
        done: asyncio.Future[None],
    ) -> None:
        self.lanes, self.keys, self.earlier, self.done = lanes, keys, earlier, done

    async def turn(self) -> None:
        if self.earlier:
            await asyncio.wait(self.earlier)

    def leave(self) -> None:
        self.lanes._leave(self)
