"""Carrying out parsed commands through the ticket service; answers are notices.

Role checks happen here and in the service; a refusal raises a NotAllowed error, which
the engine answers politely and writes to the audit log.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.card_actions import CardActions
from bot.domain.errors import HotlineError, LeadsOnly, NotAllowed, StaffOnly, UnknownTeam
from bot.domain.lifecycle import OPEN_STATUSES
from bot.escalation.commands import LeadCommands
from bot.i18n import t
from bot.i18n.formatting import format_deadline, format_moment
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Fact, Notice
from bot.reports import render
from bot.reports import service as reports
from bot.service import feedback, permissions
from bot.service.actors import Actor, display_name
from bot.service.permissions import Role
from bot.service.round_table import RoundTable
from bot.service.tickets import TicketService
from dialogs.command_specs import SPECS, Audience, Spec
from dialogs.commands import Command, help_line
from storage.models import TicketRow
from storage.repositories import proposals
from storage.repositories import tickets as repo

_DONE = {
    "claim": "cmd.claimed_ok",
    "unclaim": "cmd.unclaimed_ok",
    "ask": "cmd.ask_ok",
    "note": "cmd.note_ok",
    "resolve": "cmd.resolve_ok",
    "reopen": "cmd.reopen_ok",
}


# /hilfe's sections: which audiences, under which heading (None: no heading).
HELP_SECTIONS: tuple[tuple[frozenset[Audience], str | None], ...] = (
    (frozenset({Audience.EVERYONE}), None),
    (frozenset({Audience.STAFF}), "cmd.help.staff"),
    (frozenset({Audience.LEADS, Audience.OVERSIGHT}), "cmd.help.leads"),
)


class CommandHandlers:
    """One method per ticket command; session and transaction belong to the caller."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)
        self.leads = LeadCommands(config, service, clock)
        self.round_table = RoundTable(config, clock)
        self.card_actions = CardActions(config, service, clock)

    def check_audience(self, command: Command, actor: Actor) -> None:
        """Raise StaffOnly or LeadsOnly when the actor's roles do not fit the command."""
        if command.audience is Audience.STAFF and not permissions.is_staff(self.config, actor):
            raise StaffOnly(command.name, command=command.name)
        if command.audience is Audience.LEADS and not permissions.is_lead(self.config, actor):
            raise LeadsOnly(command.name, command=command.name)
        if command.audience is Audience.OVERSIGHT and not permissions.oversees(self.config, actor):
            raise LeadsOnly(command.name, command=command.name)

    async def run(self, session: AsyncSession, command: Command, actor: Actor) -> list[Notice]:
        """Execute a ticket or report command for `actor`; domain errors propagate."""
        self.check_audience(command, actor)
        if command.name == "help":
            return [self.help(actor, command.prefix)]
        if command.name == "queue":
            return [await self.queue(session, actor)]
        if command.name == "proposals":
            return [await self.proposals(session, actor)]
        if command.name == "report":
            return [await self._report(session, command, actor)]
        if command.name == "merge":
            return [await self._merge(session, command, actor)]
        if command.name == "schedule":
            told = await self.round_table.schedule(session, actor=actor, proposal_id=_id(command))
            text = t("cmd.schedule_ok", actor.locale, id=_id(command), count=told)
            return [Notice(text=text)]
        if command.name == "escalations":
            return [await self.leads.escalations(session, actor)]
        if command.name == "overdue":
            return [await self.leads.overdue(session, actor)]
        if command.name == "ack":
            return [await self.leads.ack(session, actor, _id(command))]
        if command.name == "mine" or (command.name == "status" and command.ticket_id is None):
            return [await self.mine(session, actor, command.prefix)]
        if command.name == "status":
            return [await self.status(session, actor, _id(command))]
        if command.name == "history":
            return [await self.history(session, actor, _id(command))]
        cards = self.card_actions
        if command.name == "handoff" and command.team is None:  # the card's "Weitergeben"
            return [await cards.pick_team(session, ticket_id=_id(command), actor=actor)]
        if command.name == "resolve" and not command.text:  # the card's "Erledigt"
            return [await cards.ask_answer(session, ticket_id=_id(command), actor=actor)]
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
            name = self.config.team(team).name.get(loc)
            return Notice(text=t("cmd.handoff_ok", loc, id=ticket_id, team=name))
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
        return Notice(text=t(_DONE[command.name], loc, id=ticket_id), ticket_id=ticket_id)

    async def _report(self, session: AsyncSession, command: Command, actor: Actor) -> Notice:
        """/bericht [YYYY-MM]: the month's figures as a table in the lead's DM."""
        today = self.clock.now().astimezone(self.tz).date()
        try:
            start, end = reports.month(self.config, command.text.strip() or None, today)
        except ValueError:
            return Notice(text=t("report.bad_month", actor.locale, p=command.prefix))
        report = await reports.build(session, self.config, self.clock, start, end)
        text = render.to_markdown(self.config, report, actor.locale)
        return Notice(text=literal(text), channel_safe=False)

    async def _merge(self, session: AsyncSession, command: Command, actor: Actor) -> Notice:
        """/zusammenfuehren KEEP DROP: the second proposal becomes part of the first."""
        drop = command.other_id
        if drop is None:
            raise ValueError("merge needs two numbers")
        await self.round_table.merge(session, actor=actor, keep_id=_id(command), drop_id=drop)
        return Notice(text=t("cmd.merge_ok", actor.locale, keep=_id(command), drop=drop))

    def help(self, actor: Actor, prefix: str) -> Notice:
        """The commands this person may use, one line each, generated from the command
        declarations (dialogs/commands.py SPECS) and the same audience check that runs them:
        everyone's first, then the teams', then the leads'."""
        loc = actor.locale
        sections: list[str] = []
        for audiences, heading in HELP_SECTIONS:
            lines = [
                help_line(spec, prefix, loc)
                for spec in SPECS
                if spec.audience in audiences and self._may_use(spec, actor)
            ]
            if lines:
                title = [t(heading, loc)] if heading else []
                sections.append("\n".join(title + lines))
        return Notice(title=t("cmd.help", loc), text="\n\n".join(sections))

    def _may_use(self, spec: Spec, actor: Actor) -> bool:
        try:
            self.check_audience(Command(spec.name, audience=spec.audience), actor)
        except HotlineError:
            return False
        return True

    async def queue(self, session: AsyncSession, actor: Actor) -> Notice:
        """Open tickets of the actor's teams (plus complaints for their managers), urgent first."""
        loc = actor.locale
        teams = self.config.teams_of(actor.platform, actor.user_id)
        names = [team.name.get(loc) for team in teams]
        statuses = [s.value for s in OPEN_STATUSES]
        rows = list(
            await repo.team_queue(session, team_ids=[team.id for team in teams], statuses=statuses)
        )
        with_complaints = Role.COMPLAINT_MANAGER in permissions.roles_of(self.config, actor)
        if with_complaints:
            names.append(t("queue.complaints", loc))
            rows += await repo.confidential_queue(session, statuses=statuses)
            rows.sort(key=_urgency)
        if not rows:
            return Notice(text=t("cmd.queue_empty", loc, teams=", ".join(names)))
        lines = [self._queue_line(row, loc) for row in rows]
        return Notice(
            channel_safe=not with_complaints,
            title=t("cmd.queue_title", loc, teams=", ".join(names)),
            text="\n".join(lines),
        )

    async def proposals(self, session: AsyncSession, actor: Actor) -> Notice:
        """Ideas and round-table topics for the leads, newest first."""
        loc = actor.locale
        rows = await proposals.open_proposals(session)
        if not rows:
            return Notice(text=t("cmd.proposals_empty", loc))
        merged = await proposals.merged_counts(session, ids=[row.id for row in rows])
        lines = [
            t(
                "cmd.proposals_line",
                loc,
                id=row.id,
                kind=t(f"proposal.kind.{row.kind}", loc),
                date=format_moment(row.created_at, loc, self.tz),
                text=literal(row.text),
            )
            + (t("cmd.proposals_merged", loc, count=merged[row.id]) if row.id in merged else "")
            + (t("cmd.proposals_scheduled", loc) if row.status == "scheduled" else "")
            for row in rows
        ]
        return Notice(
            title=t("cmd.proposals_title", loc), text="\n".join(lines), channel_safe=False
        )

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
                status=feedback.status_label(row.status, loc, staff=False),
                topic=feedback.topic_name(self.config, row.topic_id, loc),
            )
            for row in rows
        ]
        return Notice(title=t("cmd.mine_title", loc), text="\n".join(lines), channel_safe=False)

    async def status(self, session: AsyncSession, actor: Actor, ticket_id: int) -> Notice:
        """One ticket in detail, for its requester or the staff who may work on it."""
        ticket = await self.service.get(session, ticket_id)
        if not permissions.may_view(self.config, actor, ticket):
            raise NotAllowed("may not view", id=ticket_id)
        return self._describe(ticket, actor)

    async def history(self, session: AsyncSession, actor: Actor, ticket_id: int) -> Notice:
        """A ticket's audit trail: requesters see what was public, staff also internal notes."""
        ticket = await self.service.get(session, ticket_id)
        if not permissions.may_view(self.config, actor, ticket):
            raise NotAllowed("may not view", id=ticket_id)
        staff = permissions.worker_on(self.config, actor, ticket) is not None
        loc = actor.locale
        lines = []
        for event in await repo.ticket_events(session, ticket_id=ticket_id):
            if not (event.public or staff):
                continue
            who = (
                display_name(self.config, event.actor_person)
                if event.actor_person
                else (t("fact.requester", loc))
            )
            line = t(f"history.{event.action}", loc)
            text = event.data.get("text") or event.data.get("reason")
            if text:
                line += f": {literal(str(text))}"
            moment = format_moment(event.at, loc, self.tz)
            lines.append(f"{moment} · {literal(who)} · {line}")
        return Notice(
            title=t("cmd.history_title", loc, id=ticket_id),
            text="\n".join(lines),
            ticket_id=ticket_id,
            channel_safe=False,
        )

    def _describe(self, ticket: TicketRow, actor: Actor) -> Notice:
        loc, now = actor.locale, self.clock.now()
        staff = not permissions.is_requester_of(actor, ticket)
        facts = [
            Fact(t("fact.status", loc), feedback.status_label(ticket.status, loc, staff=staff)),
            Fact(t("fact.topic", loc), feedback.topic_name(self.config, ticket.topic_id, loc)),
            Fact(t("fact.team", loc), self.config.team(ticket.team_id).name.get(loc)),
            Fact(t("fact.assignee", loc), display_name(self.config, ticket.assignee)),
            Fact(t("fact.opened", loc), format_moment(ticket.created_at, loc, self.tz)),
        ]
        if staff:
            facts.append(Fact(t("fact.requester", loc), self._requester(ticket, actor)))
            if ticket.confidential:
                wish = t("fact.yes" if ticket.anonymous else "fact.no", loc)
                facts.append(Fact(t("fact.anonymous_wish", loc), wish))
        if ticket.next_due_at is not None:
            due = feedback.deadline_text(self.config, ticket, loc, now)
            facts.append(Fact(t("fact.deadline", loc), due))
        if ticket.reference:
            facts.append(Fact(t("fact.reference", loc), literal(ticket.reference)))
        return Notice(
            title=t("cmd.status_title", loc, id=ticket.id),
            text=literal(ticket.description),
            facts=tuple(facts),
            ticket_id=ticket.id,
            channel_safe=False,  # a ticket's details go to the asker's DM, never a channel
        )

    def _requester(self, ticket: TicketRow, viewer: Actor) -> str:
        roles = permissions.roles_of(self.config, viewer)
        if ticket.anonymous and Role.COMPLAINT_MANAGER not in roles:
            return t("fact.anonymous", viewer.locale)
        return literal(ticket.requester_name or ticket.requester_id)

    def _queue_line(self, row: TicketRow, loc: str) -> str:
        due = "-"
        if row.next_due_at is not None:
            due = format_deadline(row.next_due_at, loc, self.tz, self.clock.now())
        who = "" if row.assignee is None else f" · {display_name(self.config, row.assignee)}"
        return t(
            "cmd.queue_line",
            loc,
            id=row.id,
            status=feedback.status_label(row.status, loc, staff=True),
            topic=feedback.topic_name(self.config, row.topic_id, loc),
            due=due,
            who=who,
        )

    def _team_id(self, name: str) -> str:
        for team in self.config.teams:
            if name in (team.id, team.name.de.casefold(), team.name.en.casefold()):
                return team.id
        raise UnknownTeam(
            name, team=literal(name), known=", ".join(team.id for team in self.config.teams)
        )


def _urgency(row: TicketRow) -> tuple[bool, float, int]:
    due = row.next_due_at
    return (due is None, 0.0 if due is None else due.timestamp(), row.id)


def _id(command: Command) -> int:
    if command.ticket_id is None:
        raise ValueError(f"{command.name} needs a ticket number")
    return command.ticket_id
