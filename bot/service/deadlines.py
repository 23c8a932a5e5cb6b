"""A ticket's SLA clock: start, pause while waiting for the customer, resume, and the next deadline.

The deadlines are plain columns on the ticket; `next_due_at` is the earliest one that still
runs, so the deadline sweep finds due tickets with one indexed query.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config.model import Level, OrgConfig
from bot.sla.calendar import WorkingCalendar, calendar_for
from bot.sla.policies import due_after_resume, due_at, remaining_at_pause
from storage.models import TicketRow

_CLOCKS = ("first_response", "resolution", "update")


def team_calendar(config: OrgConfig, team_id: str) -> WorkingCalendar:
    """The working calendar of a team (base calendar plus its own closure days)."""
    return calendar_for(config, team_id)


def start_clocks(config: OrgConfig, ticket: TicketRow, now: datetime) -> None:
    """Set all three deadlines of a ticket that has just been queued at its team."""
    calendar = team_calendar(config, ticket.team_id)
    targets = config.sla.targets_for(Level(ticket.level))
    policies = config.sla.policies
    ticket.first_response_due_at = due_at(policies[targets.first_response], calendar, now)
    ticket.resolution_due_at = due_at(policies[targets.resolution], calendar, now)
    ticket.update_due_at = due_at(policies[targets.update], calendar, now)
    ticket.update_started_at = ticket.resolution_started_at = now
    refresh_next_due(ticket)


def restart_reaction(config: OrgConfig, ticket: TicketRow, now: datetime) -> None:
    """After a handoff the receiving team owes its own reaction: a new first-response clock."""
    calendar = team_calendar(config, ticket.team_id)
    targets = config.sla.targets_for(Level(ticket.level))
    ticket.first_responded_at = None
    ticket.first_response_due_at = due_at(
        config.sla.policies[targets.first_response], calendar, now
    )
    touch_update_clock(config, ticket, now)


def touch_update_clock(config: OrgConfig, ticket: TicketRow, now: datetime) -> None:
    """A public reply or status change restarts the 'no silence' update deadline."""
    calendar = team_calendar(config, ticket.team_id)
    targets = config.sla.targets_for(Level(ticket.level))
    ticket.update_due_at = due_at(config.sla.policies[targets.update], calendar, now)
    ticket.update_started_at = now
    refresh_next_due(ticket)


def record_first_response(ticket: TicketRow, now: datetime) -> None:
    """The team reacted: the first-response deadline is met (or late, but done)."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    refresh_next_due(ticket)


def pause_clocks(config: OrgConfig, ticket: TicketRow, now: datetime) -> None:
    """Waiting for the customer: keep the working time each running deadline had left."""
    calendar = team_calendar(config, ticket.team_id)
    for name in _CLOCKS:
        due = getattr(ticket, f"{name}_due_at")
        remaining = None if due is None else remaining_at_pause(calendar, due, now)
        setattr(ticket, f"{name}_remaining_s", _seconds(remaining))
    ticket.paused_at = now
    refresh_next_due(ticket)


def resume_clocks(config: OrgConfig, ticket: TicketRow, now: datetime) -> None:
    """The customer answered: each deadline resumes with the working time it had left."""
    calendar = team_calendar(config, ticket.team_id)
    for name in _CLOCKS:
        seconds = getattr(ticket, f"{name}_remaining_s")
        if seconds is not None:
            due = due_after_resume(calendar, timedelta(seconds=seconds), now)
            setattr(ticket, f"{name}_due_at", due)
        setattr(ticket, f"{name}_remaining_s", None)
    ticket.paused_at = None
    refresh_next_due(ticket)


def stop_clocks(ticket: TicketRow) -> None:
    """Resolved or closed: no deadline runs any more."""
    ticket.paused_at = None
    ticket.next_due_at = None


def refresh_next_due(ticket: TicketRow) -> None:
    """Recompute `next_due_at`: the earliest running deadline, None while paused."""
    if ticket.paused_at is not None:
        ticket.next_due_at = None
        return
    candidates = [ticket.resolution_due_at, ticket.update_due_at]
    if ticket.first_responded_at is None:
        candidates.append(ticket.first_response_due_at)
    running = [due for due in candidates if due is not None]
    ticket.next_due_at = min(running) if running else None


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())
