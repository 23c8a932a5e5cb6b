"""The team card's buttons beyond claiming: "Weitergeben" (hand off) and "Erledigt" (resolve).

A press on "Weitergeben" (`handoff:N`) answers the presser privately with one button per
team (`handoff:N:TEAM`), so the handoff itself stays an ordinary, stateless command (typing
the team's number or name works too: bot/conversation/team_pick.py). A press
on "Erledigt" (`resolve:N`) asks for the answer to the requester; the presser's next direct
message is that answer. The pending answer is kept per person, not per conversation: the
press happens in a team channel, the answer is typed in the direct chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.team_pick import remember_pick
from bot.domain.errors import ComplaintStays, NotAllowed
from bot.domain.lifecycle import Action, TicketStatus, next_status
from bot.i18n import SUPPORTED, t
from bot.kernel.actions import SEPARATOR, ButtonAction, button
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice
from bot.service import permissions
from bot.service.actors import Actor
from bot.service.appointment_notices import resolve_mention
from bot.service.phone import PhoneNotes, is_callback
from bot.service.tickets import TicketService
from dialogs.choices import match_choice
from dialogs.control_words import is_back, is_cancel
from storage.models import TicketRow
from storage.repositories.dialog_states import (
    ConversationKey,
    StoredDialog,
    clear_dialog,
    load_dialog,
    save_dialog,
)

PENDING_ANSWER = "resolve_answer"
STAFF_SLOT = "@staff"  # the per-person slot: no platform conversation has this id


@dataclass(frozen=True)
class PendingAnswer:
    """The answer a staff member owes since pressing "Erledigt" on a ticket's card; `draft`
    is the text waiting for "Senden" (None while the bot still asks for it)."""

    ticket_id: int
    since: datetime
    draft: str | None = None
    version: int = 0


OWED = "owed"  # the verb of the buttons under a drafted answer: "owed:send:5:3"
OWED_PREFIX = OWED + SEPARATOR  # how the router tells them from other buttons
SEND, EDIT, CANCEL = button(OWED, "send"), button(OWED, "edit"), button(OWED, "cancel")
_LABELS = (("send", "button.send"), ("edit", "button.edit"), ("cancel", "button.cancel"))
# A phone note's callback: "Senden" confirms the callback happened, "Abbrechen" says not yet.
_CALLBACK_LABELS = (
    ("send", "button.callback_done"),
    ("edit", "button.edit"),
    ("cancel", "button.callback_not_yet"),
)


def confirmation_choices(
    locale: str, ticket_id: int | None = None, draft: int | None = None, *, callback: bool = False
) -> tuple[Choice, ...]:
    """Senden / Ändern / Abbrechen under a drafted answer; the buttons name the ticket and
    the draft they were shown under ("owed:send:5:3"), so an older draft's are stale."""
    about: tuple[object, ...] = () if ticket_id is None else (ticket_id, draft)
    labels = _CALLBACK_LABELS if callback else _LABELS
    return tuple(Choice(button(OWED, word, *about), t(label, locale)) for word, label in labels)


def _confirmation(owed: PendingAnswer, text: str, action_id: str | None) -> str | None:
    """Which of Senden / Ändern / Abbrechen the message chose (typed, or a button), if any."""
    if action_id is not None:
        pressed = ButtonAction.decode(action_id)
        base = None if pressed is None else ButtonAction(pressed.verb, pressed.args[:1]).encode()
        return base if base in (SEND, EDIT, CANCEL) else None
    if is_cancel(text):
        return CANCEL
    if owed.draft is None:
        return None  # still asking: everything else typed is the answer itself
    if is_back(text):
        return EDIT
    for locale in SUPPORTED:
        chosen = match_choice(confirmation_choices(locale), text=text, action_id=None)
        if chosen is not None:
            return chosen.id
    return None


