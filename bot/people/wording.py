"""How an absence reads in messages: "Martin Schneider ist abwesend bis Freitag, 18.12.2026"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.i18n.formatting import format_day
from bot.kernel.markup import literal
from bot.people.availability import Absence, stand_in
from bot.service.actors import display_name


def last_day(ends_at: datetime, tz: ZoneInfo) -> date:
    """The last day away: `ends_at` is the exclusive end, midnight after that day."""
    return (ends_at - timedelta(microseconds=1)).astimezone(tz).date()


def first_day(starts_at: datetime, tz: ZoneInfo) -> date:
    """The first day away."""
    return starts_at.astimezone(tz).date()


def absence_line(
    config: OrgConfig, absence: Absence, absences: list[Absence], now: datetime, locale: str
) -> str:
    """One line for /queue: who is away until when, and who stands in now (or will)."""
    tz = ZoneInfo(config.calendar.timezone)
    name = literal(display_name(config, absence.person_id))
    until = format_day(last_day(absence.ends_at, tz), locale)
    person = config.person(absence.person_id)
    at = max(now, absence.starts_at)
    deputies = () if person is None else stand_in(config, absences, person, at)
    deputy = ", ".join(literal(p.display_name) for p in deputies if p.id != absence.person_id)
    if absence.starts_at > now:
        since = format_day(first_day(absence.starts_at, tz), locale)
        key = "away.line_planned" if deputy else "away.line_planned_alone"
        return t(key, locale, name=name, since=since, until=until, deputy=deputy)
    key = "away.line" if deputy else "away.line_alone"
    return t(key, locale, name=name, until=until, deputy=deputy)
