"""/termin (/appointment) and the buttons of appointments (bot/service/appointments.py).

The agent: `/termin N Mo 10:00, 15.12. 14:30` proposes the slots at once; `/termin N`
asks for them in a one-question dialog (dialogs/appointment_dialog.py) kept in the direct
chat's dialog slot; `/termin N verschieben` asks for the new slots the same way;
`/termin N absagen` cancels. The requester: a slot's button or its typed number picks it,
"Andere Termine" asks for others, `/termin N verschieben|absagen` (or the buttons under
the confirmation) moves or cancels. Buttons name the appointment and the version they
were shown for: an older one's are stale, answered, and change nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service import appointment_notices as say
from bot.service import permissions
from bot.service.actors import Actor
from bot.service.appointments import Appointments, requester_appointments
from dialogs import appointment_dialog as dialog
from dialogs.appointment_slots import SlotProblem, read_slots
from dialogs.commands import Command
from dialogs.control_words import control_word
from storage.repositories import appointments as repo
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

MOVE_WORDS = frozenset({"verschieben", "move", "reschedule"})
CANCEL_WORDS = frozenset({"absagen", "cancel", "stornieren"})
OTHER_WORDS = frozenset({"andere termine", "andere", "other times", "other"})


class AppointmentFlow:
    """Appointments: the agent's command and dialog, the requester's choices."""

    commands = frozenset({"appointment"})
    dialogs = frozenset({dialog.APPOINTMENT_SLOTS})

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.service = Appointments(config, clock)

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """/termin N [slots | verschieben | absagen] from either side."""
        assert command.ticket_id is not None
        number, text = command.ticket_id, command.text.strip()
        word = control_word(text) if text else ""
        ticket = await self.service.ticket(session, number)
        requester = permissions.is_requester_of(actor, ticket)
        if word in CANCEL_WORDS:
            return await self.service.cancel(session, actor=actor, ticket_id=number)
        if word in MOVE_WORDS:
            if requester:
                moved = await self.service.move(session, actor=actor, ticket_id=number)
                return moved or []
            await self.service.staff_may_move(session, actor=actor, ticket_id=number)
            return await self._ask(session, key, number, actor)
        if requester:
            return await self._requester_view(session, actor, number, text)
        self.service.agent_of(ticket, actor)
        if not text:
            return await self._ask(session, key, number, actor)
        slots = read_slots(text, self.clock.now(), self.service.calendar(ticket))
        if isinstance(slots, SlotProblem):
            return [dialog.problem_notice(slots, actor.locale)]
        return await self.service.propose(session, ticket_id=number, actor=actor, slots=slots)

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """An appointment button (either side), or the agent's slots for the dialog."""
        pressed = say.parse(action_id)
        if pressed is not None:
            return await self._button(session, key, actor, pressed.args)
        if action_id is not None:
            return None
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != dialog.APPOINTMENT_SLOTS:
            return None
        if stored.expired(self.clock.now(), self.config.dialogs.timeout):
            return None
        asked = dialog.SlotsAsked.from_state(stored.state)
        if asked is None:
            await clear_dialog(session, key=key)
            return [Notice(text=t("appointment_staff.dialog_cancelled", actor.locale))]
        ticket = await self.service.ticket(session, asked.ticket)
        calendar = self.service.calendar(ticket)
        result = dialog.step(asked, text, self.clock.now(), calendar, actor.locale)
        if result.asked is None:
            await clear_dialog(session, key=key)
        if result.effect is None:
            return list(result.notices)
        effect = result.effect
        return await self.service.propose(
            session, ticket_id=effect.ticket, actor=actor, slots=effect.slots
        )

    async def typed(self, session: AsyncSession, actor: Actor, text: str) -> list[Notice] | None:
        """A requester's typed answer to their newest proposal (a slot's number, the number of
        "Andere Termine", or those words), or to a confirmation just sent ("1" or
        "verschieben", "2" or "absagen"); None for anything else (the router asks only while
        no dialog runs)."""
        word = control_word(text)
        number = int(word) if word.isdecimal() and len(word) == 1 else None
        if number is None and word not in OTHER_WORDS | MOVE_WORDS | CANCEL_WORDS:
            return None
        mine = {"platform": actor.platform, "user_id": actor.user_id}
        proposals = await requester_appointments(session, **mine)
        if proposals:
            row = proposals[0]
            if word in OTHER_WORDS or number == len(row.slots) + 1:
                return await self.service.other_times(
                    session, actor=actor, appointment_id=row.id, proposal=row.proposal
                )
            if number is None or not 1 <= number <= len(row.slots):
                return None  # not one of the slots: another menu's number, perhaps
            return await self.service.pick(
                session, actor=actor, appointment_id=row.id, proposal=row.proposal, index=number - 1
            )
        confirmed = await requester_appointments(session, **mine, status="confirmed")
        recent = self.clock.now() - self.config.dialogs.timeout
        if not confirmed or confirmed[0].updated_at < recent:
            return None  # a bare number long after: not an answer to the confirmation
        row = confirmed[0]
        if number == 1 or word in MOVE_WORDS:
            return await self.service.move(session, actor=actor, ticket_id=row.ticket_id)
        if number == 2 or word in CANCEL_WORDS:
            return await self.service.cancel(session, actor=actor, ticket_id=row.ticket_id)
        return None

    async def _button(
        self, session: AsyncSession, key: ConversationKey, actor: Actor, args: tuple[str, ...]
    ) -> list[Notice]:
        verb, numbers = args[0], [int(arg) for arg in args[1:]]
        stale = [Notice(text=t("appointment.stale", actor.locale))]
        if verb == say.PICK and len(numbers) == 3:
            appointment, proposal, index = numbers
            return await self.service.pick(
                session, actor=actor, appointment_id=appointment, proposal=proposal, index=index
            )
        if verb == say.OTHER and len(numbers) == 2:
            return await self.service.other_times(
                session, actor=actor, appointment_id=numbers[0], proposal=numbers[1]
            )
        if verb in (say.MOVE, say.CANCEL) and len(numbers) == 2:
            row = await repo.get(session, appointment_id=numbers[0])
            if row is None:
                return stale
            if verb == say.CANCEL:
                return await self.service.cancel(
                    session, actor=actor, ticket_id=row.ticket_id, sequence=numbers[1]
                )
            moved = await self.service.move(
                session, actor=actor, ticket_id=row.ticket_id, sequence=numbers[1]
            )
            if moved is not None:
                return moved
            if row.status != "confirmed" or row.sequence != numbers[1]:
                return stale
            await self.service.staff_may_move(session, actor=actor, ticket_id=row.ticket_id)
            return await self._ask(session, key, row.ticket_id, actor)
        return stale

    async def _ask(
        self, session: AsyncSession, key: ConversationKey, ticket_id: int, actor: Actor
    ) -> list[Notice]:
        """The agent's dialog: which slots?"""
        stored = await load_dialog(session, key=key)
        result = dialog.start(ticket_id, actor.locale)
        assert result.asked is not None
        await save_dialog(
            session,
            key=key,
            seen_version=None if stored is None else stored.version,
            dialog=dialog.APPOINTMENT_SLOTS,
            state=result.asked.to_state(),
            at=self.clock.now(),
        )
        return list(result.notices)

    async def _requester_view(
        self, session: AsyncSession, actor: Actor, number: int, text: str
    ) -> list[Notice]:
        """The requester's /termin N [Nummer]: pick from the proposal, or see it again."""
        row = await repo.current(session, ticket_id=number)
        if row is None:
            return [Notice(text=t("appointment.none", actor.locale, id=number))]
        ticket = await self.service.ticket(session, number)
        if row.status == "proposed":
            if text.isdecimal():
                return await self.service.pick(
                    session,
                    actor=actor,
                    appointment_id=row.id,
                    proposal=row.proposal,
                    index=int(text) - 1,
                )
            return [say.proposal(self.config, ticket, row)]
        if row.status == "confirmed":
            return [say.confirmation(self.config, ticket, row, actor.locale, staff=False)]
        return [say.said("appointment.waiting", ticket, actor.locale)]
