"""Appointments (Termine) on a ticket: propose slots, pick one, ask for others, move, cancel.

Every operation works in the caller's transaction and writes its notices into the outbox.
The requester gets the proposal with a button per slot; both sides get the confirmation
with the calendar file (.ics, one UID per appointment: a reschedule is the same UID with a
higher SEQUENCE, a cancellation METHOD:CANCEL). Reminders wait in the outbox (`not_before`)
for the working day before and 15 minutes before, and are taken back when the appointment
moves or is cancelled. The ticket's SLA clock rests from the confirmation until the
appointment begins (`resume_begun`, from the deadline sweep), as a question back rests it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, Person
from bot.domain.audience import internal
from bot.domain.errors import HotlineError, NotAllowed, NotYourRequest, TicketNotFound
from bot.domain.lifecycle import Action, TicketStatus, is_open
from bot.escalation import plan
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice, Outgoing, Target
from bot.service import appointment_notices as say
from bot.service import deadlines, feedback, notify, permissions
from bot.service.actors import Actor
from bot.sla.calendar import WorkingCalendar, calendar_for
from dialogs.appointment_slots import DURATION
from storage.models import AppointmentRow, TicketRow
from storage.repositories import appointments as repo
from storage.repositories import tickets as ticket_repo
from storage.repositories import trail

PROPOSED, WANTED, CONFIRMED, CANCELLED, HELD = (
    "proposed",
    "wanted",
    "confirmed",
    "cancelled",
    "held",
)

# the reminders' words, to the requester and to the agent
REMINDERS = {
    "day": ("appointment.reminder_day", "appointment_staff.reminder_day"),
    "soon": ("appointment.reminder_soon", "appointment_staff.reminder_soon"),
}
# why an appointment ends with its ticket ("closed": resolved or closed; "handoff": handed
# off to another team): what the requester and the agent read
_WITHDRAWN = {"closed": "appointment.withdrawn_closed", "handoff": "appointment.withdrawn_handoff"}
_CANCELLED = {"closed": "appointment.cancelled_closed", "handoff": "appointment.cancelled_handoff"}
_STAFF_CANCELLED = {
    "closed": "appointment_staff.cancelled_closed",
    "handoff": "appointment_staff.cancelled_handoff",
}


class NoChatContact(HotlineError):
    """A caller without a chat account cannot pick a slot in the chat."""

    key = "appointment_staff.no_chat"


class NotOpen(HotlineError):
    """Appointments are for open tickets only."""

    key = "appointment_staff.not_open"


class NothingToMove(HotlineError):
    """No appointment to move or cancel (staff side)."""

    key = "appointment_staff.nothing_to_move"


class NoAppointment(HotlineError):
    """No appointment to move or cancel (the requester's side)."""

    key = "appointment.none"


class Appointments:
    """The appointment operations; each in the caller's session."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def calendar(self, ticket: TicketRow) -> WorkingCalendar:
        """The office hours slots must lie in: the ticket's team's calendar."""
        return calendar_for(self.config, ticket.team_id)

    async def ticket(self, session: AsyncSession, ticket_id: int) -> TicketRow:
        """The ticket, or the usual error for an unknown number."""
        ticket = await ticket_repo.get_ticket(session, ticket_id=ticket_id)
        if ticket is None:
            raise TicketNotFound(str(ticket_id), id=ticket_id)
        return ticket

    def agent_of(self, ticket: TicketRow, actor: Actor) -> Person:
        """The staff member who may arrange appointments on the ticket (its team)."""
        person = permissions.worker_on(self.config, actor, ticket)
        if person is None:
            raise NotAllowed("may not work on this ticket", id=ticket.id, team=ticket.team_id)
        if not is_open(TicketStatus(ticket.status)):
            raise NotOpen("closed", id=ticket.id)
        if feedback.requester_target(ticket) is None:
            raise NoChatContact("phone caller", id=ticket.id)
        return person

    # --- the agent proposes ---------------------------------------------------------

    async def propose(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, slots: tuple[datetime, ...]
    ) -> list[Notice]:
        """Send the slots to the requester (a new proposal, or new times for the ticket's
        appointment: the earlier buttons go stale); the agent's confirmation."""
        ticket = await self.ticket(session, ticket_id)
        person = self.agent_of(ticket, actor)
        now = self.clock.now()
        row = await repo.current(session, ticket_id=ticket.id, lock=True)
        if row is None:
            row = AppointmentRow(
                ticket_id=ticket.id, status=PROPOSED, slots=[], proposal=0, sequence=0
            )
            row.created_at = now
            session.add(row)
        elif row.status == CONFIRMED:  # moved by the team: the old time is off
            await self._release(session, ticket, row)
            assert row.start_at is not None
            old = say.when(row.start_at, ticket.requester_locale, self._tz())
            await self._to_requester(
                session,
                ticket,
                say.said("appointment.moved_by_team", ticket, ticket.requester_locale, when=old),
            )
        row.status, row.slots = PROPOSED, [slot.isoformat() for slot in slots]
        row.proposal += 1
        row.agent, row.agent_platform, row.updated_at = person.id, actor.platform, now
        await session.flush()
        await self._to_requester(session, ticket, say.proposal(self.config, ticket, row))
        await self._note(session, ticket, actor, person, "appointment_proposed")
        loc = actor.locale
        listed = ", ".join(say.when(slot, loc, self._tz()) for slot in slots)
        return [say.said("appointment_staff.proposed", ticket, loc, slots=listed)]

    # --- the requester answers ------------------------------------------------------

    async def pick(
        self, session: AsyncSession, *, actor: Actor, appointment_id: int, proposal: int, index: int
    ) -> list[Notice]:
        """The requester chose slot `index` of proposal `proposal`: confirmed, both told."""
        loc = actor.locale
        row = await repo.get(session, appointment_id=appointment_id, lock=True)
        if row is None or row.status != PROPOSED or row.proposal != proposal:
            return [Notice(text=t("appointment.stale", loc))]
        ticket = await self._own(session, row, actor)
        slots = say.slots_of(row)
        if not 0 <= index < len(slots):
            return [Notice(text=t("appointment.stale", loc))]
        now = self.clock.now()
        if slots[index] <= now:
            return [Notice(text=t("appointment.slot_gone", loc))]
        if row.start_at is not None:
            row.sequence += 1  # a reschedule: the same UID, a newer version
        row.status, row.start_at, row.end_at = CONFIRMED, slots[index], slots[index] + DURATION
        row.updated_at = now
        if ticket.paused_at is None and is_open(TicketStatus(ticket.status)):
            deadlines.pause_clocks(self.config, ticket, now)
            plan.refresh(self.config, ticket, self.calendar(ticket))
            row.paused_clock = True
        await session.flush()
        await self._note(session, ticket, actor, None, "appointment_confirmed")
        rloc = ticket.requester_locale
        requester = [
            say.confirmation(self.config, ticket, row, rloc, staff=False),
            say.calendar_file(self.config, ticket, row, rloc, now),
        ]
        agent = self.config.person(row.agent)
        aloc = self.config.default_locale
        staff = [
            say.confirmation(self.config, ticket, row, aloc, staff=True),
            say.calendar_file(self.config, ticket, row, aloc, now),
        ]
        await self._tell_requester(session, ticket, requester)
        await self._to_agent(session, ticket, row, staff)
        await self._remind(session, ticket, row, agent)
        return []

    async def other_times(
        self, session: AsyncSession, *, actor: Actor, appointment_id: int, proposal: int
    ) -> list[Notice]:
        """ "Andere Termine": the agent is asked for new slots."""
        loc = actor.locale
        row = await repo.get(session, appointment_id=appointment_id, lock=True)
        if row is None or row.status != PROPOSED or row.proposal != proposal:
            return [Notice(text=t("appointment.stale", loc))]
        ticket = await self._own(session, row, actor)
        row.status, row.updated_at = WANTED, self.clock.now()
        await session.flush()
        await self._note(session, ticket, actor, None, "appointment_other_times")
        dm = say.said("appointment_staff.other_wanted", ticket, self.config.default_locale)
        await self._to_agent(session, ticket, row, [dm])
        return [say.said("appointment.other_asked", ticket, ticket.requester_locale)]

    # --- either side: move, cancel ----------------------------------------------------

    async def move(
        self, session: AsyncSession, *, actor: Actor, ticket_id: int, sequence: int | None = None
    ) -> list[Notice] | None:
        """The requester wants another time: the agent is asked for new slots. For staff:
        None (the caller asks them for the new slots, which `propose` sends)."""
        ticket = await self.ticket(session, ticket_id)
        row = await self._arranged(session, ticket, actor)
        if row is None:
            return None
        if sequence is not None and (row.status != CONFIRMED or row.sequence != sequence):
            return [Notice(text=t("appointment.stale", actor.locale))]
        if row.status != CONFIRMED:
            return [say.said("appointment.waiting", ticket, actor.locale)]
        assert row.start_at is not None
        old = say.when(row.start_at, self.config.default_locale, self._tz())
        await self._release(session, ticket, row)
        row.status, row.updated_at = WANTED, self.clock.now()
        await self._note(session, ticket, actor, None, "appointment_move_wanted")
        dm = say.said("appointment_staff.move_wanted", ticket, self.config.default_locale, when=old)
        await self._to_agent(session, ticket, row, [dm])
        return [say.said("appointment.move_asked", ticket, ticket.requester_locale)]

    async def staff_may_move(self, session: AsyncSession, *, actor: Actor, ticket_id: int) -> None:
        """Raise unless the staff member may give the ticket's appointment new times."""
        ticket = await self.ticket(session, ticket_id)
        self.agent_of(ticket, actor)
        if await repo.current(session, ticket_id=ticket.id) is None:
            raise NothingToMove("none", id=ticket.id)

    async def cancel(
        self, session: AsyncSession, *, actor: Actor, ticket_id: int, sequence: int | None = None
    ) -> list[Notice]:
        """Either side cancels: METHOD:CANCEL to both (where a time was set), the other side
        told, reminders taken back, the clock running again."""
        ticket = await self.ticket(session, ticket_id)
        row = await self._arranged(session, ticket, actor, staff_ok=True)
        staff = not permissions.is_requester_of(actor, ticket)
        if row is None:
            raise NothingToMove("none", id=ticket.id) if staff else NoAppointment("", id=ticket.id)
        if sequence is not None and (row.status != CONFIRMED or row.sequence != sequence):
            return [Notice(text=t("appointment.stale", actor.locale))]
        now = self.clock.now()
        confirmed = row.status == CONFIRMED
        await self._release(session, ticket, row)
        row.status, row.updated_at = CANCELLED, now
        if confirmed:
            row.sequence += 1
        await session.flush()
        await self._note(session, ticket, actor, None, "appointment_cancelled")
        rloc, aloc = ticket.requester_locale, self.config.default_locale
        tz = self._tz()
        at = {
            loc: "-" if row.start_at is None else say.when(row.start_at, loc, tz)
            for loc in {rloc, aloc}
        }
        key_r = "appointment.cancelled_by_team" if staff else "appointment.cancelled"
        key_a = (
            "appointment_staff.cancelled" if staff else "appointment_staff.cancelled_by_requester"
        )
        to_requester = [say.said(key_r, ticket, rloc, when=at[rloc])]
        to_agent = [say.said(key_a, ticket, aloc, when=at[aloc])]
        if confirmed:
            to_requester.append(
                say.calendar_file(self.config, ticket, row, rloc, now, cancelled=True)
            )
            to_agent.append(say.calendar_file(self.config, ticket, row, aloc, now, cancelled=True))
        await self._to_agent(session, ticket, row, to_agent)
        await self._tell_requester(session, ticket, to_requester)
        return []

    async def end_with_ticket(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        *,
        by: str | None = None,
        why: str = "closed",
    ) -> str | None:
        """The ticket is resolved or closed (`why` "closed") or handed off to another team
        ("handoff"): a confirmed appointment is cancelled (both told, METHOD:CANCEL,
        reminders taken back), an open proposal withdrawn (its buttons go stale). The
        agent's mention of it ("" for a proposal), or None when none. The agent who arranged
        it gets the cancel file; the words too unless they are `by` (the person resolving,
        whose confirmation names it)."""
        row = await repo.current(session, ticket_id=ticket.id, lock=True)
        if row is None:
            return None
        now, confirmed = self.clock.now(), row.status == CONFIRMED
        await self._release(session, ticket, row)
        row.status, row.updated_at = CANCELLED, now
        rloc, aloc = ticket.requester_locale, self.config.default_locale
        if not confirmed:
            await session.flush()
            await self._tell_requester(session, ticket, [say.said(_WITHDRAWN[why], ticket, rloc)])
            return ""
        assert row.start_at is not None
        row.sequence += 1
        await session.flush()
        at = {loc: say.when(row.start_at, loc, self._tz()) for loc in {rloc, aloc}}
        requester = [
            say.said(_CANCELLED[why], ticket, rloc, when=at[rloc]),
            say.calendar_file(self.config, ticket, row, rloc, now, cancelled=True),
        ]
        agent = [say.calendar_file(self.config, ticket, row, aloc, now, cancelled=True)]
        if by is None or by != row.agent:
            told = say.said(_STAFF_CANCELLED[why], ticket, aloc, when=at[aloc])
            agent.insert(0, told)
        await self._to_agent(session, ticket, row, agent)
        await self._tell_requester(session, ticket, requester)
        return at[aloc]

    # --- the sweep ------------------------------------------------------------------------

    async def resume_begun(self, session: AsyncSession) -> int:
        """Appointments whose time has come are held; their tickets' clocks run again."""
        now = self.clock.now()
        rows = await repo.begun(session, now=now)
        for row in rows:
            ticket = await ticket_repo.get_ticket(session, ticket_id=row.ticket_id)
            row.status, row.updated_at = HELD, now
            if ticket is not None:
                self._resume(ticket, row, now)
        await session.flush()
        return len(rows)

    # --- helpers --------------------------------------------------------------------------

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.calendar.timezone)

    async def _own(self, session: AsyncSession, row: AppointmentRow, actor: Actor) -> TicketRow:
        ticket = await self.ticket(session, row.ticket_id)
        if not permissions.is_requester_of(actor, ticket):
            raise NotYourRequest("not the requester", id=ticket.id)
        return ticket

    async def _arranged(
        self, session: AsyncSession, ticket: TicketRow, actor: Actor, *, staff_ok: bool = False
    ) -> AppointmentRow | None:
        """The ticket's appointment for the requester; for staff (when `staff_ok`) too."""
        if not permissions.is_requester_of(actor, ticket):
            if permissions.worker_on(self.config, actor, ticket) is None:
                raise NotYourRequest("not the requester", id=ticket.id)
            if not staff_ok:
                return None
        row = await repo.current(session, ticket_id=ticket.id, lock=True)
        if row is None and permissions.is_requester_of(actor, ticket):
            raise NoAppointment("", id=ticket.id)
        return row

    async def _release(self, session: AsyncSession, ticket: TicketRow, row: AppointmentRow) -> None:
        """The appointment's time is off: reminders taken back, the clock runs again."""
        await repo.drop_reminders(session, appointment_id=row.id)
        self._resume(ticket, row, self.clock.now())

    def _resume(self, ticket: TicketRow, row: AppointmentRow, now: datetime) -> None:
        """Run the clock again if this appointment rested it (a question back keeps it)."""
        waiting = ticket.status == TicketStatus.WAITING_FOR_CUSTOMER.value
        ours = row.paused_clock and ticket.paused_at is not None
        if ours and is_open(TicketStatus(ticket.status)) and not waiting:
            deadlines.resume_clocks(self.config, ticket, now)
            plan.refresh(self.config, ticket, self.calendar(ticket))
        row.paused_clock = False

    async def _remind(
        self, session: AsyncSession, ticket: TicketRow, row: AppointmentRow, agent: Person | None
    ) -> None:
        """The reminders, waiting in the outbox until their moment."""
        assert row.start_at is not None
        calendar, now, tz = self.calendar(ticket), self.clock.now(), self._tz()
        day_before = _working_day_before(calendar, row.start_at)
        rloc, aloc = ticket.requester_locale, self.config.default_locale
        requester = feedback.requester_target(ticket)
        staff_targets = [] if agent is None else await self._agent_targets(session, ticket, row)
        for kind, at in say.reminder_moments(row.start_at, day_before, now).items():
            items: list[Outgoing] = []
            if requester is not None:
                text = say.said(
                    REMINDERS[kind][0],
                    ticket,
                    rloc,
                    when=say.when(row.start_at, rloc, tz),
                )
                items.append(Outgoing(requester, text))
            dm = say.said(
                REMINDERS[kind][1],
                ticket,
                aloc,
                when=say.when(row.start_at, aloc, tz),
            )
            items += [Outgoing(target, dm) for target in staff_targets]
            prefix = f"{repo.reminder_prefix(row.id)}{row.sequence}-{kind}"
            await notify.send(session, items, at=now, dedupe_prefix=prefix, not_before=at)

    async def _agent_targets(
        self, session: AsyncSession, ticket: TicketRow, row: AppointmentRow
    ) -> list[Target]:
        """The agent's DM, on the platform they proposed from where they are known there."""
        person = self.config.person(row.agent)
        if person is None:
            return []
        return notify.person_targets(self.config, person, prefer=row.agent_platform)

    async def _to_agent(
        self, session: AsyncSession, ticket: TicketRow, row: AppointmentRow, notices: list[Notice]
    ) -> None:
        targets = await self._agent_targets(session, ticket, row)
        items = [Outgoing(target, notice) for notice in notices for target in targets]
        await notify.send(session, items, at=self.clock.now())

    async def _to_requester(self, session: AsyncSession, ticket: TicketRow, notice: Notice) -> None:
        await self._tell_requester(session, ticket, [notice])

    async def _tell_requester(
        self, session: AsyncSession, ticket: TicketRow, notices: list[Notice]
    ) -> None:
        target = feedback.requester_target(ticket)
        if target is None:
            return
        ticket.requester_informed_at = self.clock.now()
        await notify.send(session, [Outgoing(target, n) for n in notices], at=self.clock.now())

    async def _note(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        actor: Actor,
        person: Person | None,
        about: str,
    ) -> None:
        """The trail's record of the step (staff-only, like a phone note's)."""
        await trail.append_event(
            session,
            ticket_id=ticket.id,
            at=self.clock.now(),
            action=Action.NOTE.value,
            from_status=ticket.status,
            to_status=ticket.status,
            actor_platform=actor.platform,
            actor_id=actor.user_id,
            actor_person=None if person is None else person.id,
            audience=internal(confidential=ticket.confidential),
            data={"about": about},
        )


def _working_day_before(calendar: WorkingCalendar, start: datetime) -> datetime | None:
    """The opening of the last working day before the appointment's day."""
    day = start.astimezone(calendar.tz).date()
    for _ in range(31):
        day -= timedelta(days=1)
        intervals = calendar.office_intervals(day)
        if intervals:
            return intervals[0][0]
    return None


async def requester_appointments(
    session: AsyncSession, *, platform: str, user_id: str, status: str = PROPOSED
) -> list[AppointmentRow]:
    """This requester's appointments in `status`, the latest changed first (a typed number
    answers the newest proposal, or the newest confirmation's "Verschieben"/"Absagen")."""
    query = select(TicketRow.id).where(
        TicketRow.requester_platform == platform, TicketRow.requester_id == user_id
    )
    ids = list((await session.scalars(query)).all())
    return await repo.latest_in(session, ticket_ids=ids, status=status)
