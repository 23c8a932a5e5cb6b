"""Encrypted events the bot cannot read yet: kept, their keys asked for, read when they come.

An m.room.encrypted event arrives before its room key more often than one would think (the
sender's client shares the key by to-device message, which can lag; a new bot device is not
known to the sender yet). Dropping such an event would lose the message, since the sync
token moves on. So it is kept in a small list, written with the sync token in the same
transaction (platform_state key "undecrypted"), and the key is requested (nio's
request_room_key: an m.room_key_request to the bot's own devices; nio accepts forwarded keys
only from those, so the usual rescue is the sender's late m.room_key). After each sync
(which brings m.room_key and m.forwarded_room_key to-device events to nio's key store),
decryption is tried again; a message read then goes into the inbox as if it had just
arrived, after the messages that came meanwhile. One that is still
unreadable after `give_up_after` (10 minutes) is answered in its room: the sender is asked
politely to send it again (catalogue key error.undecryptable), and it is dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nio import AsyncClient, EncryptionError, Event, LocalProtocolError, MegolmEvent
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.matrix.sender_notice import tell_sender
from bot.kernel.notices import Target

log = logging.getLogger(__name__)
STATE_KEY = "undecrypted"
GIVE_UP_AFTER = timedelta(minutes=10)
MAX_WAITING = 500  # beyond this, the oldest are given up at once (and answered)


@dataclass(frozen=True)
class Waiting:
    """One encrypted event waiting for its key."""

    event_id: str
    room_id: str
    sender: str
    source: dict[str, Any]  # the event as the homeserver sent it
    seen_at: datetime

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, for the stored list."""
        return {
            "event_id": self.event_id,
            "room_id": self.room_id,
            "sender": self.sender,
            "source": self.source,
            "seen_at": self.seen_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Waiting:
        """The inverse of to_json."""
        return cls(
            event_id=str(data["event_id"]),
            room_id=str(data["room_id"]),
            sender=str(data["sender"]),
            source=dict(data["source"]),
            seen_at=datetime.fromisoformat(str(data["seen_at"])),
        )

    def event(self) -> MegolmEvent:
        """The encrypted event again, ready for nio to decrypt."""
        event = MegolmEvent.from_dict(self.source)
        if not isinstance(event, MegolmEvent):
            raise EncryptionError(f"{self.event_id} is not a megolm event: {event}")
        event.room_id = self.room_id
        return event


@dataclass
class Round:
    """What one retry found: events now readable, and events given up."""

    decrypted: list[tuple[Waiting, Event]] = field(default_factory=list)
    expired: list[Waiting] = field(default_factory=list)

    @property
    def done(self) -> list[str]:
        """The event ids that leave the list once this round is committed."""
        return [w.event_id for w, _ in self.decrypted] + [w.event_id for w in self.expired]


class UndecryptedEvents:
    """The waiting list; the sync loop stores it and commits each retry round."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        give_up_after: timedelta = GIVE_UP_AFTER,
        limit: int = MAX_WAITING,
    ) -> None:
        self.client = client
        self.give_up_after = give_up_after
        self.limit = limit
        self.changed = False  # the list differs from what is stored
        self._waiting: dict[str, Waiting] = {}
        self._requested: set[str] = set()  # event ids whose key was asked for

    def __len__(self) -> int:
        return len(self._waiting)

    def load(self, stored: str | None) -> None:
        """Take the list as stored (at start)."""
        for data in json.loads(stored) if stored else []:
            waiting = Waiting.from_json(data)
            self._waiting[waiting.event_id] = waiting

    def dump(self, without: Iterable[str] = ()) -> str:
        """The list as stored (`without` these event ids)."""
        skip = set(without)
        return json.dumps(
            [waiting.to_json() for key, waiting in self._waiting.items() if key not in skip]
        )

    def add(self, room_id: str, event: MegolmEvent, now: datetime) -> None:
        """Keep an event nio could not decrypt (seen again: nothing changes)."""
        if event.event_id in self._waiting:
            return
        log.warning(
            "cannot decrypt %s from %s in %s yet (session %s): waiting for its key",
            event.event_id,
            event.sender,
            room_id,
            event.session_id,
        )
        self._waiting[event.event_id] = Waiting(
            event.event_id, room_id, event.sender, dict(event.source), now
        )
        self.changed = True

    async def request_keys(self) -> None:
        """Ask for the keys not asked for yet (once per session: nio refuses a second)."""
        for waiting in list(self._waiting.values()):
            if waiting.event_id in self._requested:
                continue
            self._requested.add(waiting.event_id)
            try:
                answer = await self.client.request_room_key(waiting.event())
            except LocalProtocolError:  # asked already, for another event of that session
                continue
            except Exception as error:  # the key may still come unasked; the timeout answers
                log.warning("requesting the key of %s failed: %s", waiting.event_id, error)
                continue
            log.info("requested the key of %s: %s", waiting.event_id, answer)

    def retry(self, now: datetime, *, keys_arrived: bool) -> Round:
        """Try to decrypt the waiting events (all of them when keys arrived, else only those
        about to be given up: a failed attempt costs nio a warning in the log); give up
        those waiting too long (or the oldest beyond the limit). Nothing leaves the list
        before `drop`."""
        found = Round()
        overflow = len(self._waiting) - self.limit
        for index, waiting in enumerate(self._waiting.values()):
            due = index < overflow or now - waiting.seen_at >= self.give_up_after
            if not (keys_arrived or due):
                continue
            try:
                found.decrypted.append((waiting, self.client.decrypt_event(waiting.event())))
                continue
            except (EncryptionError, ValueError, KeyError, AssertionError):
                pass
            if due:
                found.expired.append(waiting)
        return found

    def drop(self, event_ids: Iterable[str]) -> None:
        """Forget these events (their round is committed)."""
        for event_id in event_ids:
            self._waiting.pop(event_id, None)
            self._requested.discard(event_id)


async def enqueue_unreadable(
    session: AsyncSession, waiting: Waiting, target: Target, *, at: datetime
) -> None:
    """Ask the sender, in the outbox, to send the message again (in their language)."""
    await tell_sender(
        session,
        sender=waiting.sender,
        target=target,
        key="error.undecryptable",
        dedupe_key=f"matrix-undecryptable:{waiting.event_id}",
        at=at,
    )
