"""`hotline-bot jobs run [--at MOMENT] [--only JOB,...]`: the scheduled jobs, once.

For operators (run what the scheduler would run, now) and for demos and acceptance tests
(`--at` travels in time: deadlines pass, newsletters and workshop reminders become due).
What the jobs record is as of the simulated moment; the notices they write are due NOW, so
the running bot sends them at once on every platform, and a jump in time is not taken for
the bot having been down (nothing is filed as "found late" for the leads' catch-up report).
Retention never runs in simulated time: it would delete data before its time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.app import App
from bot.cli.common import opened_app
from bot.kernel.clock import Clock, FrozenClock, clock_from_environ
from storage.repositories import time_travel

JOBS = ("sweep", "digest", "workshops", "newsletter", "retention")
DEFAULT_JOBS = ("sweep", "digest", "workshops", "newsletter")
NEVER_LATE = timedelta.max  # in simulated time no step is "found late"


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("jobs", help="run the scheduled jobs once (optionally at a moment)")
    actions = parser.add_subparsers(dest="action", required=True)
    run_parser = actions.add_parser("run", help="run the jobs once")
    run_parser.add_argument("--at", help="pretend it is this moment (ISO 8601 with offset)")
    run_parser.add_argument(
        "--only",
        help=f"comma-separated jobs of {', '.join(JOBS)} (default: all but retention)",
    )
    run_parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    run_parser.set_defaults(handler=run)


def simulated_clock(at: str | None) -> Clock | str:
    """The clock the jobs run on (`--at`, else the bot's own), or why `--at` is not usable."""
    if at is None:
        try:
            return clock_from_environ()
        except ValueError as error:
            return str(error)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return f"--at: not an ISO 8601 timestamp: {at!r}"
    if moment.tzinfo is None:
        return "--at needs a UTC offset, e.g. 2026-12-01T10:00:00+01:00"
    return FrozenClock(moment)


def chosen_jobs(only: str | None, at: str | None) -> tuple[str, ...] | str:
    """The jobs to run, or why the choice is refused."""
    names = DEFAULT_JOBS if only is None else tuple(n.strip() for n in only.split(",") if n)
    unknown = [name for name in names if name not in JOBS]
    if unknown or not names:
        return f"--only: unknown job {', '.join(unknown) or '(none)'}; known: {', '.join(JOBS)}"
    if at is not None and "retention" in names:
        return "retention never runs with --at: it would delete data before its time"
    return names


async def in_simulated_time(app: App, run_jobs: Callable[[], Awaitable[None]]) -> int:
    """Run `run_jobs` as of the app's (simulated) clock; its notices become due now."""
    app.jobs.sweeper.late_after = NEVER_LATE
    async with app.sessions() as session:
        before = await time_travel.newest_outbox_id(session)
    await run_jobs()
    now = clock_from_environ().now()  # the running bot's "now" (a shifted clock included)
    async with app.sessions() as session, session.begin():
        return await time_travel.due_now(session, after_id=before, now=now)


def run(args: argparse.Namespace) -> int:
    """Run the chosen jobs once; deliver what is for the local chat; print a summary."""
    clock = simulated_clock(args.at)
    names = chosen_jobs(args.only, args.at)
    if isinstance(clock, str) or isinstance(names, str):
        print(clock if isinstance(clock, str) else names, file=sys.stderr)
        return 2

    async def _go() -> int:
        async with opened_app(config_file=args.config, clock=clock, platforms=("local",)) as app:
            if app is None:
                return 2
            done: dict[str, int] = {}

            async def run_jobs() -> None:
                jobs = app.jobs
                if "sweep" in names:
                    report = await jobs.run_sweep()
                    done["sweep"] = -1 if report is None else report.fired
                if "digest" in names:
                    done["digest"] = await jobs.run_digest()
                if "workshops" in names:
                    done["workshops"] = await jobs.run_workshops()
                if "newsletter" in names:
                    done["newsletter"] = await jobs.run_newsletters()
                if "retention" in names and jobs.privacy is not None:
                    await jobs.privacy.apply_retention()
                    done["retention"] = 0

            if args.at is None:
                await run_jobs()
                moved = 0
            else:
                moved = await in_simulated_time(app, run_jobs)
            await app.sender.deliver_due()
            if done.get("sweep") == -1:
                print("sweep failed (see the log)", file=sys.stderr)
                return 1
            summary = ", ".join(f"{name}: {count}" for name, count in done.items())
            print(f"{summary}; {moved} notices written for the simulated time are due now")
            return 0

    return asyncio.run(_go())
