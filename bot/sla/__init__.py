"""Service levels: the working-day calendar and deadline policies."""

from bot.sla.calendar import WorkingCalendar, calendar_for
from bot.sla.policies import due_after_resume, due_at, remaining_at_pause

__all__ = [
    "WorkingCalendar",
    "calendar_for",
    "due_after_resume",
    "due_at",
    "remaining_at_pause",
]
