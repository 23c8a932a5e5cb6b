"""Scheduled workshop work: the reminder the working day before, the feedback form after,
one reminder to fill it in. Each message is claimed by a conditional update of its
registration row in the same transaction as its outbox row: sent once, whichever instance
runs the job."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice, Outgoing, Target
from bot.service import notify
from bot.sla.calendar import calendar_for
from bot.workshops.service import when
from storage.models import WorkshopRegistrationRow, WorkshopRow
from storage.repositories import workshops as repo

FORM_REMINDER_AFTER = timedelta(days=3)
LOOK_AHEAD = timedelta(days=14)  # the longest stretch without a working day, with room


class WorkshopJobs:
    """Run every few minutes; does nothing outside office hours."""

    def __init__(
        self, config: OrgConfig, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.calendar = calendar_for(config)
        self.tz = ZoneInfo(config.calendar.timezone)

    async def run(self) -> int:
        """Send what is due; returns how many messages were enqueued."""
        now = self.clock.now()
        if not self.calendar.is_office_time(now):
            return 0
        async with self.sessions() as session, session.begin():
            return await self._reminders(session, now) + await self._forms(session, now)

    async def _reminders(self, session: AsyncSession, now: datetime) -> int:
        """Participants of workshops whose previous working day is today (a Monday
        workshop is announced on Friday, one on a Saturday too)."""
        today = now.astimezone(self.tz).date()
        start = datetime.combine(today + timedelta(days=1), time(0), tzinfo=self.tz)
        sent = 0
        upcoming = await repo.starting_between(session, start=start, end=start + LOOK_AHEAD)
        for row in upcoming:
            if self._working_day_before(row.starts_at.astimezone(self.tz).date()) != today:
                continue
            for person in await repo.registrations(
                session, workshop_id=row.id, statuses=("registered",)
            ):
                if person.reminded_at is None and await self._claim(
                    session, person, "reminded_at", now
                ):
                    notice = self._reminder(row, person.locale)
                    sent += await self._send(session, person, notice, now, "remind")
        return sent

    def _working_day_before(self, day: date) -> date:
        for offset in range(1, LOOK_AHEAD.days + 8):
            candidate = day - timedelta(days=offset)
            if self.calendar.is_working_day(candidate):
                return candidate
        return day

    async def _forms(self, session: AsyncSession, now: datetime) -> int:
        """The form to every participant after the end, and one reminder before it closes."""
        since = now - timedelta(days=self.config.workshops.feedback_days)
        sent = 0
        for row in await repo.ended_since(session, since=since, now=now):
            for person in await repo.registrations(
                session, workshop_id=row.id, statuses=("registered",)
            ):
                if person.feedback_sent_at is None:
                    if await self._claim(session, person, "feedback_sent_at", now):
                        sent += await self._send(
                            session,
                            person,
                            self._invite(row, person.locale, "questionnaire.invite"),
                            now,
                            "form",
                        )
                elif (
                    person.feedback_done_at is None
                    and person.feedback_reminded_at is None
                    and person.feedback_sent_at + FORM_REMINDER_AFTER <= now
                    and await self._claim(session, person, "feedback_reminded_at", now)
                ):
                    sent += await self._send(
                        session,
                        person,
                        self._invite(row, person.locale, "questionnaire.reminder"),
                        now,
                        "form-reminder",
                    )
        return sent

    async def _claim(
        self, session: AsyncSession, person: WorkshopRegistrationRow, column: str, now: datetime
    ) -> bool:
        """Set `column` if still empty; False when another instance was first."""
        field: Any = getattr(WorkshopRegistrationRow, column)
        result: Any = await session.execute(
            update(WorkshopRegistrationRow)
            .where(WorkshopRegistrationRow.id == person.id, field.is_(None))
            .values({column: now})
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def _send(
        self,
        session: AsyncSession,
        person: WorkshopRegistrationRow,
        notice: Notice,
        now: datetime,
        kind: str,
    ) -> int:
        target = Target(person.platform, "user", person.user_id)
        await notify.send(
            session,
            [Outgoing(target, notice)],
            at=now,
            dedupe_prefix=f"workshop-{kind}:{person.id}",
        )
        return 1

    def _reminder(self, row: WorkshopRow, locale: str) -> Notice:
        text = t(
            "workshop.reminder",
            locale,
            id=row.id,
            title=literal(row.title),
            when=when(row, locale, self.tz),
            place=literal(row.place),
        )
        unenrol = Choice(button("unenrol", row.id), t("workshop.button.unenrol", locale, id=row.id))
        return Notice(text=text, choices=(unenrol,), channel_safe=False)

    def _invite(self, row: WorkshopRow, locale: str, key: str) -> Notice:
        closes = (row.ends_at + timedelta(days=self.config.workshops.feedback_days)).astimezone(
            self.tz
        )
        return Notice(
            text=t(
                key, locale, id=row.id, title=literal(row.title), closes=closes.strftime("%d.%m.%Y")
            ),
            choices=(Choice(button("questionnaire", row.id), t("questionnaire.button", locale)),),
            channel_safe=False,
        )
