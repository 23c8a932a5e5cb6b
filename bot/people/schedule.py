"""When the bot may ping a person: their effective hours and the moment a ping waits for.

The rule (issue 16; the README's "Persönliche Arbeitszeiten" tells it to the organisation):

1. A person's hours are those they set with /arbeitszeit, else those of their config
   entry (`hours:`), else none: then they work the office hours of the calendar.
2. They are at work when those hours and the team's office calendar both say so:
   holidays and closure days apply to everyone, personal hours only ever narrow it.
3. A ping to a person (reminder, breach notice, escalation DM, digest, catch-up report,
   the lease note to the claimer) is written to the outbox at once, due at their next
   working minute: nothing is lost, and the pings that wait keep their order (one due
   time, rows sent by id).
4. Deadlines never move for personal hours: they stay on the team's office calendar.
5. When the only person who could act is off until after the deadline (the assignee of
   a claimed ticket, reminded before its deadline), the reminder goes to the team
   channel at once instead of waiting (bot/escalation/actions.py). A complaint never
   reaches a channel: its assignee's reminder waits, and the complaint managers hear of
   the breach at the deadline as always.
6. Escalations under a policy with `office_hours_only: false` (on call) never wait.
7. Absences come first: who is pinged is decided before when (an absent person's
   stand-in, bot/people/availability.py), and the ping waits for the stand-in's hours.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.config.weekly_hours import WeeklyHours
from bot.people.hours import next_working_minute
from bot.sla.calendar import WorkingCalendar
from storage.repositories import people_hours

log = logging.getLogger(__name__)
_CACHE = "people.hours"  # session.info key: a sweep batch pings the same leads many times


class HoursSource(StrEnum):
    """Where a person's effective hours come from."""

    COMMAND = "command"
    CONFIG = "config"
    OFFICE = "office"


async def effective_hours(
    session: AsyncSession, config: OrgConfig, person_id: str
) -> tuple[WeeklyHours | None, HoursSource]:
    """The person's hours and where they come from (None: the office hours)."""
    stored = await people_hours.get_hours(session, person_id=person_id)
    if stored is not None:
        return stored, HoursSource.COMMAND
    person = config.person(person_id)
    if person is not None and person.hours is not None:
        return person.hours, HoursSource.CONFIG
    return None, HoursSource.OFFICE


async def held_until(
    session: AsyncSession,
    config: OrgConfig,
    person_id: str,
    calendar: WorkingCalendar,
    at: datetime,
) -> datetime | None:
    """None when a ping to the person may go now; else their next working minute.

    Without personal hours nothing waits (the sweep already keeps to office time). Hours
    without any working time within a year (stored before the calendar changed) hold
    nothing: a ping too early beats a ping never."""
    cache = session.info.setdefault(_CACHE, {})  # one look-up per person and session
    if person_id not in cache:
        cache[person_id] = (await effective_hours(session, config, person_id))[0]
    hours: WeeklyHours | None = cache[person_id]
    if hours is None:
        return None
    try:
        back = next_working_minute(calendar, hours, at)
    except ValueError:
        log.warning("person %s has no working time within a year; not holding", person_id)
        return None
    return None if back <= at else back
