"""The sweep's handover step: when an absence starts, the person's claimed tickets go back.

Run by the deadline sweep (bot/escalation/sweep.py) before it looks at deadlines, so it
happens at the absence's start also when the absence was entered weeks ahead. Each
absence is taken with a compare-and-set on `handed_over_at` in the same transaction that
releases its tickets: exactly once, with any number of bot instances. The requester is not
bothered (their ticket is still being worked on by the team); the team's card says why the
ticket is back ("zurück in der Warteschlange: X ist abwesend bis ...").
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.audience import internal
from bot.domain.lifecycle import Action, TicketStatus
from bot.escalation.actions import SWEEP_ACTOR
from bot.i18n import t
from bot.i18n.formatting import format_day
from bot.kernel.markup import literal
from bot.people.wording import last_day
from bot.service.actors import display_name
from bot.service.ticket_base import TicketServiceBase
from storage.models import AbsenceRow, TicketRow
from storage.repositories import absences as repo

log = logging.getLogger(__name__)


class Handover(TicketServiceBase):
    """Releases the claimed tickets of people whose absence has begun."""

    async def run(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: datetime,
        due: list[int] | None = None,
    ) -> int:
        """Hand over every absence that has started (`due`: their ids, when the caller has
        read them already); returns the tickets released."""
        if due is None:
            async with sessions() as session:
                due = await repo.handover_due(session, now=now)
        released = 0
        for absence_id in due:
            try:
                async with sessions() as session, session.begin():
                    released += await self._one(session, absence_id, now)
            except Exception:  # one broken ticket must not stop the sweep's deadlines
                log.exception("handover of absence %s failed; retrying next sweep", absence_id)
        return released

    async def _one(self, session: AsyncSession, absence_id: int, now: datetime) -> int:
        absence = await repo.take_handover(session, absence_id=absence_id, now=now)
        if absence is None or absence.ends_at <= now:
            return 0  # another instance did it, or the absence is already over
        query = select(TicketRow).where(
            TicketRow.assignee == absence.person_id,
            TicketRow.status == TicketStatus.CLAIMED.value,
        )
        tickets = list((await session.scalars(query.order_by(TicketRow.id))).all())
        for ticket in tickets:
            await self._release(session, ticket, absence)
        return len(tickets)

    async def _release(self, session: AsyncSession, ticket: TicketRow, absence: AbsenceRow) -> None:
        """Back to the queue with a handover note for the team; nothing to the requester."""
        before = self._move(ticket, Action.UNCLAIM)
        ticket.assignee = None
        data = {"was": absence.person_id, "reason": "absence"}
        audience = internal(confidential=ticket.confidential)
        await self._record(
            session, ticket, Action.UNCLAIM, before, SWEEP_ACTOR, None, data, audience=audience
        )
        locale = self.config.default_locale
        until = last_day(absence.ends_at, ZoneInfo(self.config.calendar.timezone))
        note = t(
            "away.handover_note",
            locale,
            id=ticket.id,
            name=literal(display_name(self.config, absence.person_id)),
            until=format_day(until, locale),
        )
        await self._post_card(session, ticket, note=note)
