"""Building a report: the period in the organisation's time zone, its rows, the figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import Level, OrgConfig
from bot.kernel.clock import Clock
from bot.reports.metrics import Report, compute
from bot.reports.tally import TicketTally
from bot.service.faq import merged
from bot.sla.calendar import calendar_for
from storage.repositories.faq import accepted
from storage.repositories.report_tickets import ticket_facts
from storage.repositories.reports import period_rows


def period(config: OrgConfig, first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the organisation's time zone."""
    tz = ZoneInfo(config.calendar.timezone)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def month(config: OrgConfig, text: str | None, today: date) -> tuple[datetime, datetime]:
    """'2026-11' -> that month; None -> the current month up to today. ValueError if bad."""
    if not text:
        return period(config, today.replace(day=1), today)
    year, dash, number = text.partition("-")
    if not dash or not (year.isdecimal() and number.isdecimal()):
        raise ValueError(f"not a month like 2026-11: {text!r}")
    first = date(int(year), int(number), 1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return period(config, first, following - timedelta(days=1))


async def build(
    session: AsyncSession, config: OrgConfig, clock: Clock, start: datetime, end: datetime
) -> Report:
    """The report of [start, end) as things stand now."""
    tally = TicketTally(
        first_level={team.id for team in config.teams if team.level == Level.FIRST},
        calendar=calendar_for(config),
        now=clock.now(),
        start=start,
        end=end,
    )
    async for facts in ticket_facts(session, start=start, end=end):
        tally.add(facts)
    rows = await period_rows(session, start=start, end=end)
    known = merged(config, await accepted(session), None, every_group=True)  # their questions
    return compute(known, rows, tally, start=start, end=end)
