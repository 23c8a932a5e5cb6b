"""Runs a parsed command inside the turn's transaction, and answers its refusals.

A command runs in a savepoint: a refusal (not allowed, not found, wrong status) rolls back
what it had begun and is answered in the user's language; a refused command leaves open
pickers and held replies as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.command_handlers import CommandHandlers
from bot.conversation.flows import Flow
from bot.conversation.followup import QUIET_DIALOGS
from bot.conversation.intake_runner import IntakeRunner
from bot.conversation.replies import ReplyFlow
from bot.conversation.team_pick import cancel_pick, drop_pick
from bot.domain.errors import ConcurrentUpdate, HotlineError, NotAllowed
from bot.i18n import SUPPORTED, t
from bot.kernel.clock import Clock
from bot.kernel.notices import Inbound, Notice
from bot.service import permissions
from bot.service.actors import Actor, audit_action
from bot.service.feedback import status_label
from bot.service.tickets import TicketService
from dialogs.commands import Command
from dialogs.intake import UserInput
from storage.repositories.dialog_states import ConversationKey, clear_dialog, load_dialog
from storage.repositories.profiles import StoredProfile, save_profile

log = logging.getLogger(__name__)
T = TypeVar("T")
# Commands that start the intake at a topic of this kind.
SHORTCUTS = {"complaint": "complaint", "idea": "idea", "proposal": "round_table"}
# Commands that start or end a dialog: only in a DM (a channel must not see a complaint begin).
DIALOG_COMMANDS = frozenset({"new", "cancel", *SHORTCUTS})
KEEP_HELD_REPLY = frozenset({"cancel", "reply"})  # drop it on purpose / leave it held


@dataclass(frozen=True)
class Turn:
    """One inbound message being handled: who, where, and the transaction it runs in."""

    session: AsyncSession
    inbound: Inbound
    actor: Actor
    profile: StoredProfile | None
    key: ConversationKey

    @property
    def text(self) -> str:
        """The message text without surrounding blanks."""
        return self.inbound.text.strip()


class CommandRunner:
    """Commands, the flows that own some of them, and the intake shortcuts (/beschwerde)."""

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
            notice = error_notice(error, turn.actor.locale, staff=self.is_staff(turn.actor))
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
        session, key, actor = turn.session, turn.key, turn.actor
        flow_command = any(command.name in flow.commands for flow in self.flows)
        if (command.name in DIALOG_COMMANDS or flow_command) and not turn.inbound.is_direct:
            return [Notice(text=t("cmd.direct_only", actor.locale))]
        if command.name == "new":
            return await self.intake.turn(
                session, key=key, actor=actor, profile=turn.profile, user=UserInput(), restart=True
            )
        if command.name == "cancel":
            return await self._cancel(turn)
        if command.name == "language":
            return await self._language(session, actor, command.text)
        for flow in self.flows:
            if command.name in flow.commands:
                self.commands.check_audience(command, actor)
                return await flow.command(session, command, key, actor)
        if command.name in SHORTCUTS:
            topic = self._topic_of_kind(SHORTCUTS[command.name])
            if topic is None:
                return [Notice(text=t("cmd.not_offered", actor.locale))]
            user = UserInput(text=command.text)
            return await self.intake.turn(
                session, key=key, actor=actor, profile=turn.profile, user=user, topic=topic
            )
        return await self.commands.run(session, command, actor)

    async def _cancel(self, turn: Turn) -> list[Notice]:
        """/abbrechen: an owed answer and a team picker first, else the running dialog."""
        session, key, loc = turn.session, turn.key, turn.actor.locale
        dropped = await self._cancel_card_actions(turn)
        if dropped:
            return dropped
        if await self.intake.cancel(session, key=key):
            return [Notice(text=t("intake.cancelled", loc))]
        stored = await load_dialog(session, key=key)
        if stored is not None and stored.dialog not in QUIET_DIALOGS:
            await clear_dialog(session, key=key)  # a side conversation: draft, form, ...
            return [Notice(text=t("cmd.cancelled", loc))]
        return [Notice(text=t("cmd.nothing_to_cancel", loc))]

    async def _cancel_card_actions(self, turn: Turn) -> list[Notice]:
        """/abbrechen drops both an owed "Erledigt" answer and an open team picker."""
        actor = turn.actor
        if not self.is_staff(actor):
            return []
        loc, now, lasts = actor.locale, self.clock.now(), self.config.dialogs.timeout
        answering = await self.commands.card_actions.cancel(turn.session, actor)
        picking = await cancel_pick(turn.session, actor, now=now, lasts=lasts)
        dropped = [] if answering is None else [t("card.answer_cancelled", loc, id=answering)]
        dropped += [] if picking is None else [t("card.pick_cancelled", loc, id=picking)]
        return [Notice(text=text) for text in dropped]

    async def _language(self, session: AsyncSession, actor: Actor, language: str) -> list[Notice]:
        if language not in SUPPORTED:
            return [Notice(text=t("cmd.language_bad", actor.locale))]
        await save_profile(
            session,
            platform=actor.platform,
            user_id=actor.user_id,
            at=self.clock.now(),
            locale=language,
        )
        return [Notice(text=t("cmd.language_ok", language))]

    def _topic_of_kind(self, kind: str) -> str | None:
        return next((topic.id for topic in self.config.topics if topic.kind == kind), None)


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
