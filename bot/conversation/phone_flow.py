"""/telefon and the runner of the phone note (dialogs/phone_note.py): load, look the typed
contact up as a chat user, step, save with compare-and-set, carry out the effect.

Only first-level staff (Team BK) take calls; the note lives in their direct chat's dialog
slot like a questionnaire, so "abbrechen", /abbrechen, expiry and stale buttons behave as
in every other dialog.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.survey import intake_running
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.service.phone import FirstLevelOnly, PhoneNotes, find_chat_user, first_level_team
from bot.service.tickets import TicketService
from dialogs import phone_note as dialog
from dialogs.commands import Command
from dialogs.intake_prompts import Context
from dialogs.phone_contact import Contact, read_contact
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

PHONE_NOTE = "phone_note"


class PhoneFlow:
    """/telefon: Team BK records a call as a ticket."""

    commands = frozenset({"phone"})
    dialogs = frozenset({PHONE_NOTE})

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.notes = PhoneNotes(config, clock, TicketService(config, clock))

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """/telefon: a fresh note, for Team BK only; a request being written comes first."""
        if first_level_team(self.config, actor) is None:
            raise FirstLevelOnly("not in Team BK")
        now, timeout = self.clock.now(), self.config.dialogs.timeout
        if await intake_running(session, key=key, now=now, expires_after=timeout):
            return [Notice(text=t("phone.finish_request_first", actor.locale))]
        stored = await load_dialog(session, key=key)
        seen = None if stored is None else stored.version
        return await self._carry_out(session, key, actor, seen, dialog.start(self._ctx(actor)))

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """The next answer of a note in progress (typed or a button); None otherwise."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != PHONE_NOTE:
            return None
        if stored.expired(self.clock.now(), self.config.dialogs.timeout):
            return None  # left too long: expired like every dialog
        note = dialog.PhoneNote.from_state(stored.state)
        if note is None or not _current(note, self.config):
            await clear_dialog(session, key=key)
            return [Notice(text=t("phone.cancelled", actor.locale))]
        if action_id is not None and not dialog.is_phone_action(action_id):
            return None  # another conversation's button
        ctx = self._ctx(actor)
        typed = dialog.PhoneInput(text=text, action_id=action_id)
        if note.ask == "contact" and action_id is None:
            reading = read_contact(text)
            if not isinstance(reading, Contact) and reading == "other":
                found = await find_chat_user(session, text)
                if len(found) > 1:
                    ambiguous = Notice(text=t("phone.ambiguous_user", ctx.locale))
                    asked = dialog.PhoneStep(note, (ambiguous,))
                    return await self._carry_out(session, key, actor, stored.version, asked)
                typed = dialog.PhoneInput(text=text, known=found[0] if found else None)
        result = dialog.step(note, typed, ctx)
        return await self._carry_out(session, key, actor, stored.version, result)

    async def _carry_out(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        seen: int | None,
        result: dialog.PhoneStep,
    ) -> list[Notice]:
        """Save the step's note (compare-and-set) and do what its effect says."""
        if result.note is None:
            await clear_dialog(session, key=key)
        else:
            await save_dialog(
                session,
                key=key,
                seen_version=seen,
                dialog=PHONE_NOTE,
                state=result.note.to_state(),
                at=self.clock.now(),
            )
        if result.effect is None:
            return list(result.notices)
        call = result.effect.call
        known = None
        if call.contact_kind == "chat":
            found = await find_chat_user(session, call.contact)
            known = next((user for user in found if user.platform == call.contact_platform), None)
        ticket = await self.notes.record(session, staff=actor, call=call, known=known)
        loc = actor.locale
        if call.solved:
            done = t("phone.recorded_solved", loc, id=ticket.id)
        else:
            team = self.config.team(ticket.team_id).name.get(loc)
            done = t("phone.recorded", loc, id=ticket.id, team=team)
        return [Notice(text=done, ticket_id=ticket.id, channel_safe=False)]

    def _ctx(self, actor: Actor) -> Context:
        return Context(self.config, actor.locale)


def _current(note: dialog.PhoneNote, config: OrgConfig) -> bool:
    """Whether the group and topic a stored note names still exist in the configuration."""
    groups = {group.id for group in config.customer_groups}
    topics = {topic.id for topic in config.topics}
    return (note.group is None or note.group in groups) and (
        note.topic is None or note.topic in topics
    )
