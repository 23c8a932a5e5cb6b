"""Carrying out parsed commands through the ticket service; answers are notices.

Each command has its own handler, bound to its name in `handlers()` (the share of the
command table, bot/conversation/command_table.py, that this module owns): the ticket
commands, the leads' commands, /hilfe, and the read-only views of
bot/conversation/ticket_views.py. The audience check runs before any handler (the runner
calls `check_audience`); the service checks the rest, and a refusal raises a NotAllowed
error, which the runner answers politely and writes to the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.conversation.card_actions import CardActions
from bot.conversation.command_table import Handler, ticket_of
from bot.conversation.ticket_views import TicketViews
from bot.conversation.turn import Turn
from bot.domain.errors import HotlineError, LeadsOnly, StaffOnly, UnknownTeam
from bot.escalation.commands import LeadCommands
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Notice
from bot.reports import render
from bot.reports import service as reports
from bot.service import permissions
from bot.service.actors import Actor
from bot.service.appointment_notices import resolve_mention
from bot.service.round_table import RoundTable
from bot.service.tickets import TicketService
from dialogs.command_specs import SPECS, Audience, Spec
from dialogs.commands import Command, help_line

# /hilfe's sections: which audiences, under which heading (None: no heading).
HELP_SECTIONS: tuple[tuple[frozenset[Audience], str | None], ...] = (
    (frozenset({Audience.EVERYONE}), None),
    (frozenset({Audience.STAFF}), "cmd.help.staff"),
    (frozenset({Audience.LEADS, Audience.OVERSIGHT}), "cmd.help.leads"),
)


class CommandHandlers:
    """One handler per ticket, lead and help command; session and transaction belong to the
    caller."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)
        self.leads = LeadCommands(config, service, clock)
        self.round_table = RoundTable(config, clock)
        self.card_actions = CardActions(config, service, clock)
        self.views = TicketViews(config, service, clock)

    def handlers(self) -> dict[str, Handler]:
        """This module's rows of the command table."""
        views = self.views
        return {
            "help": self.help,
            "status": views.status,
            "mine": views.mine,
            "history": views.history,
            "queue": views.queue,
            "proposals": views.proposals,
            "merge": self.merge,
            "schedule": self.schedule,
            "report": self.report,
            "escalations": self.escalations,
            "overdue": self.overdue,
            "ack": self.ack,
            "claim": self.claim,
            "unclaim": self.unclaim,
            "assign": self.assign,
            "handoff": self.handoff,
            "ask": self.ask,
            "note": self.note,
            "resolve": self.resolve,
            "reopen": self.reopen,
        }

    def check_audience(self, command: Command, actor: Actor) -> None:
        """Raise StaffOnly or LeadsOnly when the actor's roles do not fit the command."""
        if command.audience is Audience.STAFF and not permissions.is_staff(self.config, actor):
            raise StaffOnly(command.name, command=command.name)
        if command.audience is Audience.LEADS and not permissions.is_lead(self.config, actor):
            raise LeadsOnly(command.name, command=command.name)
        if command.audience is Audience.OVERSIGHT and not permissions.oversees(self.config, actor):
            raise LeadsOnly(command.name, command=command.name)

    # --- /hilfe ----------------------------------------------------------------------------

    async def help(self, turn: Turn, command: Command) -> list[Notice]:
        """The commands this person may use, one line each, generated from the command
        declarations (dialogs/command_specs.py SPECS) and the same audience check that runs
        them: everyone's first, then the teams', then the leads'."""
        actor, loc = turn.actor, turn.actor.locale
        sections: list[str] = []
        for audiences, heading in HELP_SECTIONS:
            lines = [
                help_line(spec, command.prefix, loc)
                for spec in SPECS
                if spec.audience in audiences and self._may_use(spec, actor)
            ]
            if lines:
                title = [t(heading, loc)] if heading else []
                sections.append("\n".join(title + lines))
        return [Notice(title=t("cmd.help", loc), text="\n\n".join(sections))]

    def _may_use(self, spec: Spec, actor: Actor) -> bool:
        try:
            self.check_audience(Command(spec.name, audience=spec.audience), actor)
        except HotlineError:
            return False
        return True

    # --- tickets ---------------------------------------------------------------------------

    async def claim(self, turn: Turn, command: Command) -> list[Notice]:
        """/claim N: the ticket is the actor's now."""
        await self.service.claim(turn.session, ticket_id=ticket_of(command), actor=turn.actor)
        return _done("cmd.claimed_ok", turn, command)

    async def unclaim(self, turn: Turn, command: Command) -> list[Notice]:
        """/unclaim N [handover note]: back into the team's queue."""
        await self.service.unclaim(
            turn.session, ticket_id=ticket_of(command), actor=turn.actor, note=command.text
        )
        return _done("cmd.unclaimed_ok", turn, command)

    async def assign(self, turn: Turn, command: Command) -> list[Notice]:
        """/zuweisen N PERSON [note]: a colleague of the team has the ticket now."""
        ticket_id, loc = ticket_of(command), turn.actor.locale
        _, person = await self.service.assign(
            turn.session, ticket_id=ticket_id, actor=turn.actor, whom=command.text
        )
        text = t("cmd.assign_ok", loc, id=ticket_id, who=literal(person.display_name))
        return [Notice(text=text, ticket_id=ticket_id)]

    async def handoff(self, turn: Turn, command: Command) -> list[Notice]:
        """/handoff N TEAM [reason]; the card's "Weitergeben" (no team) asks for the team."""
        session, actor, ticket_id = turn.session, turn.actor, ticket_of(command)
        if command.team is None:
            return [await self.card_actions.pick_team(session, ticket_id=ticket_id, actor=actor)]
        team = self._team_id(command.team)
        await self.service.handoff(
            session, ticket_id=ticket_id, actor=actor, team_id=team, reason=command.text
        )
        loc = actor.locale
        name = self.config.team(team).name.get(loc)
        return [Notice(text=t("cmd.handoff_ok", loc, id=ticket_id, team=name))]

    async def ask(self, turn: Turn, command: Command) -> list[Notice]:
        """/ask N question: the requester is asked, the deadline pauses."""
        ticket_id = ticket_of(command)
        await self.service.ask(
            turn.session, ticket_id=ticket_id, actor=turn.actor, question=command.text
        )
        return _done("cmd.ask_ok", turn, command)

    async def note(self, turn: Turn, command: Command) -> list[Notice]:
        """/note N text: an internal note."""
        ticket_id = ticket_of(command)
        await self.service.note(
            turn.session, ticket_id=ticket_id, actor=turn.actor, text=command.text
        )
        return _done("cmd.note_ok", turn, command)

    async def resolve(self, turn: Turn, command: Command) -> list[Notice]:
        """/resolve N answer; the card's "Erledigt" (no answer) asks for the answer."""
        session, actor, ticket_id = turn.session, turn.actor, ticket_of(command)
        if not command.text:
            return [await self.card_actions.ask_answer(session, ticket_id=ticket_id, actor=actor)]
        asked = await self.card_actions.draft_callback(
            session, ticket_id=ticket_id, actor=actor, text=command.text
        )
        if asked is not None:  # a phone note: did the callback happen?
            return [asked]
        _, ended = await self.service.resolve_noted(
            session, ticket_id=ticket_id, actor=actor, answer=command.text
        )
        done = _done("cmd.resolve_ok", turn, command)
        return [replace(done[0], text=done[0].text + resolve_mention(ended, actor.locale))]

    async def reopen(self, turn: Turn, command: Command) -> list[Notice]:
        """/reopen N [reason]."""
        ticket_id = ticket_of(command)
        await self.service.reopen(
            turn.session, ticket_id=ticket_id, actor=turn.actor, reason=command.text
        )
        return _done("cmd.reopen_ok", turn, command)

    # --- leads -----------------------------------------------------------------------------

    async def escalations(self, turn: Turn, command: Command) -> list[Notice]:
        """/eskalationen."""
        return [await self.leads.escalations(turn.session, turn.actor)]

    async def overdue(self, turn: Turn, command: Command) -> list[Notice]:
        """/ueberfaellig."""
        return [await self.leads.overdue(turn.session, turn.actor)]

    async def ack(self, turn: Turn, command: Command) -> list[Notice]:
        """/ack N: an escalation taken note of, its repeats stop."""
        return [await self.leads.ack(turn.session, turn.actor, ticket_of(command))]

    async def schedule(self, turn: Turn, command: Command) -> list[Notice]:
        """/vormerken N: the proposal goes onto the next round table."""
        number, actor = ticket_of(command), turn.actor
        told = await self.round_table.schedule(turn.session, actor=actor, proposal_id=number)
        if told == 0:
            text = t("cmd.schedule_ok_none", actor.locale, id=number)
        elif told == 1:
            text = t("cmd.schedule_ok_one", actor.locale, id=number)
        else:
            text = t("cmd.schedule_ok", actor.locale, id=number, count=told)
        return [Notice(text=text)]

    async def merge(self, turn: Turn, command: Command) -> list[Notice]:
        """/zusammenfuehren KEEP DROP: the second proposal becomes part of the first."""
        keep, drop, actor = ticket_of(command), command.other_id, turn.actor
        if drop is None:
            raise ValueError("merge needs two numbers")
        await self.round_table.merge(turn.session, actor=actor, keep_id=keep, drop_id=drop)
        return [Notice(text=t("cmd.merge_ok", actor.locale, keep=keep, drop=drop))]

    async def report(self, turn: Turn, command: Command) -> list[Notice]:
        """/bericht [YYYY-MM]: the month's figures as a table in the lead's DM."""
        today = self.clock.now().astimezone(self.tz).date()
        try:
            start, end = reports.month(self.config, command.text.strip() or None, today)
        except ValueError:
            return [Notice(text=t("report.bad_month", turn.actor.locale, p=command.prefix))]
        report = await reports.build(turn.session, self.config, self.clock, start, end)
        return [render.to_notice(self.config, report, turn.actor.locale, channel_safe=False)]

    def _team_id(self, name: str) -> str:
        for team in self.config.teams:
            if name in (team.id, team.name.de.casefold(), team.name.en.casefold()):
                return team.id
        raise UnknownTeam(
            name, team=literal(name), known=", ".join(team.id for team in self.config.teams)
        )


def _done(key: str, turn: Turn, command: Command) -> list[Notice]:
    """The confirmation of a ticket change ("Nr. 12 übernommen"), naming its ticket."""
    ticket_id = ticket_of(command)
    return [Notice(text=t(key, turn.actor.locale, id=ticket_id), ticket_id=ticket_id)]
