"""The inbound pipeline: dedupe, route to a command or the dialog, answer through the outbox.

One inbound event is one transaction: the dedupe row, the dialog state (compare-and-set),
the ticket changes and every answer commit together, or not at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.card_actions import OWED_PREFIX
from bot.clock import Clock
from bot.command_handlers import CommandHandlers
from bot.config.model import OrgConfig
from bot.domain.errors import ConcurrentUpdate, HotlineError, NotAllowed
from bot.domain.lifecycle import Action, TicketStatus, is_allowed
from bot.flows import Flow, build_flows
from bot.i18n import SUPPORTED, chosen_locale, normalise_locale, t
from bot.notices import Inbound, Notice, Outgoing, Target
from bot.replies import ReplyFlow
from bot.service import notify, permissions
from bot.service.actors import Actor, audit_action
from bot.service.feedback import status_label
from bot.service.tickets import TicketService
from bot.team_pick import cancel_pick, drop_pick, pending_pick, read_pick
from dialogs.commands import Command, CommandError, command_from_action, is_command, parse_command
from dialogs.control_words import is_cancel
from dialogs.followup import QUIET_DIALOGS, followup_ticket, start_followup
from dialogs.intake import UserInput
from dialogs.runner import IntakeRunner
from storage.repositories import audit
from storage.repositories import inbound as inbound_repo
from storage.repositories import tickets as ticket_repo
from storage.repositories.dialog_states import ConversationKey, clear_dialog, load_dialog
from storage.repositories.profiles import StoredProfile, load_profile, save_profile

log = logging.getLogger(__name__)
MAX_RACE_RETRIES = 3
# Commands that start the intake at a topic of this kind.
SHORTCUTS = {"complaint": "complaint", "idea": "idea", "proposal": "round_table"}
# Commands that start or end a dialog: only in a DM (a channel must not see a complaint begin).
DIALOG_COMMANDS = frozenset({"new", "cancel", *SHORTCUTS})
MAX_NAME = 200
KEEP_HELD_REPLY = frozenset({"cancel", "reply"})  # drop it on purpose / leave it held


class Engine:
    """Turns inbound messages into ticket changes and answers."""

    def __init__(
        self,
        config: OrgConfig,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.service = TicketService(config, clock)
        self.commands = CommandHandlers(config, self.service, clock)
        self.intake = IntakeRunner(config, self.service, clock)
        self.replies = ReplyFlow(config, self.service, clock)
        self.flows: list[Flow] = [*build_flows(config, clock), self.replies]
        self.on_outbox = on_outbox

    async def handle(self, inbound: Inbound) -> bool:
        """Process one inbound event exactly once; False if it was a duplicate."""
        inbound = replace(inbound, text=clean_text(inbound.text))
        for _attempt in range(MAX_RACE_RETRIES):
            try:
                handled = await self._handle_once(inbound)
            except (ConcurrentUpdate, IntegrityError):
                log.info("lost a race on %s/%s, retrying", inbound.platform, inbound.event_id)
                continue
            except Exception:
                log.exception("inbound %s/%s failed", inbound.platform, inbound.event_id)
                handled = await self._apologise(inbound)
            if handled:
                self.on_outbox()
            return handled
        return await self._apologise(inbound)

    async def _handle_once(self, inbound: Inbound) -> bool:
        async with self.sessions() as session, session.begin():
            now = self.clock.now()
            if not await self._first_time(session, inbound):
                return False
            actor, profile = await self._requester(session, inbound)
            limit = self.config.dialogs.max_message_length
            addressed_to_bot = inbound.is_direct or is_command(inbound.text)
            if len(inbound.text) > limit and addressed_to_bot:
                answers = [
                    Notice(
                        text=t(
                            "message.too_long", actor.locale, length=len(inbound.text), limit=limit
                        )
                    )
                ]
            else:
                answers = await self._dispatch(session, inbound, actor, profile)
            await notify.send(session, addressed(inbound, answers), at=now)
            return True

    async def _first_time(self, session: AsyncSession, inbound: Inbound) -> bool:
        return await inbound_repo.remember_event(
            session,
            platform=inbound.platform,
            event_id=inbound.event_id,
            received_at=self.clock.now(),
        )

    async def _apologise(self, inbound: Inbound) -> bool:
        """Something broke: keep the message in the audit log and tell the user, never a trace."""
        try:
            async with self.sessions() as session, session.begin():
                if not await self._first_time(session, inbound):
                    return False
                actor, _profile = await self._requester(session, inbound)
                await audit.audit(
                    session,
                    at=self.clock.now(),
                    platform=inbound.platform,
                    user_id=inbound.user_id,
                    action="inbound_failed",
                    detail={
                        "event_id": inbound.event_id,
                        "text": inbound.text,
                        "action_id": inbound.action_id,
                    },
                )
                notice = Notice(text=t("error.internal", actor.locale))
                await notify.send(session, addressed(inbound, [notice]), at=self.clock.now())
        except Exception:
            log.exception(
                "could not even apologise for %s; the platform may redeliver", inbound.event_id
            )
            raise
        self.on_outbox()
        return True

    async def _dispatch(
        self,
        session: AsyncSession,
        inbound: Inbound,
        actor: Actor,
        profile: StoredProfile | None,
    ) -> list[Notice]:
        command: Command | CommandError | None = None
        if inbound.action_id is not None:
            command = command_from_action(inbound.action_id)
        elif is_command(inbound.text):
            command = parse_command(inbound.text, actor.locale)
        if isinstance(command, CommandError):
            # "/SAP/SRM hängt" inside a running intake is text, not a command
            in_dialog = command.key == "cmd.unknown" and inbound.is_direct
            if in_dialog and await self.intake.active_state(session, conversation_key(inbound)):
                return await self._converse(session, inbound, actor, profile)
            return [Notice(text=t(command.key, actor.locale, **command.args))]
        if command is not None:
            return await self._run_command(session, command, inbound, actor, profile)
        if not inbound.is_direct:
            return []  # team-channel chatter that is not addressed to the bot as a command
        if inbound.action_id is None and inbound.text.strip():
            picked = await self._typed_team_pick(session, inbound, actor, profile)
            if picked is not None:
                return picked
        owed_button = (inbound.action_id or "").startswith(OWED_PREFIX)
        if owed_button or (inbound.action_id is None and inbound.text.strip()):
            answer = await self._pending_answer(session, inbound, actor)
            if answer is not None:
                return answer
        return await self._converse(session, inbound, actor, profile)

    async def _pending_answer(
        self, session: AsyncSession, inbound: Inbound, actor: Actor
    ) -> list[Notice] | None:
        """A staff member pressed "Erledigt" on a card: this direct message is the answer,
        unless a dialog in this chat started later (the latest question decides)."""
        card_actions = self.commands.card_actions
        owed = await card_actions.pending(session, actor)
        if owed is None:
            return None
        if await self._newer_dialog(session, inbound, owed.since):
            await card_actions.cancel(session, actor)  # they moved on: /neu, a form, ...
            return None
        ticket_id = owed.ticket_id
        savepoint = await session.begin_nested()
        try:
            return await card_actions.handle(session, owed, actor, inbound.text, inbound.action_id)
        except ConcurrentUpdate:
            raise
        except HotlineError as error:  # e.g. a colleague resolved it meanwhile
            await savepoint.rollback()
            await card_actions.cancel(session, actor)
            if isinstance(error, NotAllowed):
                resolve = Command("resolve", ticket_id=ticket_id)
                await self._audit_refusal(session, resolve, actor, error)
            reason = error_notice(error, actor.locale, staff=self._staff(actor)).text
            return [
                Notice(text=t("card.answer_not_sent", actor.locale, id=ticket_id, reason=reason))
            ]

    async def _typed_team_pick(
        self,
        session: AsyncSession,
        inbound: Inbound,
        actor: Actor,
        profile: StoredProfile | None,
    ) -> list[Notice] | None:
        """A staff member with an open "Weitergeben" picker typed a team's number or name
        (or "abbrechen"); None when the message is about something else. A typed pick is
        the picker's answer: it is gone even if the handoff is then refused."""
        if not self._staff(actor):
            return None
        lasts = self.config.dialogs.timeout
        pick = await pending_pick(session, actor, now=self.clock.now(), lasts=lasts)
        if pick is None:
            return None
        reply = None
        if not await self._newer_dialog(session, inbound, pick.since):
            reply = read_pick(pick, inbound.text, actor.locale)
        if reply is None or not reply.keep:
            await drop_pick(session, actor)
        if reply is None:
            return None
        if reply.command is not None:
            return await self._run_command(session, reply.command, inbound, actor, profile)
        return [] if reply.notice is None else [reply.notice]

    async def _cancel_card_actions(self, session: AsyncSession, actor: Actor) -> list[Notice]:
        """/abbrechen drops both an owed "Erledigt" answer and an open team picker."""
        if not self._staff(actor):
            return []
        loc, now, lasts = actor.locale, self.clock.now(), self.config.dialogs.timeout
        answering = await self.commands.card_actions.cancel(session, actor)
        picking = await cancel_pick(session, actor, now=now, lasts=lasts)
        dropped = [] if answering is None else [t("card.answer_cancelled", loc, id=answering)]
        dropped += [] if picking is None else [t("card.pick_cancelled", loc, id=picking)]
        return [Notice(text=text) for text in dropped]

    async def _newer_dialog(self, session: AsyncSession, inbound: Inbound, than: datetime) -> bool:
        """Whether this chat has a running dialog (an intake, a form, ...) begun after `than`
        (or at the same moment: a frozen test clock)."""
        stored = await load_dialog(session, key=conversation_key(inbound))
        if stored is None or stored.dialog in QUIET_DIALOGS:
            return False
        running = not stored.expired(self.clock.now(), self.config.dialogs.timeout)
        return running and stored.updated_at >= than

    async def _run_command(
        self,
        session: AsyncSession,
        command: Command,
        inbound: Inbound,
        actor: Actor,
        profile: StoredProfile | None,
    ) -> list[Notice]:
        key = conversation_key(inbound)
        held = None
        if inbound.is_direct and command.name not in KEEP_HELD_REPLY:
            held = await self.replies.held(session, key)
        savepoint = await session.begin_nested()
        try:
            if command.name != "cancel" and self._staff(actor):
                await drop_pick(session, actor)  # moved on; a refused command keeps it
            notices = await self._command(session, command, inbound, actor, profile)
            if held is not None:
                await self.replies.report_if_replaced(session, key, actor, held)
            return notices
        except ConcurrentUpdate:
            raise
        except HotlineError as error:
            await savepoint.rollback()
            if isinstance(error, NotAllowed):
                await self._audit_refusal(session, command, actor, error)
            notice = error_notice(error, actor.locale, staff=self._staff(actor))
            if inbound.action_id is not None:  # a button press: answer that person privately
                notice = replace(notice, channel_safe=False)
            return [notice]

    async def _command(
        self,
        session: AsyncSession,
        command: Command,
        inbound: Inbound,
        actor: Actor,
        profile: StoredProfile | None,
    ) -> list[Notice]:
        key = conversation_key(inbound)
        flow_command = any(command.name in flow.commands for flow in self.flows)
        if (command.name in DIALOG_COMMANDS or flow_command) and not inbound.is_direct:
            return [Notice(text=t("cmd.direct_only", actor.locale))]
        if command.name == "new":
            return await self.intake.turn(
                session, key=key, actor=actor, profile=profile, user=UserInput(), restart=True
            )
        if command.name == "cancel":
            dropped = await self._cancel_card_actions(session, actor)
            if dropped:
                return dropped
            cancelled = await self.intake.cancel(session, key=key)
            if cancelled:
                return [Notice(text=t("intake.cancelled", actor.locale))]
            stored = await load_dialog(session, key=key)
            if stored is not None and stored.dialog not in QUIET_DIALOGS:
                await clear_dialog(session, key=key)  # a side conversation: draft, form, ...
                return [Notice(text=t("cmd.cancelled", actor.locale))]
            return [Notice(text=t("cmd.nothing_to_cancel", actor.locale))]
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
                session, key=key, actor=actor, profile=profile, user=user, topic=topic
            )
        return await self.commands.run(session, command, actor)

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

    def _staff(self, actor: Actor) -> bool:
        """Whether errors should speak of "the requester" rather than "you"."""
        return permissions.is_staff(self.config, actor)

    def _topic_of_kind(self, kind: str) -> str | None:
        return next((topic.id for topic in self.config.topics if topic.kind == kind), None)

    async def _audit_refusal(
        self, session: AsyncSession, command: Command, actor: Actor, error: NotAllowed
    ) -> None:
        ticket_id = error.args_for_message.get("id") if error.about_ticket else None
        await audit_action(
            session,
            actor,
            "refused",
            at=self.clock.now(),
            ticket_id=ticket_id if isinstance(ticket_id, int) else None,
            detail={"command": command.name, "reason": error.key},
        )

    async def _converse(
        self,
        session: AsyncSession,
        inbound: Inbound,
        actor: Actor,
        profile: StoredProfile | None,
    ) -> list[Notice]:
        key = conversation_key(inbound)
        user = UserInput(text=inbound.text, action_id=inbound.action_id)
        text = inbound.text.strip()
        stored = await load_dialog(session, key=key)
        idle = await self.intake.active_state(session, key) is None
        busy = {flow for flow in self.flows if stored is not None and stored.dialog in flow.dialogs}
        if idle and (busy or inbound.action_id is not None):
            # Only a flow that keeps this conversation's state, or a button, may claim it:
            # plain text in a plain conversation goes straight on (no extra round trips).
            for flow in self.flows:
                answer = await self._flow_turn(session, flow, key, actor, inbound)
                if answer is not None:
                    return answer
        if idle and inbound.action_id is None and is_cancel(text):
            # "abbrechen" with no input running: say so instead of starting the greeting
            return [Notice(text=t("cmd.nothing_to_cancel", actor.locale))]
        if idle and text:
            now = self.clock.now()
            reply = await self.replies.route(session, key, actor, text)  # a question waits?
            if reply is not None:
                return reply
            timeout = self.config.dialogs.timeout
            ticket_id = await followup_ticket(session, key=key, now=now, expires_after=timeout)
            if ticket_id is not None and await self._still_open(session, ticket_id):
                await self.service.add_info(session, ticket_id=ticket_id, actor=actor, text=text)
                await start_followup(session, key=key, ticket_id=ticket_id, at=now)
                return []
        return await self.intake.turn(session, key=key, actor=actor, profile=profile, user=user)

    async def _flow_turn(
        self,
        session: AsyncSession,
        flow: Flow,
        key: ConversationKey,
        actor: Actor,
        inbound: Inbound,
    ) -> list[Notice] | None:
        """A flow's claim on this message; its refusals are answered like a command's."""
        savepoint = await session.begin_nested()
        try:
            return await flow.turn(session, key, actor, inbound.text.strip(), inbound.action_id)
        except ConcurrentUpdate:
            raise
        except HotlineError as error:
            await savepoint.rollback()
            await clear_dialog(session, key=key)  # the flow cannot go on: free the slot
            return [error_notice(error, actor.locale, staff=self._staff(actor))]

    async def _still_open(self, session: AsyncSession, ticket_id: int) -> bool:
        ticket = await ticket_repo.get_ticket(session, ticket_id=ticket_id)
        return ticket is not None and is_allowed(TicketStatus(ticket.status), Action.CUSTOMER_INFO)

    async def _requester(
        self, session: AsyncSession, inbound: Inbound
    ) -> tuple[Actor, StoredProfile | None]:
        """Who wrote, and their profile as stored: read once per turn, handed on from here."""
        profile = await load_profile(session, platform=inbound.platform, user_id=inbound.user_id)
        chosen = chosen_locale(profile.locale) if profile else None
        locale = normalise_locale(chosen or inbound.locale)  # /sprache wins, else the platform
        name = inbound.display_name[:MAX_NAME] if inbound.display_name else None
        return Actor(inbound.platform, inbound.user_id, name, locale), profile


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters (NUL breaks PostgreSQL text) but keep tabs and line breaks."""
    return _CONTROL.sub("", text)


def conversation_key(inbound: Inbound) -> ConversationKey:
    """The explicit key a dialog state is stored under."""
    return ConversationKey(inbound.platform, inbound.conversation_id, inbound.user_id)


def reply_target(inbound: Inbound) -> Target:
    """Answers go back where the message came from: the DM or the team channel."""
    if inbound.is_direct:
        return Target(inbound.platform, "user", inbound.user_id)
    return Target(inbound.platform, "channel", inbound.channel_id or inbound.conversation_id)


def addressed(inbound: Inbound, answers: list[Notice]) -> list[Outgoing]:
    """Address answers; confidential ones asked for in a channel go to the asker's DM instead."""
    target = reply_target(inbound)
    direct = Target(inbound.platform, "user", inbound.user_id)
    return [Outgoing(target if notice.channel_safe else direct, notice) for notice in answers]


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
