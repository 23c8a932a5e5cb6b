"""A test harness around the engine: users type, the outbox is read per target."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.engine import Engine
from bot.kernel.actions import without_prompt
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, Notice
from storage.models import OutboxRow, TicketEventRow, TicketRow
from storage.repositories import outbox

_event_ids = itertools.count(1)


class Harness:
    """Drives an Engine as local-chat users and reads what the outbox holds for each target."""

    def __init__(
        self, config: OrgConfig, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.engine = Engine(config, sessions, clock)
        self._seen: dict[tuple[str, str], int] = {}
        self.names: dict[str, str] = {}  # display names the platform reports, per user

    async def say(
        self,
        user: str,
        text: str = "",
        *,
        action_id: str | None = None,
        channel: str | None = None,
        event_id: str | None = None,
        locale: str = "de",
        platform: str = "local",
        edits: str | None = None,
        redacts: str | None = None,
    ) -> list[Notice]:
        """`user` types `text` (in their DM, or in a team channel); returns the new DM notices.
        With `edits` the message is an edit of that event (`text` its new text), with
        `redacts` the deletion of that event."""
        inbound = Inbound(
            platform=platform,
            conversation_id=f"channel:{channel}" if channel else f"user:{user}",
            user_id=user,
            event_id=event_id or f"ev{next(_event_ids)}",
            text=text,
            action_id=action_id,
            locale=locale,
            is_direct=channel is None,
            channel_id=channel,
            edits=edits,
            redacts=redacts,
            display_name=self.names.get(user),
        )
        await self.engine.handle(inbound)
        return await self.dm(user)

    async def dm(self, user: str) -> list[Notice]:
        """New notices addressed to a user's DM since the last look."""
        return await self._new("user", user)

    async def channel(self, team_channel: str) -> list[Notice]:
        """New notices posted into a team channel since the last look."""
        return await self._new("channel", team_channel)

    async def _new(self, kind: str, address: str) -> list[Notice]:
        after = self._seen.get((kind, address), 0)
        async with self.sessions() as session:
            rows: Sequence[OutboxRow] = (
                await session.scalars(
                    select(OutboxRow)
                    .where(
                        OutboxRow.target_kind == kind,
                        OutboxRow.target_address == address,
                        OutboxRow.id > after,
                        OutboxRow.status != outbox.BUNDLED,  # shown as its bundle
                    )
                    .order_by(OutboxRow.id)
                )
            ).all()
        if rows:
            self._seen[(kind, address)] = rows[-1].id
        return [Notice.from_json(row.payload) for row in rows]

    async def ticket(self, ticket_id: int) -> TicketRow:
        """The stored ticket."""
        async with self.sessions() as session:
            row = await session.get(TicketRow, ticket_id)
            assert row is not None
            return row

    async def events(self, ticket_id: int) -> list[TicketEventRow]:
        """The ticket's audit trail."""
        async with self.sessions() as session:
            query = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id)
            return list((await session.scalars(query.order_by(TicketEventRow.id))).all())

    async def file_request(
        self,
        user: str,
        *,
        topic: str,
        text: str = "Bitte um Hilfe beim Beleg",
        group: str = "1",
        event_id: str | None = None,
        reference: str = "-",
    ) -> int:
        """Walk the whole intake (declining first-level answers); returns the ticket number.
        `event_id`: the description message's id."""
        notices = await self.say(user, "Hallo")
        if any(c.id.startswith("group:") for n in notices for c in n.choices[:1]):
            await self.say(user, group)
        parent = self.config.topic(topic).parent
        notices = await self.say(user, action_id=f"topic:{parent or topic}")
        for _ in range(3):  # sub-topic menu, FAQ menu, "did it help?"
            offered = notices[-1:]
            for wanted in (f"topic:{topic}", "answer:none", "confirm:no"):
                if (pressed := button(offered, wanted)) is not None:
                    notices = await self.say(user, action_id=pressed)
                    break
        await self.say(user, text, event_id=event_id)
        kind = self.config.topic(topic).kind
        if kind == "request":
            await self.say(user, reference)
        elif kind == "complaint":
            await self.say(user, action_id="confirm:no")  # not anonymous
        answer = await self.say(user, "ja")
        ids = [n.ticket_id for n in answer if n.ticket_id is not None]
        assert ids, f"no ticket created: {[n.text for n in answer]}"
        return ids[-1]


def plain_ids(notices: Sequence[Notice]) -> list[str]:
    """The buttons offered, as their dialog knows them (without the prompt id they carry)."""
    return [without_prompt(choice.id) for notice in notices for choice in notice.choices]


def button(notices: Sequence[Notice], plain: str) -> str | None:
    """The payload of the offered button that is `plain` once its prompt id is set aside:
    what a client sends when the user presses it."""
    return next((c.id for n in notices for c in n.choices if without_prompt(c.id) == plain), None)


def texts(notices: list[Notice]) -> str:
    """All text of some notices (title, text, facts, choice labels, table lines), for `in`
    assertions."""
    return "\n".join(
        " ".join(
            [
                n.title or "",
                n.text,
                *(f"{f.label}: {f.value}" for f in n.facts),
                *(c.label for c in n.choices),
                *(f"\n{line}" for table in n.tables for line in table.lines()),
            ]
        )
        for n in notices
    )
