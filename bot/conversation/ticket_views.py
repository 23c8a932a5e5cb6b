"""The read-only commands: /status, /meine, /verlauf, /queue and /themen.

Apart from the commands that change tickets (bot/conversation/command_handlers.py) because
these only look: each checks who may see what and answers with a notice, mostly into the
asker's direct chat, since a ticket's details never belong in a channel.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.conversation.command_table import ticket_of
from bot.conversation.turn import Turn
from bot.domain.errors import NotAllowed
from bot.domain.lifecycle import OPEN_STATUSES, Action
from bot.domain.requests import PHONE
from bot.escalation.messages import SYSTEM_PLATFORM
from bot.i18n import t
from bot.i18n.formatting import format_deadline, format_moment
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Fact, Notice
from bot.people.present import team_absence_lines
from bot.service import feedback, permissions
from bot.service.actors import Actor, display_name
from bot.service.permissions import Role
from bot.service.tickets import TicketService
from dialogs.commands import Command
from storage.models import AuditLogRow, TicketEventRow, TicketRow
from storage.repositories import audit, proposals, trail
from storage.repositories import tickets as repo
from storage.repositories.trail import RequesterEvent

# How staff read an assignment in /verlauf (the requester reads "übernommen").
STAFF_ASSIGNMENT = {
    Action.ASSIGN.value: "assign.history_assign",
    Action.REASSIGN.value: "assign.history_reassign",
}


class TicketViews:
    """One handler per read-only command; session and transaction belong to the caller."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)

    async def status(self, turn: Turn, command: Command) -> list[Notice]:
        """One ticket in detail, for its requester or the staff who may work on it; without
        a number, the asker's own requests (as /meine)."""
        if command.ticket_id is None:
            return await self.mine(turn, command)
        ticket = await self.service.get(turn.session, command.ticket_id)
        if not permissions.may_view(self.config, turn.actor, ticket):
            raise NotAllowed("may not view", id=command.ticket_id)
        return [self._describe(ticket, turn.actor)]

    async def mine(self, turn: Turn, command: Command) -> list[Notice]:
        """The actor's own requests, newest first."""
        actor, loc = turn.actor, turn.actor.locale
        rows = await repo.requester_tickets(
            turn.session, platform=actor.platform, requester_id=actor.user_id
        )
        if not rows:
            return [Notice(text=t("cmd.mine_empty", loc, p=command.prefix))]
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
        return [Notice(title=t("cmd.mine_title", loc), text="\n".join(lines), channel_safe=False)]

    async def history(self, turn: Turn, command: Command) -> list[Notice]:
        """A ticket's audit trail. Staff who may work on it see every event; anyone else
        (its requester) sees only the requester's trail, read through the one query that
        selects nothing else (a handoff's reason, a note, an escalation never reach it)."""
        session, actor, ticket_id = turn.session, turn.actor, ticket_of(command)
        ticket = await self.service.get(session, ticket_id)
        if not permissions.may_view(self.config, actor, ticket):
            raise NotAllowed("may not view", id=ticket_id)
        loc = actor.locale
        if permissions.worker_on(self.config, actor, ticket) is not None:
            events = await trail.ticket_events(session, ticket_id=ticket_id)
            dated = [(event.at, self._staff_line(event, loc)) for event in events]
            if permissions.oversees(self.config, actor):  # leads also see what was refused
                refused = await audit.entries_of_ticket(session, ticket_id=ticket_id)
                dated += [(entry.at, self._refusal_line(entry, loc)) for entry in refused]
                dated.sort(key=lambda pair: pair[0])
            lines = [line for _, line in dated]
        else:
            mine = await trail.requester_events(session, ticket_id=ticket_id)
            lines = [self._requester_line(event, loc) for event in mine]
        notice = Notice(
            title=t("cmd.history_title", loc, id=ticket_id),
            text="\n".join(lines),
            ticket_id=ticket_id,
            channel_safe=False,
        )
        return [notice]

    async def queue(self, turn: Turn, command: Command) -> list[Notice]:
        """Open tickets of the actor's teams (plus complaints for their managers), urgent first."""
        session, actor, loc = turn.session, turn.actor, turn.actor.locale
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
        team_ids = [team.id for team in teams]
        away = await team_absence_lines(session, self.config, team_ids, self.clock.now(), loc)
        if not rows:
            text = t("cmd.queue_empty", loc, teams=", ".join(names))
            return [Notice(text="\n\n".join([text, "\n".join(away)]) if away else text)]
        lines = [self._queue_line(row, loc) for row in rows]
        notice = Notice(
            channel_safe=not with_complaints,
            title=t("cmd.queue_title", loc, teams=", ".join(names)),
            text="\n".join([*lines, *([""] if away else []), *away]),  # who is away, last
        )
        return [notice]

    async def proposals(self, turn: Turn, command: Command) -> list[Notice]:
        """Ideas and round-table topics for the leads, newest first."""
        session, loc = turn.session, turn.actor.locale
        rows = await proposals.open_proposals(session)
        if not rows:
            return [Notice(text=t("cmd.proposals_empty", loc))]
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
        title = t("cmd.proposals_title", loc)
        return [Notice(title=title, text="\n".join(lines), channel_safe=False)]

    def _describe(self, ticket: TicketRow, actor: Actor) -> Notice:
        loc, now = actor.locale, self.clock.now()
        staff = not permissions.is_requester_of(actor, ticket)
        facts = [
            Fact(t("fact.status", loc), feedback.status_label(ticket.status, loc, staff=staff)),
            Fact(t("fact.topic", loc), feedback.topic_name(self.config, ticket.topic_id, loc)),
            Fact(t("fact.team", loc), self._team_name(ticket, loc, staff=staff)),
            Fact(t("fact.assignee", loc), display_name(self.config, ticket.assignee)),
            Fact(t("fact.opened", loc), format_moment(ticket.created_at, loc, self.tz)),
        ]
        if staff:
            facts.append(Fact(t("fact.requester", loc), self._requester(ticket, actor)))
            if ticket.requester_platform == PHONE:  # a phone note: how to call back
                callback = t("card.callback", loc, address=literal(ticket.requester_id))
                facts.append(Fact(t("fact.contact", loc), callback))
            if ticket.confidential:
                wish = t("fact.yes" if ticket.anonymous else "fact.no", loc)
                facts.append(Fact(t("fact.anonymous_wish", loc), wish))
        if ticket.next_due_at is not None:
            due = feedback.deadline_text(self.config, ticket, loc, now)
            facts.append(Fact(feedback.deadline_label(ticket, loc, now), due))
        if ticket.reference:
            facts.append(Fact(t("fact.reference", loc), literal(ticket.reference)))
        return Notice(
            title=t("cmd.status_title", loc, id=ticket.id),
            text=feedback.description_markup(ticket, loc),
            facts=tuple(facts),
            ticket_id=ticket.id,
            channel_safe=False,  # a ticket's details go to the asker's DM, never a channel
        )

    def _team_name(self, ticket: TicketRow, loc: str, *, staff: bool) -> str:
        team = self.config.team(ticket.team_id)
        return team.name.get(loc) if staff else team.shown_to_requesters(loc)

    def _requester_line(self, event: RequesterEvent, loc: str) -> str:
        if event.staff_person:
            who = display_name(self.config, event.staff_person)
        else:
            who = t("fact.requester" if event.by_requester else "fact.hotline_bot", loc)
        return self._line(event.at, who, t(f"history.{event.action}", loc), event.text, loc)

    def _staff_line(self, event: TicketEventRow, loc: str) -> str:
        if event.actor_person:
            who = display_name(self.config, event.actor_person)
        elif event.actor_platform == SYSTEM_PLATFORM:
            who = t("fact.hotline_bot", loc)
        else:
            who = t("fact.requester", loc)
        about = event.data.get("about")  # a note with an action's staff-only words
        key = f"history.note_about.{about}" if about else f"history.{event.action}"
        what = t(key, loc)
        if event.action in STAFF_ASSIGNMENT:  # staff read whom it went to (and from whom)
            agent = display_name(self.config, _text_or_none(event.data.get("assignee")))
            was = display_name(self.config, _text_or_none(event.data.get("was")))
            what = t(STAFF_ASSIGNMENT[event.action], loc, agent=literal(agent), was=literal(was))
        text = event.data.get("text")
        return self._line(event.at, who, what, None if text is None else str(text), loc)

    def _refusal_line(self, entry: AuditLogRow, loc: str) -> str:
        """An audit entry about the ticket (a refused command), as leads read it."""
        person = self.config.person_by_platform(entry.platform, entry.user_id)
        who = person.display_name if person else t("trail.someone", loc)
        command = str(entry.detail.get("command", ""))
        refused = entry.action == "refused"
        what = t("trail.refused", loc, command=command) if refused else entry.action
        return self._line(entry.at, who, what, None, loc)

    def _line(self, at: datetime, who: str, what: str, text: str | None, loc: str) -> str:
        said = f": {literal(text)}" if text else ""
        return f"{format_moment(at, loc, self.tz)} · {literal(who)} · {what}{said}"

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


def _urgency(row: TicketRow) -> tuple[bool, float, int]:
    due = row.next_due_at
    return (due is None, 0.0 if due is None else due.timestamp(), row.id)


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)
