"""Where an inbound message goes: one declared table, read top to bottom.

Each route looks at the turn and either answers it (a list of notices, possibly empty) or
passes (None) to the next. The order is the rule book for typed answers and buttons:

0. An edit or deletion of an earlier message is never a new message: the request being
   written or the ticket follows it if that message gave the description, else nothing
   happens (bot/conversation/revisions.py).
1. A button or reaction that names its prompt is that prompt's answer, or stale. A button
   of the running dialog's open question goes on, read without its prompt id, to the
   routes below (the dialog's own); one of an earlier question is stale.
2. A command (typed, or a command button such as "claim:12") runs as a command.
3. In a team channel, nothing else is for the bot.
4. Staff: a typed pick for an open "Weitergeben" picker; then the answer owed after
   "Erledigt" (text, or its Senden/Ändern/Abbrechen buttons).
5. Text while a dialog runs and a question back came after the dialog's latest step:
   "Wozu gehört Ihre Nachricht?" (the text is held); a number answers that question while
   it is open. Else a bare number rates when a rating question is the newest question: no
   dialog step, follow-up or question back came after it.
6. A side conversation that waits (rating comment, form, newsletter, held reply) takes its
   buttons and text; any button that is not the intake's is offered to them, also while
   an intake runs (a side conversation's button never lands in the intake).
7. "abbrechen" with nothing running says there is nothing to cancel.
8. Free text with nothing running: the answer to a question back, else an addition to the
   request just filed (follow-up).
9. A button that nothing above took is stale (answered, no change), unless it is one of the
   running intake's own or an expired intake says so itself.
10. Everything else is the intake: a new request, or the next step of the running one.

Nothing here touches the transaction: the engine opens it, and commits only after a route
has answered, so the answer and every change it made commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.appointment_flow import AppointmentFlow
from bot.conversation.card_actions import OWED_PREFIX
from bot.conversation.command_runner import CommandRunner, Turn, error_notice
from bot.conversation.csat_flow import CsatFlow
from bot.conversation.dialog_prompts import DIALOG, Chat, answers_open_question
from bot.conversation.followup import QUIET_DIALOGS, followup_ticket, start_followup
from bot.conversation.intake_runner import IDLE, INTAKE
from bot.conversation.revisions import Revisions
from bot.conversation.team_pick import drop_pick, pending_pick, read_pick
from bot.conversation.which_prompt import WHICH, Pick, WhichPrompt
from bot.domain.errors import ConcurrentUpdate, HotlineError, NotAllowed
from bot.domain.lifecycle import Action, TicketStatus, is_allowed
from bot.i18n import t
from bot.kernel.actions import STALE, ButtonAction
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service import permissions
from bot.service.actors import display_name
from bot.service.feedback import status_label
from bot.service.satisfaction import RATING, REOPEN_POSITION
from dialogs.commands import Command, CommandError, command_from_action, is_command, parse_command
from dialogs.control_words import is_cancel
from dialogs.intake import UserInput, is_intake_action
from storage.models import OpenPromptRow
from storage.repositories import prompts
from storage.repositories import tickets as ticket_repo
from storage.repositories.dialog_states import StoredDialog, clear_dialog, load_dialog

Answer = list[Notice] | None
RouteStep = Callable[[Turn], Awaitable[Answer]]


@dataclass(frozen=True)
class Route:
    """One row of the table: a name for logs and docs, and the step that may take the turn."""

    name: str
    take: RouteStep


class Router:
    """Offers a turn to each route in order; the first that answers has it."""

    def __init__(self, config: OrgConfig, clock: Clock, runner: CommandRunner) -> None:
        self.config = config
        self.clock = clock
        self.runner = runner
        self.csat = next(flow for flow in runner.flows if isinstance(flow, CsatFlow))
        self.appointments = next(f for f in runner.flows if isinstance(f, AppointmentFlow))
        self.which = WhichPrompt(config, clock)
        self.revisions = Revisions(config, clock, runner.intake)
        self.routes: tuple[Route, ...] = (
            Route("revision", self.revisions.take),
            Route("prompted_button", self._prompted_button),
            Route("command", self._command),
            Route("channel_chatter", self._channel_chatter),
            Route("team_pick", self._team_pick),
            Route("owed_answer", self._owed_answer),
            Route("which_message", self._which_message),
            Route("typed_rating", self._typed_rating),
            Route("appointment_pick", self._appointment_pick),
            Route("side_flow", self._side_flow),
            Route("cancel_word", self._cancel_word),
            Route("question_back", self._question_back),
            Route("followup", self._followup),
            Route("stale_button", self._stale_button),
            Route("intake", self._intake),
        )

    async def route(self, turn: Turn) -> list[Notice]:
        """The answer of the first route that takes the turn (the intake always does)."""
        turn = await self._read_dialog_button(turn)
        for route in self.routes:
            answer = await route.take(turn)
            if answer is not None:
                return answer
        raise AssertionError("the intake route takes every turn")

    # --- 1. buttons that name their prompt ---------------------------------------------

    async def _read_dialog_button(self, turn: Turn) -> Turn:
        """A button of the running dialog's open question is read as the dialog's own, without
        its prompt id, by the routes below; any other prompt's button stays as it came."""
        action = _action(turn)
        if action is None or action.prompt is None:
            return turn
        prompt = await prompts.get_prompt(turn.session, prompt_id=action.prompt)
        if not answers_open_question(prompt, Chat(turn.key, turn.inbound.is_direct)):
            return turn
        plain = replace(action, prompt=None).encode()
        return replace(turn, inbound=replace(turn.inbound, action_id=plain))

    async def _prompted_button(self, turn: Turn) -> Answer:
        action = _action(turn)
        if action is not None and action.verb == STALE:
            return [await self._stale_about(turn, action)]
        if action is None or action.prompt is None:
            return None
        prompt = await prompts.get_prompt(turn.session, prompt_id=action.prompt)
        if prompt is not None and prompt.kind == DIALOG:
            return [await self._stale_question(turn)]  # an earlier question of a dialog
        if prompt is not None and prompt.kind == WHICH and _whose(prompt, turn):
            pick = await self.which.pressed(turn.session, turn.actor, prompt, action)
            return await self._carry_pick(turn, pick)
        if prompt is None or prompt.kind != RATING or action.verb not in ("rate", "reopen"):
            return [_stale(turn)]
        if action.verb == "reopen":
            return await self._reopen_from(turn, prompt)
        rate = Command("rate", ticket_id=prompt.ticket_id, from_button=True)
        pressed = self.csat.pressed(turn.session, turn.key, turn.actor, action, prompt)
        return await self.runner.guarded(turn, rate, pressed)

    async def _reopen_from(self, turn: Turn, prompt: OpenPromptRow) -> list[Notice]:
        """The rating question's "Wieder öffnen", pressed or typed as its number."""
        refused = await self.csat.may_reopen(turn.session, turn.actor, prompt)
        reopen = Command("reopen", ticket_id=prompt.ticket_id, from_button=True)
        return refused if refused is not None else await self.runner.run(turn, reopen)

    async def _stale_question(self, turn: Turn) -> Notice:
        """A button of a question the dialog has moved on from (or that ended): nothing
        changes, and a dialog still running is pointed to its latest question."""
        running = await self._running(turn)
        key = "prompt.stale" if running is None else "prompt.stale_question"
        return Notice(text=t(key, turn.actor.locale), channel_safe=False)

    async def _stale_about(self, turn: Turn, action: ButtonAction) -> Notice:
        """An answer to a question its message no longer offers (a reaction the card has
        dropped): say where the ticket stands, to those who may see it."""
        number = action.arg(1) if action.arg(0) == "ticket" else None
        ticket = None
        if number is not None and number.isdecimal() and len(number) <= 18:
            ticket = await ticket_repo.get_ticket(turn.session, ticket_id=int(number))
        if ticket is None or not permissions.may_view(self.config, turn.actor, ticket):
            return _stale(turn)
        loc, staff = turn.actor.locale, self._staff(turn)
        if ticket.status == TicketStatus.CLAIMED.value and ticket.assignee is not None:
            who = display_name(self.config, ticket.assignee)
            text = t("prompt.stale_claimed", loc, id=ticket.id, who=who)
        else:
            status = status_label(ticket.status, loc, staff=staff)
            text = t("prompt.stale_ticket", loc, id=ticket.id, status=status)
        return Notice(text=text, channel_safe=False)

    # --- 2. commands ---------------------------------------------------------------------

    async def _command(self, turn: Turn) -> Answer:
        inbound = turn.inbound
        command: Command | CommandError | None = None
        if inbound.action_id is not None:
            command = command_from_action(inbound.action_id)
        elif is_command(inbound.text):
            command = parse_command(inbound.text, turn.actor.locale)
        if command is None:
            return None
        if isinstance(command, CommandError):
            # "/SAP/SRM hängt" inside a running intake is text, not a command
            in_dialog = command.key == "cmd.unknown" and inbound.is_direct
            if in_dialog and await self._intake_running(turn):
                return None
            return [Notice(text=t(command.key, turn.actor.locale, **command.args))]
        return await self.runner.run(turn, command)

    async def _channel_chatter(self, turn: Turn) -> Answer:
        """Talk in a team channel is not for the bot; a button pressed there that no route
        before took (not a command's, not an open question's) is no card's of ours: stale,
        answered in the presser's DM, never silently dropped."""
        if turn.inbound.is_direct:
            return None
        return [] if turn.inbound.action_id is None else [_stale(turn)]

    # --- 4. staff: the team picker and the owed answer ---------------------------------------

    async def _team_pick(self, turn: Turn) -> Answer:
        """A staff member with an open "Weitergeben" picker typed a team's number or name
        (or "abbrechen"). A typed pick is the picker's answer: it is gone even if the
        handoff is then refused."""
        if turn.inbound.action_id is not None or not turn.text or not self._staff(turn):
            return None
        lasts = self.config.dialogs.timeout
        pick = await pending_pick(turn.session, turn.actor, now=self.clock.now(), lasts=lasts)
        if pick is None:
            return None
        reply = None
        if not await self._newer_dialog(turn, pick.since):
            reply = read_pick(pick, turn.text, turn.actor.locale)
        if reply is None or not reply.keep:
            await drop_pick(turn.session, turn.actor)
        if reply is None:
            return None
        if reply.command is not None:
            return await self.runner.run(turn, reply.command)
        return [] if reply.notice is None else [reply.notice]

    async def _owed_answer(self, turn: Turn) -> Answer:
        """A staff member pressed "Erledigt" on a card: this direct message is the answer,
        unless a dialog in this chat started later (the latest question decides)."""
        action_id = turn.inbound.action_id
        if not ((action_id or "").startswith(OWED_PREFIX) or (action_id is None and turn.text)):
            return None
        card_actions = self.runner.commands.card_actions
        owed = await card_actions.pending(turn.session, turn.actor)
        if owed is None:
            return None
        if action_id is None and await self._newer_dialog(turn, owed.since):
            # Typed text after a newer dialog began is that dialog's; a button names its
            # draft and is answered by it (sent, or stale), never taken for a move on.
            await card_actions.cancel(turn.session, turn.actor)  # moved on: /neu, a form, ...
            return None
        savepoint = await turn.session.begin_nested()
        try:
            return await card_actions.handle(
                turn.session, owed, turn.actor, turn.inbound.text, action_id
            )
        except ConcurrentUpdate:
            raise
        except HotlineError as error:  # e.g. a colleague resolved it meanwhile
            await savepoint.rollback()
            await card_actions.cancel(turn.session, turn.actor)
            if isinstance(error, NotAllowed):
                resolve = Command("resolve", ticket_id=owed.ticket_id)
                await self.runner.audit_refusal(turn, resolve, error)
            loc = turn.actor.locale
            reason = error_notice(error, loc, staff=self._staff(turn)).text
            return [Notice(text=t("card.answer_not_sent", loc, id=owed.ticket_id, reason=reason))]

    # --- 5. "Wozu gehört Ihre Nachricht?", and a typed rating ----------------------------

    async def _which_message(self, turn: Turn) -> Answer:
        """Text while a dialog runs and a question back came after its latest step: the bot
        asks where it belongs (and holds it); a typed answer to that question picks."""
        inbound = turn.inbound
        if inbound.action_id is not None or not inbound.is_direct or not turn.text:
            return None
        session, actor = turn.session, turn.actor
        running = await self._running(turn)
        prompt = await self.which.open_one(session, actor)
        if prompt is not None:
            # The lines as they were shown (the dialog's step has not moved since); with the
            # dialog gone, only the request the question was first about.
            tickets = (
                await self.which.asked_back_since(session, actor, running)
                if running is not None
                else [number for number in (prompt.ticket_id,) if number is not None]
            )
            pick = await self.which.typed(session, actor, prompt, turn.text, tickets)
            return await self._carry_pick(turn, pick)
        if running is None or not self.which.may_ask(turn.text, running):
            return None
        tickets = await self.which.asked_back_since(session, actor, running)
        return await self.which.ask(session, actor, turn.text, tickets) if tickets else None

    async def _carry_pick(self, turn: Turn, pick: Pick | list[Notice]) -> list[Notice]:
        """The held text goes where the person said: the answer to a question back, or the
        running dialog (as if typed now)."""
        if isinstance(pick, list):
            return pick
        if pick.ticket_id is not None:
            reply = Command("reply", ticket_id=pick.ticket_id, text=pick.text)
            return await self.runner.run(turn, reply)
        fed = replace(turn, inbound=replace(turn.inbound, text=pick.text, action_id=None))
        answer = await self._side_flow(fed)
        if answer is None:
            answer = await self._intake(fed)
        return answer or []

    # --- 5. a typed rating ---------------------------------------------------------------

    async def _typed_rating(self, turn: Turn) -> Answer:
        if turn.inbound.action_id is not None or not _bare_number(turn.text):
            return None
        # Any dialog step or follow-up newer than the rating question takes the number.
        live = await self._live(turn, frozenset({IDLE}))
        since = None if live is None else live.updated_at
        prompt = await self.csat.typed_question(turn.session, turn.actor, turn.text, since)
        if prompt is None:
            return None  # no savepoint, no write: most numbers are a menu's
        if turn.text.rstrip(".") == str(REOPEN_POSITION):  # the question's last line
            return await self._reopen_from(turn, prompt)
        typed = self.csat.typed(turn.session, turn.key, turn.actor, turn.text, prompt)
        return await self.runner.guarded(turn, Command("rate", ticket_id=prompt.ticket_id), typed)

    async def _appointment_pick(self, turn: Turn) -> Answer:
        """A requester's typed slot number (or "andere Termine") for their newest proposal,
        unless a dialog holds the chat (bot/conversation/appointment_flow.py)."""
        if turn.inbound.action_id is not None or not turn.inbound.is_direct:
            return None
        if await self._live(turn, frozenset({IDLE})) is not None:
            return None
        return await self.appointments.typed(turn.session, turn.actor, turn.text)

    # --- 6.-8. side conversations, the cancel word, questions back, follow-up -------------

    async def _side_flow(self, turn: Turn) -> Answer:
        action = turn.inbound.action_id
        if await self._intake_running(turn) and (action is None or is_intake_action(action)):
            return None  # the running intake's own input; other buttons are not its
        stored = await load_dialog(turn.session, key=turn.key)
        flows = self.runner.flows
        busy = stored is not None and any(stored.dialog in flow.dialogs for flow in flows)
        if not busy and turn.inbound.action_id is None:
            return None  # plain text in a plain conversation goes straight on
        for flow in flows:
            savepoint = await turn.session.begin_nested()
            try:
                answer = await flow.turn(
                    turn.session, turn.key, turn.actor, turn.text, turn.inbound.action_id
                )
            except ConcurrentUpdate:
                raise
            except HotlineError as error:
                await savepoint.rollback()
                await clear_dialog(turn.session, key=turn.key)  # the flow cannot go on
                return [error_notice(error, turn.actor.locale, staff=self._staff(turn))]
            if answer is not None:
                return answer
        return None

    async def _cancel_word(self, turn: Turn) -> Answer:
        if turn.inbound.action_id is not None or not is_cancel(turn.text):
            return None
        if await self._intake_running(turn):
            return None
        return [Notice(text=t("cmd.nothing_to_cancel", turn.actor.locale))]

    async def _question_back(self, turn: Turn) -> Answer:
        if turn.inbound.action_id is not None or not turn.text or await self._intake_running(turn):
            return None
        return await self.runner.replies.route(turn.session, turn.key, turn.actor, turn.text)

    async def _followup(self, turn: Turn) -> Answer:
        if turn.inbound.action_id is not None or not turn.text or await self._intake_running(turn):
            return None
        now, timeout = self.clock.now(), self.config.dialogs.timeout
        ticket_id = await followup_ticket(
            turn.session, key=turn.key, now=now, expires_after=timeout
        )
        if ticket_id is None or not await self._still_open(turn.session, ticket_id):
            return None
        service = self.runner.service
        await service.add_info(turn.session, ticket_id=ticket_id, actor=turn.actor, text=turn.text)
        await start_followup(turn.session, key=turn.key, ticket_id=ticket_id, at=now)
        return []

    # --- 9.-10. stale buttons and the intake --------------------------------------------

    async def _stale_button(self, turn: Turn) -> Answer:
        """A button no route took while no dialog waits for one: an old question's (an intake
        answered long ago, a card from an earlier version). Answered, nothing changes. An
        intake that expired keeps its own answer (it says so and starts afresh)."""
        action = turn.inbound.action_id
        if action is None:
            return None
        if await self._intake_running(turn):
            return None if is_intake_action(action) else [_stale(turn)]
        stored = await load_dialog(turn.session, key=turn.key)
        if stored is not None and stored.dialog == INTAKE and is_intake_action(action):
            return None  # an expired intake's own button: the intake says so itself
        return [_stale(turn)]

    async def _intake(self, turn: Turn) -> Answer:
        inbound = turn.inbound
        user = UserInput(text=inbound.text, action_id=inbound.action_id, event_id=inbound.event_id)
        return await self.runner.intake.turn(
            turn.session, key=turn.key, actor=turn.actor, profile=turn.profile, user=user
        )

    # --- what the routes ask ---------------------------------------------------------------

    async def _intake_running(self, turn: Turn) -> bool:
        return await self.runner.intake.active_state(turn.session, turn.key) is not None

    async def _running(self, turn: Turn) -> StoredDialog | None:
        """The dialog this chat is in the middle of (not idle, not just following a ticket)."""
        return await self._live(turn, QUIET_DIALOGS)

    async def _live(self, turn: Turn, ignored: frozenset[str]) -> StoredDialog | None:
        """The chat's stored dialog unless it is one of `ignored` or has expired."""
        stored = await load_dialog(turn.session, key=turn.key)
        if stored is None or stored.dialog in ignored:
            return None
        return None if stored.expired(self.clock.now(), self.config.dialogs.timeout) else stored

    async def _newer_dialog(self, turn: Turn, than: datetime) -> bool:
        """Whether this chat has a running dialog begun after `than` (or at the same moment:
        a frozen test clock)."""
        running = await self._running(turn)
        return running is not None and running.updated_at >= than

    async def _still_open(self, session: AsyncSession, ticket_id: int) -> bool:
        ticket = await ticket_repo.get_ticket(session, ticket_id=ticket_id)
        return ticket is not None and is_allowed(TicketStatus(ticket.status), Action.CUSTOMER_INFO)

    def _staff(self, turn: Turn) -> bool:
        return permissions.is_staff(self.config, turn.actor)


def _bare_number(text: str) -> bool:
    """A number and nothing else ("4", "4."): what a typed choice looks like."""
    number = text.rstrip(".")
    return number.isdecimal() and len(number) <= 3


def _whose(prompt: OpenPromptRow, turn: Turn) -> bool:
    return prompt.platform == turn.actor.platform and prompt.user_id == turn.actor.user_id


def _action(turn: Turn) -> ButtonAction | None:
    raw = turn.inbound.action_id
    return None if raw is None else ButtonAction.decode(raw)


def _stale(turn: Turn) -> Notice:
    return Notice(text=t("prompt.stale", turn.actor.locale), channel_safe=False)
