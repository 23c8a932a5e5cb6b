"""Runs a parsed command inside the turn's transaction, and answers its refusals.

A command runs in a savepoint: a refusal (not allowed, not found, wrong status) rolls back
what it had begun and is answered in the user's language; a refused command leaves open
pickers and held replies as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import TypeVar

from bot.config.model import OrgConfig
from bot.conversation.absence_commands import AbsenceCommands
from bot.conversation.command_handlers import CommandHandlers
from bot.conversation.command_table import command_table, flow_handlers
from bot.conversation.dialog_commands import DialogCommands
from bot.conversation.faq_flow import FaqCommands
from bot.conversation.flows import Flow
from bot.conversation.hours_command import HoursCommand
from bot.conversation.intake_runner import IntakeRunner
from bot.conversation.refusals import hidden_ticket, not_visible
from bot.conversation.relay_commands import RelayCommands
from bot.conversation.replies import ReplyFlow
from bot.conversation.team_pick import drop_pick
from bot.conversation.turn import Turn as Turn  # re-exported: the router and engine use it
from bot.domain.errors import ConcurrentUpdate, HotlineError, NotAllowed
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.people.present import standing_in
from bot.service import permissions
from bot.service.actors import Actor, audit_action
from bot.service.feedback import status_label
from bot.service.tickets import TicketService
from dialogs.commands import Command

log = logging.getLogger(__name__)
T = TypeVar("T")
KEEP_HELD_REPLY = frozenset({"cancel", "reply"})  # drop it on purpose / leave it held


class CommandRunner:
    """Runs every command through one table (bot/conversation/command_table.py), bound
    when the runner is built: the ticket commands, the dialog commands (/neu, /beschwerde)
    and the flows' commands. A missing or surplus handler fails here, at the bot's start."""

    def __init__(
        self,
        config: OrgConfig,
        clock: Clock,
        service: TicketService,
        commands: CommandHandlers,
        intake: IntakeRunner,
        replies: ReplyFlow,
        flows: list[Flow],
    ) -> None:
        self.config = config
        self.clock = clock
        self.service = service
        self.commands = commands
        self.intake = intake
        self.replies = replies
        self.flows = flows
        dialog_commands = DialogCommands(config, clock, intake, commands.card_actions)
        self.table = command_table(
            commands.handlers(),
            dialog_commands.handlers(),
            HoursCommand(config, clock).handlers(),
            AbsenceCommands(config, clock).handlers(),
            RelayCommands(config, clock).handlers(),
            FaqCommands(config, clock).handlers(),
            *(flow_handlers(flow) for flow in flows),
        )

    async def run(self, turn: Turn, command: Command) -> list[Notice]:
        """Run `command`; a refusal is answered (privately, if it came from a button)."""
        held = None
        if turn.inbound.is_direct and command.name not in KEEP_HELD_REPLY:
            held = await self.replies.held(turn.session, turn.key)

        async def work() -> list[Notice]:
            if command.name != "cancel" and self.is_staff(turn.actor):
                await drop_pick(turn.session, turn.actor)  # moved on; a refused one keeps it
            notices = await self._command(turn, command)
            if held is not None:
                await self.replies.report_if_replaced(turn.session, turn.key, turn.actor, held)
            return notices

        answer = await self.guarded(turn, command, work())
        return answer

    async def guarded(self, turn: Turn, command: Command, work: Awaitable[T]) -> T | list[Notice]:
        """`work` in a savepoint; a domain refusal rolls it back and becomes the answer (and,
        for a permission, an audit entry naming `command`)."""
        savepoint = await turn.session.begin_nested()
        try:
            return await work
        except ConcurrentUpdate:
            raise
        except HotlineError as error:
            await savepoint.rollback()
            if isinstance(error, NotAllowed):
                await self.audit_refusal(turn, command, error)
            staff = self.is_staff(turn.actor)
            hidden = await hidden_ticket(turn.session, self.config, turn.actor, error)
            if hidden is not None:
                notice = not_visible(hidden, turn.actor.locale, staff=staff)
            else:
                notice = error_notice(error, turn.actor.locale, staff=staff)
            if turn.inbound.action_id is not None:  # a button press: answer that person only
                notice = replace(notice, channel_safe=False)
            return [notice]

    async def audit_refusal(self, turn: Turn, command: Command, error: NotAllowed) -> None:
        """Every refusal is written to the audit log."""
        ticket_id = error.args_for_message.get("id") if error.about_ticket else None
        await audit_action(
            turn.session,
            turn.actor,
            "refused",
            at=self.clock.now(),
            ticket_id=ticket_id if isinstance(ticket_id, int) else None,
            detail={"command": command.name, "reason": error.key},
        )

    def is_staff(self, actor: Actor) -> bool:
        """Whether errors should speak of "the requester" rather than "you"."""
        return permissions.is_staff(self.config, actor)

    async def _command(self, turn: Turn, command: Command) -> list[Notice]:
        """The command's row of the table: refused in a channel when it is direct-only,
        then the audience check, then its handler."""
        binding = self.table.get(command.name)
        if binding is None:
            raise ValueError(f"no handler for {command.name}")
        if binding.spec.direct_only and not turn.inbound.is_direct:
            return [Notice(text=t("cmd.direct_only", turn.actor.locale))]
        if not (binding.spec.deputies and await self._stands_in(turn)):
            self.commands.check_audience(command, turn.actor)
        return await binding.handler(turn, command)

    async def _stands_in(self, turn: Turn) -> bool:
        """Whether the actor is a deputy of someone away now (the handler checks the rest)."""
        person = self.config.person_by_platform(turn.actor.platform, turn.actor.user_id)
        if person is None:
            return False
        return bool(await standing_in(turn.session, self.config, person.id, self.clock.now()))


def error_notice(error: HotlineError, locale: str, *, staff: bool = False) -> Notice:
    """A domain error in the user's language; a status is worded for staff or requester."""
    args = dict(error.args_for_message)
    if "status" in args:
        args["status"] = status_label(str(args["status"]), locale, staff=staff)
    try:
        return Notice(text=t(error.key, locale, **args))
    except (KeyError, IndexError):
        log.warning("message %s lacks arguments %s", error.key, args)
        return Notice(text=t("error.generic", locale))
