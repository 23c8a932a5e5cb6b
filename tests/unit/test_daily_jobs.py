"""The daily jobs follow the bot's own clock: a digest once per day after its time, a
catch-up only in office time, retention once per night; never the machine's date."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from bot.config.model import OrgConfig
from bot.escalation.scheduler import DeadlineJobs
from bot.kernel.clock import SHIFT_ENV, FrozenClock, ShiftedClock, SystemClock, clock_from_environ
from bot.sla import calendar_for
from tests.conftest import berlin


@dataclass
class Counting:
    """Stands in for Digests and PrivacyService: counts the days it was asked to run."""

    clock: FrozenClock
    config: OrgConfig
    days: list[str] = field(default_factory=list)
    nights: list[str] = field(default_factory=list)
    failing: int = 0  # how many of the next digests raise

    async def daily(self) -> int:
        if self.failing:
            self.failing -= 1
            raise RuntimeError("database away")
        self.days.append(self.clock.now().astimezone(self.tz).strftime("%a %H:%M"))
        return 1

    async def apply_retention(self) -> dict[str, int]:
        self.nights.append(self.clock.now().astimezone(self.tz).strftime("%a %H:%M"))
        return {}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.calendar.timezone)

    @property
    def calendar(self) -> Any:
        return calendar_for(self.config)


def _jobs(config: OrgConfig, clock: FrozenClock) -> tuple[DeadlineJobs, Counting]:
    counting = Counting(clock, config)
    sweeper = SimpleNamespace(clock=clock, config=config, on_outbox=None, stopping=False)
    jobs = DeadlineJobs(cast(Any, sweeper), cast(Any, counting), privacy=cast(Any, counting))
    return jobs, counting


async def test_a_bot_up_before_the_digest_time_sends_it_once_when_the_time_comes(
    config: OrgConfig,
) -> None:
    clock = FrozenClock(berlin(2026, 11, 24, 7, 0))  # Tuesday, before 08:45
    jobs, counting = _jobs(config, clock)
    await jobs.run_daily()
    assert counting.days == [] and counting.nights == ["Tue 07:00"]  # still in the night window
    for minute in (44, 45, 46):
        clock.set(berlin(2026, 11, 24, 8, minute))
        await jobs.run_daily()
    clock.set(berlin(2026, 11, 25, 3, 0))
    await jobs.run_daily()
    clock.set(berlin(2026, 11, 25, 8, 45))
    await jobs.run_daily()
    await jobs.run_daily()
    assert counting.days == ["Tue 08:45", "Wed 08:45"]
    assert counting.nights == ["Tue 07:00", "Wed 03:00"]


async def test_a_late_start_catches_up_in_office_time_only(config: OrgConfig) -> None:
    clock = FrozenClock(berlin(2026, 11, 24, 10, 0))
    jobs, counting = _jobs(config, clock)
    await jobs.run_daily()
    assert counting.days == ["Tue 10:00"]  # the bot was down at 08:45: sent now

    evening = FrozenClock(berlin(2026, 11, 24, 19, 0))
    jobs, counting = _jobs(config, evening)
    await jobs.run_daily()
    evening.set(berlin(2026, 11, 24, 23, 0))
    await jobs.run_daily()
    assert counting.days == []  # tomorrow morning's digest covers it
    evening.set(berlin(2026, 11, 25, 8, 45))
    await jobs.run_daily()
    assert counting.days == ["Wed 08:45"]


def test_the_clock_comes_from_the_environment() -> None:
    assert isinstance(clock_from_environ({}), SystemClock)
    shifted = clock_from_environ({SHIFT_ENV: "-86400"})
    assert isinstance(shifted, ShiftedClock)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    assert abs((shifted.now() - yesterday).total_seconds()) < 60
    with pytest.raises(ValueError, match=SHIFT_ENV):
        clock_from_environ({SHIFT_ENV: "gestern"})


def test_a_shifted_clock_starts_where_it_is_told_and_runs_on() -> None:
    start = berlin(2026, 11, 24, 8, 30)
    clock = ShiftedClock.starting_at(start)
    first = clock.now()
    assert timedelta(0) <= first - start < timedelta(seconds=60)
    assert clock.now() >= first and clock.now().tzinfo is not None


async def test_retention_runs_in_its_night_window_only(config: OrgConfig) -> None:
    clock = FrozenClock(berlin(2026, 11, 24, 10, 0))  # a deploy by day deletes nothing
    jobs, counting = _jobs(config, clock)
    await jobs.run_daily()
    clock.set(berlin(2026, 11, 24, 23, 0))
    await jobs.run_daily()
    assert counting.nights == []
    for hour, minute in ((2, 29), (2, 30), (3, 0), (8, 29)):
        clock.set(berlin(2026, 11, 25, hour, minute))
        await jobs.run_daily()
    assert counting.nights == ["Wed 02:30"]


async def test_a_failed_digest_is_retried_at_the_next_check(config: OrgConfig) -> None:
    clock = FrozenClock(berlin(2026, 11, 24, 8, 0))
    jobs, counting = _jobs(config, clock)
    await jobs.run_daily()
    counting.failing = 2
    for minute in (45, 46, 47, 48):
        clock.set(berlin(2026, 11, 24, 8, minute))
        await jobs.run_daily()
    assert counting.days == ["Tue 08:47"]


async def test_a_digest_time_before_opening_still_catches_up_after_a_late_start(
    config: OrgConfig,
) -> None:
    """digest_at 08:00 with the office opening 08:30: a bot started at 08:10 sends it."""
    early = replace(config, escalation=replace(config.escalation, digest_at=time(8, 0)))
    clock = FrozenClock(berlin(2026, 11, 24, 8, 10))
    jobs, counting = _jobs(early, clock)
    await jobs.run_daily()
    assert counting.days == ["Tue 08:10"]