def _for_this_draft(owed: PendingAnswer, action_id: str | None) -> bool:
    """Whether a Senden / Ändern / Abbrechen button was shown under the draft that waits now
    (buttons of an older draft, or of another ticket's, are stale; typed words always fit)."""
    pressed = None if action_id is None else ButtonAction.decode(action_id)
    if pressed is None or len(pressed.args) != 3:
        return True  # typed, or a button from before drafts were named
    return pressed.args[1:] == (str(owed.ticket_id), str(owed.version))


def pending_key(actor: Actor) -> ConversationKey:
    """Where a person's pending answer is kept, whichever conversation they type in."""
    return ConversationKey(actor.platform, STAFF_SLOT, actor.user_id)


class CardActions:
    """Turns card button presses into the team picker and the answer prompt."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock
        self.phone = PhoneNotes(config, clock, service)

    async def pick_team(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> Notice:
        """The presser's private choice of the team to hand `ticket_id` to."""
        ticket = await self._workable(session, ticket_id, actor, Action.HANDOFF)
        if ticket.confidential:
            raise ComplaintStays("complaints are not handed off", id=ticket.id)
        loc = actor.locale
        choices = tuple(
            Choice(button("handoff", ticket.id, team.id), team.name.get(loc))
            for team in self.config.teams
            if team.id != ticket.team_id
        )
        await remember_pick(
            session, actor, ticket_id=ticket.id, choices=choices, at=self.clock.now()
        )
        return Notice(
            title=t("ticket.title", loc, id=ticket.id),
            text=t("card.pick_team", loc, id=ticket.id),
            choices=choices,
            ticket_id=ticket.id,
            channel_safe=False,
        )

    async def ask_answer(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> Notice:
        """Remember that the presser's next direct message answers `ticket_id`; ask for it."""
        ticket = await self._workable(session, ticket_id, actor, Action.RESOLVE)
        stored = await load_dialog(session, key=pending_key(actor))
        await self._save(session, actor, {"ticket": ticket.id}, stored)
        return self._prompt(ticket, actor)

    async def draft_callback(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, text: str
    ) -> Notice | None:
        """`/erledigt N Notiz` on a phone note to call back: kept as the draft, and the
        question whether the callback happened (None: not a callback, resolve it now)."""
        ticket = await self._workable(session, ticket_id, actor, Action.RESOLVE)
        if not is_callback(ticket):
            return None
        stored = await load_dialog(session, key=pending_key(actor))
        draft = await self._save(session, actor, {"ticket": ticket.id, "text": text}, stored)
        return self._confirm(ticket, text, actor, draft)

    async def pending(self, session: AsyncSession, actor: Actor) -> PendingAnswer | None:
        """The answer this person was asked for, unless that request expired."""
        if not permissions.is_staff(self.config, actor):
            return None  # only staff can have pressed "Erledigt": requesters pay no lookup
        stored = await load_dialog(session, key=pending_key(actor))
        if stored is None or stored.dialog != PENDING_ANSWER:
            return None
        if stored.expired(self.clock.now(), self._expires_after):
            return None
        ticket, text = stored.state.get("ticket"), stored.state.get("text")
        if not isinstance(ticket, int):
            return None
        draft = text if isinstance(text, str) else None
        return PendingAnswer(ticket, stored.updated_at, draft, stored.version)

    async def handle(
        self,
        session: AsyncSession,
        owed: PendingAnswer,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice]:
        """One step of the owed answer: the text is shown for confirmation first, and only
        "Senden" resolves the ticket with it; "Ändern"/"zurück" asks again, "abbrechen" (or
        "zurück" before any text) leaves the ticket open. Other text replaces the draft."""
        loc, number = actor.locale, owed.ticket_id
        if not _for_this_draft(owed, action_id):
            return [Notice(text=t("card.draft_stale", loc, id=number), channel_safe=False)]
        chosen = _confirmation(owed, text, action_id)
        if chosen == CANCEL or (owed.draft is None and action_id is None and is_back(text)):
            await clear_dialog(session, key=pending_key(actor))
            ticket = await self.service.get(session, number)
            left = "card.callback_open" if is_callback(ticket) else "card.answer_cancelled"
            return [Notice(text=t(left, loc, id=number))]
        if chosen == SEND and owed.draft is not None:
            await clear_dialog(session, key=pending_key(actor))
            callback = is_callback(await self.service.get(session, number))
            _, ended = await self.service.resolve_noted(
                session, ticket_id=number, actor=actor, answer=owed.draft
            )
            if callback:
                await self.phone.called_back(session, ticket_id=number, actor=actor)
            done = "card.callback_resolved" if callback else "cmd.resolve_ok"
            said = t(done, loc, id=number) + resolve_mention(ended, loc)
            return [Notice(text=said, ticket_id=number)]
        stored = await load_dialog(session, key=pending_key(actor))
        # say now, not at "Senden", if the ticket cannot be resolved
        ticket = await self._workable(session, number, actor, Action.RESOLVE)
        if chosen == EDIT or action_id is not None or not text.strip():
            await self._save(session, actor, {"ticket": number}, stored)
            return [self._prompt(ticket, actor)]
        draft = await self._save(session, actor, {"ticket": number, "text": text.strip()}, stored)
        return [self._confirm(ticket, text.strip(), actor, draft)]

    async def cancel(self, session: AsyncSession, actor: Actor) -> int | None:
        """Drop a pending answer (the /abbrechen command); the ticket it was for, if any."""
        owed = await self.pending(session, actor)
        if owed is None:
            return None
        await clear_dialog(session, key=pending_key(actor))
        return owed.ticket_id

    async def _save(
        self,
        session: AsyncSession,
        actor: Actor,
        state: dict[str, object],
        stored: StoredDialog | None,
    ) -> int:
        return await save_dialog(
            session,
            key=pending_key(actor),
            seen_version=None if stored is None else stored.version,
            dialog=PENDING_ANSWER,
            state=state,
            at=self.clock.now(),
        )

    def _prompt(self, ticket: TicketRow, actor: Actor) -> Notice:
        if is_callback(ticket):
            address = literal(ticket.requester_id)
            text = t("card.callback_prompt", actor.locale, id=ticket.id, address=address)
        else:
            text = t("card.answer_prompt", actor.locale, id=ticket.id)
        return Notice(text=text, ticket_id=ticket.id, channel_safe=False)

    def _confirm(self, ticket: TicketRow, draft: str, actor: Actor, version: int) -> Notice:
        """The draft for "Senden"; for a phone note to call back: "Rückruf erfolgt?"."""
        loc, callback = actor.locale, is_callback(ticket)
        if callback:
            address = literal(ticket.requester_id)
            text = t(
                "card.callback_confirm", loc, id=ticket.id, address=address, answer=literal(draft)
            )
        else:
            text = t("card.answer_confirm", loc, id=ticket.id, answer=literal(draft))
        return Notice(
            title=t("ticket.title", loc, id=ticket.id),
            text=text,
            choices=confirmation_choices(loc, ticket.id, version, callback=callback),
            ticket_id=ticket.id,
            channel_safe=False,
        )

    @property
    def _expires_after(self) -> timedelta:
        return self.config.dialogs.timeout

    async def _workable(
        self, session: AsyncSession, ticket_id: int, actor: Actor, action: Action
    ) -> TicketRow:
        """The ticket, if `actor` may work on it and `action` is possible now (else raise)."""
        ticket = await self.service.get(session, ticket_id)
        if permissions.worker_on(self.config, actor, ticket) is None:
            raise NotAllowed("may not work on this ticket", id=ticket.id, team=ticket.team_id)
        status = TicketStatus(ticket.status)
        if action is Action.RESOLVE and status in (TicketStatus.QUEUED, TicketStatus.REOPENED):
            return ticket  # resolving an unclaimed ticket claims it first
        next_status(status, action)  # raises IllegalTransition with the status named
        return ticket
