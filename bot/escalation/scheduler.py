"""One APScheduler for the whole bot: the short-interval deadline sweep and the daily digest.

The jobs are database sweeps, not a job per ticket, so any number of instances can run
them side by side: the unique step keys and outbox keys make each message go out once.
The daily jobs (digest, retention) are checks on the bot's own clock, not cron triggers on
the machine's: a bot whose clock is injected (tests, demos) keeps its days consistent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from time import perf_counter
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config.model import OrgConfig
from bot.escalation.digest import Digests
from bot.escalation.sweep import Sweeper, SweepReport
from bot.kernel.observe import SILENT, Observer
from bot.newsletter.sending import INTERVAL as NEWSLETTER_INTERVAL
from bot.newsletter.sending import NewsletterDispatcher
from bot.service.privacy import PrivacyService
from bot.workshops.jobs import WorkshopJobs

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKSHOP_INTERVAL = 300  # seconds: reminders and forms need no minute precision
DAILY_CHECK_INTERVAL = 60  # seconds: how often the daily jobs look at the clock
RETENTION_AT = time(2, 30)  # at night: deleting is nobody's working-hours business
RETENTION_UNTIL = time(8, 30)  # a bot down all night skips a day, it does not delete by day


class DeadlineJobs:
    """The scheduled jobs, each guarded so a failing round is logged and retried next time."""

    observer: Observer = SILENT  # the composition root sets the metrics one

    def __init__(
        self,
        sweeper: Sweeper,
        digests: Digests,
        privacy: PrivacyService | None = None,
        workshops: WorkshopJobs | None = None,
        newsletters: NewsletterDispatcher | None = None,
    ) -> None:
        self.sweeper = sweeper
        self.digests = digests
        self.privacy = privacy
        self.workshops = workshops
        self.newsletters = newsletters
        self._running = asyncio.Lock()
        self._caught_up = False
        self._looked = False  # the daily check ran at least once in this process
        self._digest_day: date | None = None
        self._retention_day: date | None = None
        self.scheduler: AsyncIOScheduler | None = None

    def reconfigure(self, config: OrgConfig) -> None:
        """Rebuild each job with a new config (a reload, bot/reload.py), keeping what belongs
        to the process: the outbox wake-up, the lease holder, batch sizes, the stop flag.
        The next round of each job uses the new config; a running round finishes as it began.
        """
        old = self.sweeper
        sweeper = Sweeper(
            config, old.sessions, old.clock, batch_size=old.batch_size, on_outbox=old.on_outbox
        )
        sweeper.late_after, sweeper.stopping = old.late_after, old.stopping
        digests = Digests(config, self.digests.sessions, self.digests.clock)
        digests.holder = self.digests.holder
        self.sweeper, self.digests = sweeper, digests
        if self.privacy is not None:
            self.privacy = PrivacyService(config, self.privacy.sessions, self.privacy.clock)
        if self.workshops is not None:
            self.workshops = WorkshopJobs(config, self.workshops.sessions, self.workshops.clock)
        if self.newsletters is not None:
            n = self.newsletters
            self.newsletters = NewsletterDispatcher(
                config, n.sessions, n.clock, batch_size=n.batch_size, min_gap=n.min_gap
            )

    async def run_sweep(self) -> SweepReport | None:
        """One sweep plus, when steps were found late, the catch-up report."""
        async with self._running:
            try:
                started = perf_counter()
                report = await self.sweeper.sweep()
                self.observer.sweep(perf_counter() - started, report.tickets, report.fired)
                if report.missed or not self._caught_up:
                    # Also once after start: a report a crash interrupted is finished now.
                    if await self.digests.catch_up() and self.sweeper.on_outbox:
                        self.sweeper.on_outbox()
                    self._caught_up = True
                return report
            except Exception:
                log.exception("deadline sweep failed; the next round retries")
                return None

    async def run_digest(self) -> int:
        """Today's digest (sent once per lead and day, whichever instance gets there first)."""
        sent = await self._guarded(self.digests.daily, "daily digest")
        return sent or 0

    async def run_workshops(self) -> int:
        """Workshop reminders and feedback forms (office hours only)."""
        if self.workshops is None:
            return 0
        try:
            sent = await self.workshops.run()
            if sent and self.sweeper.on_outbox:
                self.sweeper.on_outbox()
            return sent
        except Exception:
            log.exception("workshop job failed; the next round retries")
            return 0

    async def run_newsletters(self) -> int:
        """The next throttled batch of newsletter deliveries (shared across instances)."""
        if self.newsletters is None:
            return 0
        try:
            queued = await self.newsletters.dispatch_due()
            if queued and self.sweeper.on_outbox:
                self.sweeper.on_outbox()
            return queued
        except Exception:
            log.exception("newsletter dispatch failed; the next round retries")
            return 0

    async def run_daily(self) -> None:
        """Today's digest once its time has come, and the nightly retention, each once per
        day and process (the outbox keys keep a second instance from sending twice). A day
        counts as done only when its job succeeded: a failure is retried at the next check.

        A process that starts after the digest time sends today's digest at once while the
        office day lasts (the bot was down at the usual time); after closing time it leaves
        it to tomorrow morning's. Retention runs only in its night window, never by day."""
        now = self.sweeper.clock.now().astimezone(self.digests.tz)
        late_start = not self._looked
        self._looked = True
        today = now.date()
        digest_due = now.time() >= self.sweeper.config.escalation.digest_at
        if self._digest_day != today and digest_due and await self._digest(now, late_start):
            self._digest_day = today
        in_window = RETENTION_AT <= now.time() < RETENTION_UNTIL
        if self._retention_day != today and in_window and await self._retention():
            self._retention_day = today

    async def _digest(self, now: datetime, late_start: bool) -> bool:
        """Send today's digest; True when the day is done (sent, or left to tomorrow)."""
        if late_start and self._office_day_over(now):
            return True
        return await self._guarded(self.digests.daily, "daily digest") is not None

    async def _retention(self) -> bool:
        if self.privacy is None:
            return True
        return await self._guarded(self.privacy.apply_retention, "retention job") is not None

    def _office_day_over(self, now: datetime) -> bool:
        calendar = self.digests.calendar
        return not calendar.is_working_day(now.date()) or now >= calendar.closing_time(now.date())

    async def _guarded(self, job: Callable[[], Awaitable[T]], name: str) -> T | None:
        """Run one daily job under the jobs' lock; its result, or None (logged) when it
        failed; the outbox is woken when it sent something."""
        async with self._running:
            try:
                done = await job()
            except Exception:
                log.exception("%s failed; the next check retries", name)
                return None
        if done and self.sweeper.on_outbox:
            self.sweeper.on_outbox()
        return done

    def start(self) -> AsyncIOScheduler:
        """Start the scheduler on the running event loop."""
        config = self.sweeper.config
        scheduler = AsyncIOScheduler(timezone=str(self.digests.tz))
        interval = config.escalation.sweep_interval.total_seconds()
        scheduler.add_job(
            self.run_sweep,
            IntervalTrigger(seconds=interval),
            id="deadline-sweep",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(self.digests.tz),
        )
        scheduler.add_job(
            self.run_daily,
            IntervalTrigger(seconds=DAILY_CHECK_INTERVAL),
            id="daily",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(self.digests.tz),
        )
        scheduler.add_job(
            self.run_workshops,
            IntervalTrigger(seconds=WORKSHOP_INTERVAL),
            id="workshops",
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            self.run_newsletters,
            IntervalTrigger(seconds=NEWSLETTER_INTERVAL.total_seconds()),
            id="newsletters",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self.scheduler = scheduler
        at = config.escalation.digest_at.strftime("%H:%M")
        log.warning("deadline sweep every %ss, daily digest at %s", interval, at)
        return scheduler

    async def stop(self) -> None:
        """Stop scheduling and wait for a running job to finish its transaction."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.sweeper.stopping = True
        async with self._running:
            pass
