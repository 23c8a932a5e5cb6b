"""The agent's short dialog when `/termin N` comes without slots: "which times?".

Pure like the phone note: `step(asked, text, now, calendar, locale)` -> (state, notices,
effect). One question, asked again with the reason until the typed slots can be proposed
(inside office hours, not in the past, at most three); "abbrechen" ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.i18n import t
from bot.kernel.markup import literal
from bot.kernel.notices import Notice
from bot.sla.calendar import WorkingCalendar
from dialogs.appointment_slots import SlotProblem, read_slots
from dialogs.control_words import is_cancel

APPOINTMENT_SLOTS = "appointment_slots"  # the dialog slot's name


@dataclass(frozen=True)
class SlotsAsked:
    """The agent was asked for slots for this ticket."""

    ticket: int

    def to_state(self) -> dict[str, Any]:
        """As stored in the dialog slot."""
        return {"ticket": self.ticket}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SlotsAsked | None:
        """Back from the dialog slot; None for anything else."""
        ticket = state.get("ticket")
        if set(state) != {"ticket"} or not isinstance(ticket, int) or isinstance(ticket, bool):
            return None
        return cls(ticket)


@dataclass(frozen=True)
class Propose:
    """Effect: send these slots to the requester of the ticket."""

    ticket: int
    slots: tuple[datetime, ...]


@dataclass(frozen=True)
class SlotStep:
    """The state to keep (None: over), what to say, what to do."""

    asked: SlotsAsked | None
    notices: tuple[Notice, ...] = ()
    effect: Propose | None = None


def start(ticket: int, locale: str) -> SlotStep:
    """Ask for the slots."""
    return SlotStep(SlotsAsked(ticket), (question(ticket, locale),))


def question(ticket: int, locale: str) -> Notice:
    """ "Termin zu Ticket 12: bitte bis zu drei Termine ..." """
    return Notice(text=t("appointment_staff.ask_slots", locale, id=ticket), channel_safe=False)


def problem_notice(problem: SlotProblem, locale: str) -> Notice:
    """What is wrong with the typed slots, politely."""
    return Notice(text=t(problem.key, locale, slot=literal(problem.slot)), channel_safe=False)


def step(
    asked: SlotsAsked, text: str, now: datetime, calendar: WorkingCalendar, locale: str
) -> SlotStep:
    """The agent's answer: slots to propose, or the reason they cannot be, and the question
    again."""
    if is_cancel(text):
        return SlotStep(None, (Notice(text=t("appointment_staff.dialog_cancelled", locale)),))
    slots = read_slots(text, now, calendar)
    if isinstance(slots, SlotProblem):
        return SlotStep(asked, (problem_notice(slots, locale), question(asked.ticket, locale)))
    return SlotStep(None, (), Propose(asked.ticket, slots))
