"""Backfills put off: gaps in one room's timeline fetched after later syncs.

A `limited` timeline is paginated back to the last sync token before the sync is stored
(sync.py). A page that fails for now (429, 5xx) fails the whole sync, which is retried
from the same token, so nothing is skipped. But if the same room's backfill fails in
FAILED_SYNCS syncs in a row, the bot would stay deaf to every room for as long as that one
room fails. Then the gap (the room, the timeline's prev_batch and the old token) is put
off: the rest of the sync is stored, and the gap is kept in a small list, written with the
sync token in the same transaction (platform_state key "backfill_gaps"), and fetched again
after each later sync; its events go into the inbox then, after newer ones of that room.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

STATE_KEY = "backfill_gaps"
FAILED_SYNCS = 3  # syncs in a row failed by one room's backfill before its gap is put off


@dataclass(frozen=True)
class Gap:
    """Events of a room between `end` (the older sync token) and `start` (a prev_batch)."""

    room_id: str
    start: str
    end: str


class BackfillGaps:
    """Failures of each room's backfill in a row, and the gaps put off."""

    def __init__(self) -> None:
        self.gaps: list[Gap] = []
        self.changed = False  # the list differs from the one stored
        self._failures: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.gaps)

    def load(self, value: str | None) -> None:
        """The stored list (at start)."""
        self.gaps = [Gap(**item) for item in json.loads(value)] if value else []
        self.changed = False

    def dump(self, without: Iterable[Gap] = ()) -> str:
        """The list to store, leaving out `without` (gaps fetched just now)."""
        skip = set(without)
        return json.dumps([asdict(gap) for gap in self.gaps if gap not in skip])

    def failed(self, room_id: str) -> int:
        """A sync failed by this room's backfill: how many in a row now."""
        self._failures[room_id] = self._failures.get(room_id, 0) + 1
        return self._failures[room_id]

    def succeeded(self, room_id: str) -> None:
        """This room's backfill worked: its count starts again."""
        self._failures.pop(room_id, None)

    def put_off(self, gap: Gap) -> None:
        """Keep the gap for later (once, however often the sync is retried)."""
        self._failures.pop(gap.room_id, None)
        if gap not in self.gaps:
            self.gaps.append(gap)
            self.changed = True

    def drop(self, gap: Gap) -> None:
        """The gap is fetched and stored (the stored list is written already)."""
        if gap in self.gaps:
            self.gaps.remove(gap)
