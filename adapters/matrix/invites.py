"""Invites: the bot joins rooms it is invited to by users of allowed homeservers.

A join that fails for now (429, 5xx) does not fail the sync (the bot would be deaf to
every room while one join fails): the room is kept in a list in memory and joined again
after each later sync; the FAILED_SYNCS-th failure in a row is logged as an error. After a
restart the first sync (full state) lists pending invites again.

A DM invite the bot joined is reported to the core (`take_joined`, stored in the inbox with
the sync's events): the core greets the person, once per room.
"""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, InviteMemberEvent, JoinResponse, SyncResponse

from adapters.matrix.errors import transient
from adapters.matrix.gaps import FAILED_SYNCS
from adapters.matrix.parse import joined_direct
from adapters.matrix.rooms import RoomDirectory

log = logging.getLogger(__name__)


class Invites:
    """Accepts or declines the invites of a sync; joins again what failed for now."""

    def __init__(
        self, client: AsyncClient, rooms: RoomDirectory, allowed_homeservers: tuple[str, ...]
    ) -> None:
        self.client = client
        self.rooms = rooms
        self.allowed_homeservers = allowed_homeservers
        # room id -> (inviter, flagged is_direct, failures in a row)
        self.pending: dict[str, tuple[str, bool, int]] = {}
        self._joined: list[dict[str, Any]] = []  # inbox payloads of DMs joined, not yet stored

    def take_joined(self) -> list[dict[str, Any]]:
        """The DMs joined since the last call, as inbox payloads (the welcome's)."""
        joined, self._joined = self._joined, []
        return joined

    async def accept(self, response: SyncResponse) -> None:
        """Join rooms we are invited to by users of allowed homeservers; decline the rest."""
        for room_id, invited in response.rooms.invite.items():
            invite = next(
                (
                    event
                    for event in invited.invite_state
                    if isinstance(event, InviteMemberEvent)
                    and event.state_key == self.client.user_id
                    and event.membership == "invite"
                ),
                None,
            )
            inviter = invite.sender if invite is not None else None
            server = inviter.split(":", 1)[1] if inviter and ":" in inviter else ""
            if server not in self.allowed_homeservers:
                log.info("declining invite to %s from %s", room_id, inviter)
                await self.client.room_leave(room_id)
                continue
            direct = invite is not None and invite.content.get("is_direct") is True
            await self._join(room_id, inviter or "", direct, failures=0)

    async def retry(self) -> None:
        """Join again the rooms whose join failed for now."""
        for room_id, (inviter, direct, failures) in list(self.pending.items()):
            await self._join(room_id, inviter, direct, failures=failures)

    async def _join(self, room_id: str, inviter: str, direct: bool, *, failures: int) -> None:
        """Join an invited room. Failing for now (429, 5xx): kept in `pending`, tried again
        after the next syncs (the rest of the sync is stored meanwhile); an error is logged
        the FAILED_SYNCS-th time in a row. Refused for good: logged, and dropped."""
        answer = await self.client.join(room_id)
        if isinstance(answer, JoinResponse):
            self.pending.pop(room_id, None)
            if direct and inviter:
                await self.rooms.accepted_direct(inviter, room_id)
                self._joined.append(joined_direct(room_id, inviter))
            return
        if not transient(answer):
            self.pending.pop(room_id, None)
            log.warning("cannot join %s (invited by %s): %s", room_id, inviter, answer)
            return
        failures += 1
        self.pending[room_id] = (inviter, direct, failures)
        level = logging.ERROR if failures == FAILED_SYNCS else logging.WARNING
        log.log(
            level,
            "joining %s (invited by %s) failed %d times in a row (%s); tried again after the "
            "next sync",
            room_id,
            inviter,
            failures,
            answer,
        )
