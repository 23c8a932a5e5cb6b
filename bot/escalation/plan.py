"""What the deadline sweep owes a ticket, and when: a pure function of the ticket's columns.

Every piece of due work is an `Item` with a unique key: a policy step on one deadline
instance (the moment its clock (re)started is part of the key, so a restarted clock brings
fresh steps while a pause does not), a repeat of the last escalation, an interim message to
the requester, a claim lease.
The sweep fires the items that are due and not yet recorded; `next_action_at` is the
earliest moment of any item, the one indexed column the sweep queries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from bot.config.model import DeadlineKind, EscalationStep, OrgConfig
from bot.domain.lifecycle import TicketStatus
from bot.domain.requests import PHONE
from bot.sla.calendar import WorkingCalendar
from storage.models import TicketRow

ItemKind = Literal["step", "repeat", "interim", "lease"]
_TICK = timedelta(microseconds=1)
_ACTIVE = frozenset({TicketStatus.QUEUED, TicketStatus.CLAIMED, TicketStatus.REOPENED})


# Every ticket column `items` reads: while these keep their values, its answer stays the
# same (the sweep keeps it per batch; tests/unit/test_sweep_plan_inputs.py checks the list).
INPUTS = (
    "id",
    "status",
    "paused_at",
    "team_id",
    "requester_platform",
    "requester_informed_at",
    "queued_at",
    "created_at",
    "assignee",
    "worked_at",
    "updated_at",
    "first_response_due_at",
    "first_responded_at",
    "update_due_at",
    "update_started_at",
    "resolution_due_at",
    "resolution_started_at",
    "escalated_at",
    "escalation_acked_at",
    "escalation_repeats",
)


@dataclass(frozen=True)
class Item:
    """One piece of due work for one ticket."""

    key: str
    kind: ItemKind
    moment: datetime
    step: EscalationStep | None = None
    repeat: int = 0


def items(config: OrgConfig, ticket: TicketRow, calendar: WorkingCalendar) -> list[Item]:
    """Everything the sweep will owe this ticket in its current state, earliest first.

    Nothing runs while the ticket waits for the customer or is resolved/closed. Offsets
    count office time on the team's calendar.
    """
    if TicketStatus(ticket.status) not in _ACTIVE or ticket.paused_at is not None:
        return []
    found = [*_step_items(config, ticket, calendar), *_repeat_items(config, ticket, calendar)]
    settings = config.escalation
    informed = ticket.requester_informed_at or ticket.queued_at or ticket.created_at
    if ticket.requester_platform != PHONE:  # a caller without a chat account hears nothing
        found.append(
            Item(
                f"t{ticket.id}:interim:{_stamp(informed)}",
                "interim",
                calendar.add_working_time(informed, settings.interim_update_after),
            )
        )
    if ticket.status == TicketStatus.CLAIMED and ticket.assignee is not None:
        worked = ticket.worked_at or ticket.updated_at
        moment = calendar.add_working_time(worked, settings.claim_lease)
        found.append(Item(f"t{ticket.id}:lease:{_stamp(worked)}", "lease", moment))
    return sorted(found, key=lambda item: item.moment)


class Timeline(Protocol):
    """How step offsets are counted: office time (a WorkingCalendar) or wall-clock time."""

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime: ...

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime: ...


class AroundTheClock:
    """Wall-clock offsets, for policies with `office_hours_only: false`."""

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """`start` plus `amount`, nights and holidays included (in UTC: exact across DST)."""
        return start.astimezone(UTC) + amount

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """`end` minus `amount`, nights and holidays included (in UTC: exact across DST)."""
        return end.astimezone(UTC) - amount


def step_timeline(config: OrgConfig, team_id: str, calendar: WorkingCalendar) -> Timeline:
    """The team's calendar, unless its escalation policy runs around the clock."""
    if config.escalation_policy_for(team_id).office_hours_only:
        return calendar
    return AroundTheClock()


def next_action_at(candidates: Iterable[Item], fired: Collection[str] = ()) -> datetime | None:
    """The earliest moment of an item not yet fired (None: nothing left to watch)."""
    moments = [item.moment for item in candidates if item.key not in fired]
    return min(moments) if moments else None


def refresh(config: OrgConfig, ticket: TicketRow, calendar: WorkingCalendar) -> None:
    """Recompute `next_action_at` after a change, not knowing which steps already fired.

    The result may be early (a fired step's moment): the sweep then loads the fired keys
    and stores the exact moment. It is never late, so nothing is missed.
    """
    ticket.next_action_at = next_action_at(items(config, ticket, calendar))


def deadlines(ticket: TicketRow) -> dict[DeadlineKind, tuple[datetime, datetime] | None]:
    """Each running deadline of the ticket with the moment its clock (re)started."""
    queued = ticket.queued_at or ticket.created_at
    first = None
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        first = (ticket.first_response_due_at, queued)
    update = None
    if ticket.first_responded_at is not None and ticket.update_due_at is not None:
        update = (ticket.update_due_at, ticket.update_started_at or queued)
    resolution = None
    if ticket.resolution_due_at is not None:
        resolution = (ticket.resolution_due_at, ticket.resolution_started_at or ticket.created_at)
    return {"first_response": first, "update": update, "resolution": resolution}


def _step_items(config: OrgConfig, ticket: TicketRow, calendar: WorkingCalendar) -> Iterable[Item]:
    running = deadlines(ticket)
    timeline = step_timeline(config, ticket.team_id, calendar)
    for step in config.escalation_policy_for(ticket.team_id).steps:
        deadline = running[step.deadline]
        if deadline is None:
            continue
        due, started = deadline
        if step.before:
            moment = timeline.subtract_working_time(due, step.before)
            if moment < started:  # the clock started with less time left: no reminder
                continue
        else:
            moment = timeline.add_working_time(due, step.after)
        if timeline is calendar:
            moment = in_office(calendar, moment)
        # One deadline instance per (re)start of its clock: a pause moves the due time but
        # never brings back a step that already fired.
        key = f"t{ticket.id}:{step.deadline}:{_stamp(started)}:{step.id}"
        yield Item(key, "step", moment, step=step)


def in_office(calendar: WorkingCalendar, moment: datetime) -> datetime:
    """`moment` if it lies in office hours (or closes them), else the next opening: a
    deadline clamped to 'now' on a Sunday waits until Monday morning."""
    if calendar.is_office_time(moment) or calendar.is_office_time(moment - _TICK):
        return moment
    return calendar.next_office_time(moment)


def _repeat_items(
    config: OrgConfig, ticket: TicketRow, calendar: WorkingCalendar
) -> Iterable[Item]:
    """The next repeat of the last escalation, while nobody acts and no lead acknowledged."""
    escalated = ticket.escalated_at
    if escalated is None or ticket.escalation_acked_at is not None:
        return
    if ticket.worked_at is not None and ticket.worked_at > escalated:
        return
    policy = config.escalation_policy_for(ticket.team_id)
    number = ticket.escalation_repeats + 1
    if number > policy.max_repeats:
        return
    timeline = step_timeline(config, ticket.team_id, calendar)
    moment = timeline.add_working_time(escalated, policy.repeat_every * number)
    yield Item(f"t{ticket.id}:repeat:{_stamp(escalated)}:{number}", "repeat", moment, repeat=number)


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())
