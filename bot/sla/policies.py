"""Deadline policies: when is a ticket due, and how pausing ("waiting for customer") shifts it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config.model import SlaPolicy
from bot.kernel.clock import require_aware
from bot.sla.calendar import WorkingCalendar

_ZERO = timedelta(0)


def due_at(policy: SlaPolicy, calendar: WorkingCalendar, start: datetime) -> datetime:
    """The deadline under `policy` for something that started at `start`.

    same_or_next_working_day: if `start` falls on a working day and at least
    `min_remaining` office time (and more than none) is left that day after `start` (the
    whole day before opening), the deadline is that day's last closing time; otherwise
    the last closing time of the next working day.
    working_hours: the instant at which `duration` of office time has passed.

    ValueError for a naive `start` or a policy that lacks its parameter.
    """
    local = require_aware(start).astimezone(calendar.tz)
    if policy.kind == "same_or_next_working_day":
        if policy.min_remaining is None:
            raise ValueError(f"policy {policy.name!r} needs min_remaining")
        day = local.date()
        if calendar.is_working_day(day):
            left = calendar.remaining_office_time(local)
            if left > _ZERO and left >= policy.min_remaining:
                return calendar.closing_time(day)
        return calendar.closing_time(calendar.next_working_day(day))
    if policy.kind == "working_hours":
        if policy.duration is None:
            raise ValueError(f"policy {policy.name!r} needs duration")
        return calendar.add_working_time(local, policy.duration)
    raise ValueError(f"unknown policy kind {policy.kind!r} in policy {policy.name!r}")


def remaining_at_pause(calendar: WorkingCalendar, due: datetime, paused_at: datetime) -> timedelta:
    """The signed office time between pausing and the deadline.

    Positive: office time still left before `due`. Negative: minus the office time by
    which the deadline was already missed when pausing. Zero: paused exactly at `due`
    (or the gap holds no office time).
    """
    if require_aware(paused_at) <= require_aware(due):
        return calendar.working_time_between(paused_at, due)
    return -calendar.working_time_between(due, paused_at)


def due_after_resume(
    calendar: WorkingCalendar, remaining: timedelta, resumed_at: datetime
) -> datetime:
    """The new deadline after resuming with `remaining` office time (see remaining_at_pause).

    A zero or negative `remaining` (the ticket was overdue, or exactly due, when paused) is
    clamped: the ticket is due immediately, at `resumed_at`. Pausing thus never makes an
    overdue ticket current again, but its overdue time is not carried over either.
    """
    if remaining <= _ZERO:
        return require_aware(resumed_at).astimezone(calendar.tz)
    return calendar.add_working_time(resumed_at, remaining)
