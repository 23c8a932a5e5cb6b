"""The leads' commands: /eskalationen, /ueberfaellig and /ack N."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.domain.lifecycle import OPEN_STATUSES
from bot.escalation.listing import ticket_lines
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service import permissions
from bot.service.actors import Actor
from bot.service.permissions import Role
from bot.service.tickets import TicketService
from storage.models import TicketRow
from storage.repositories import escalation as repo

_OPEN = [status.value for status in OPEN_STATUSES]
LIMIT = 50  # a command lists more than the digest


class LeadCommands:
    """Views for the leads; the session and transaction belong to the caller."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)

    def _scope(self, actor: Actor) -> frozenset[str] | None:
        """The teams a lead oversees: all for the department leadership and admins."""
        roles = permissions.roles_of(self.config, actor)
        if roles & {Role.DEPARTMENT_LEAD, Role.ADMIN}:
            return None
        return frozenset(team.id for team in self.config.teams_of(actor.platform, actor.user_id))

    def _visible(self, actor: Actor, rows: Sequence[TicketRow]) -> list[TicketRow]:
        """Complaints only for those who may handle them."""
        return [
            row
            for row in rows
            if not row.confidential or permissions.lead_on(self.config, actor, row) is not None
        ]

    async def escalations(self, session: AsyncSession, actor: Actor) -> Notice:
        """Open escalated tickets of the lead's teams, the longest escalated first."""
        loc = actor.locale
        found = await repo.escalated_open(session, team_ids=self._scope(actor), statuses=_OPEN)
        rows = self._visible(actor, found)
        if not rows:
            return Notice(text=t("cmd.escalations_empty", loc))
        return Notice(
            title=t("cmd.escalations_title", loc),
            text="\n".join(ticket_lines(self.config, rows, self.clock.now(), loc, limit=LIMIT)),
            channel_safe=False,
        )

    async def overdue(self, session: AsyncSession, actor: Actor) -> Notice:
        """Open tickets of the lead's teams whose deadline has passed, the oldest first."""
        loc = actor.locale
        found = await repo.overdue_open(
            session, team_ids=self._scope(actor), statuses=_OPEN, now=self.clock.now()
        )
        rows = self._visible(actor, found)
        if not rows:
            return Notice(text=t("cmd.overdue_empty", loc))
        return Notice(
            title=t("cmd.overdue_title", loc),
            text="\n".join(ticket_lines(self.config, rows, self.clock.now(), loc, limit=LIMIT)),
            channel_safe=False,
        )

    async def ack(self, session: AsyncSession, actor: Actor, ticket_id: int) -> Notice:
        """Acknowledge the escalation of a ticket: recorded, repeats stop."""
        await self.service.acknowledge(session, ticket_id=ticket_id, actor=actor)
        return Notice(text=t("cmd.ack_ok", actor.locale, id=ticket_id), ticket_id=ticket_id)
