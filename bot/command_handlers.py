"""Carrying out parsed commands through the ticket service; answers are notices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.model import OrgConfig
from bot.domain.errors import NotAllowed, UnknownTeam
from bot.domain.lifecycle import OPEN_STATUSES
from bot.i18n import t
from bot.i18n.formatting import format_deadline, format_moment
from bot.notices import Fact, Notice
from bot.service import feedback
from bot.service.actors import Actor, display_name, is_staff, teams_of
from bot.service.tickets import TicketService
from dialogs.commands import Command
from storage.models import TicketRow
from storage.repositories import tickets as repo


class CommandHandlers:
    """One method per ticket command; session and transaction belong to the caller."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)

    async def run(self, session: AsyncSession, command: Command, actor: Actor) -> list[Notice]:
        """Execute `command` for `actor`; domain errors propagate to the engine."""
        loc = actor.locale
        if command.staff_only and not is_staff(self.config, actor):
            return [Notice(text=t("cmd.staff_only", loc, p=command.prefix))]
        if command.name == "help":
            return [self.help(actor, command.prefix)]
        if command.name == "queue":
            return [await self.queue(session, actor)]
        if command.name in ("mine",) or (command.name == "status" and command.ticket_id is None):
            return [await self.mine(session, actor, command.prefix)]
        if command.name == "status":
            return [await self.status(session, actor, _id(command))]
        return [await self._change(session, command, actor)]

    async def _change(self, session: AsyncSession, command: Command, actor: Actor) -> Notice:
        ticket_id, svc, loc = _id(command), self.service, actor.locale
        if command.name == "claim":
            await svc.claim(session, ticket_id=ticket_id, actor=actor)
        elif command.name == "unclaim":
            await svc.unclaim(session, ticket_id=ticket_id, actor=actor)
        elif command.name == "handoff":
            team = self._team_id(command.team or "")
            await svc.handoff(
                session, ticket_id=ticket_id, actor=actor, team_id=team, reason=command.text
            )
            return Notice(
                text=t("cmd.handoff_ok", loc, id=ticket_id, team=self._team_name(team, loc))
            )
        elif command.name == "ask":
            await svc.ask(session, ticket_id=ticket_id, actor=actor, question=command.text)
        elif command.name == "note":
            await svc.note(session, ticket_id=ticket_id, actor=actor, text=command.text)
        elif command.name == "resolve":
            await svc.resolve(session, ticket_id=ticket_id, actor=actor, answer=command.text)
        elif command.name == "reopen":
            await svc.reopen(session, ticket_id=ticket_id, actor=actor, reason=command.text)
        else:
            raise ValueError(f"no handler for {command.name}")
        key = {
            "claim": "cmd.claimed_ok",
            "unclaim": "cmd.unclaimed_ok",
            "ask": "cmd.ask_ok",
            "note": "cmd.note_ok",
            "resolve": "cmd.resolve_ok",
            "reopen": "cmd.reopen_ok",
        }
        return Notice(text=t(key[command.name], loc, id=ticket_id), ticket_id=ticket_id)

    def help(self, actor: Actor, prefix: str) -> Notice:
        """The command list; staff also see the team commands."""
        loc = actor.locale
        text = t("cmd.help.requester", loc, p=prefix)
        if is_staff(self.config, actor):
            text += "\n\n" + t("cmd.help.staff", loc, p=prefix)
        return Notice(title=t("cmd.help", loc), text=text)

    async def queue(self, session: AsyncSession, actor: Actor) -> Notice:
        """The open tickets of the actor's teams, most urgent first."""
        loc = actor.locale
        teams = teams_of(self.config, actor)
        names = ", ".join(team.name.get(loc) for team in teams)
        rows = await repo.team_queue(
            session, team_ids=[team.id for team in teams], statuses=[s.value for s in OPEN_STATUSES]
        )
        if not rows:
            return Notice(text=t("cmd.queue_empty", loc, teams=names))
        lines = [self._queue_line(row, loc) for row in rows]
        return Notice(title=t("cmd.queue_title", loc, teams=names), text="\n".join(lines))

    async def mine(self, session: AsyncSession, actor: Actor, prefix: str) -> Notice:
        """The actor's own requests, newest first."""
        loc = actor.locale
        rows = await repo.requester_tickets(
            session, platform=actor.platform, requester_id=actor.user_id
        )
        if not rows:
            return Notice(text=t("cmd.mine_empty", loc, p=prefix))
        lines = [
            t(
                "cmd.mine_line",
                loc,
                id=row.id,
                status=t(f"status.{row.status}", loc),
                topic=feedback.topic_name(self.config, row.topic_id, loc),
            )
            for row in rows
        ]
        return Notice(title=t("cmd.mine_title", loc), text="\n".join(lines))

    async def status(self, session: AsyncSession, actor: Actor, ticket_id: int) -> Notice:
        """One ticket in detail, for its requester or staff of the owning team."""
        ticket = await self.service.get(session, ticket_id)
        own = (ticket.requester_platform, ticket.requester_id) == (actor.platform, actor.user_id)
        staff = ticket.team_id in {team.id for team in teams_of(self.config, actor)}
        leadership = self.config.leadership_team()
        lead = leadership is not None and leadership.person_for(actor.platform, actor.user_id)
        if not (own or staff or lead):
            raise NotAllowed("not yours", id=ticket_id)
        return self._describe(ticket, actor.locale)

    def _describe(self, ticket: TicketRow, loc: str) -> Notice:
        now = self.clock.now()
        facts = [
            Fact(t("fact.status", loc), t(f"status.{ticket.status}", loc)),
            Fact(t("fact.topic", loc), feedback.topic_name(self.config, ticket.topic_id, loc)),
            Fact(t("fact.team", loc), self._team_name(ticket.team_id, loc)),
            Fact(t("fact.assignee", loc), display_name(self.config, ticket.assignee)),
            Fact(t("fact.opened", loc), format_moment(ticket.created_at, loc, self.tz)),
        ]
        if ticket.next_due_at is not None:
            facts.append(
                Fact(t("fact.deadline", loc), feedback.deadline_text(self.config, ticket, loc, now))
            )
        if ticket.reference:
            facts.append(Fact(t("fact.reference", loc), ticket.reference))
        return Notice(
            title=t("cmd.status_title", loc, id=ticket.id),
            text=ticket.description,
            facts=tuple(facts),
            ticket_id=ticket.id,
            channel_safe=not ticket.confidential,
        )

    def _queue_line(self, row: TicketRow, loc: str) -> str:
        due = "-"
        if row.next_due_at is not None:
            due = format_deadline(row.next_due_at, loc, self.tz, self.clock.now())
        who = "" if row.assignee is None else f" · {display_name(self.config, row.assignee)}"
        return t(
            "cmd.queue_line",
            loc,
            id=row.id,
            status=t(f"status.{row.status}", loc),
            topic=feedback.topic_name(self.config, row.topic_id, loc),
            due=due,
            who=who,
        )

    def _team_id(self, name: str) -> str:
        for team in self.config.teams:
            if name in (team.id, team.name.de.casefold(), team.name.en.casefold()):
                return team.id
        raise UnknownTeam(name, team=name, known=", ".join(team.id for team in self.config.teams))

    def _team_name(self, team_id: str, loc: str) -> str:
        return self.config.team(team_id).name.get(loc)


def _id(command: Command) -> int:
    if command.ticket_id is None:
        raise ValueError(f"{command.name} needs a ticket number")
    return command.ticket_id
