"""`hotline-bot sweep [--at MOMENT] [--digest]`: run the deadline sweep once, now or at a moment.

For operators ("what is due now?") and for the demo: `--at` travels in time, so a newcomer
can watch reminders and escalations arrive in the local chat without waiting for hours.
The notices go through the outbox like those of the running bot; with `--at` they are due
at once (see `hotline-bot jobs run`, which runs the other scheduled jobs the same way).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import opened_app
from bot.cli.jobs_cmd import in_simulated_time, simulated_clock
from bot.escalation.sweep import SweepReport
from storage.repositories import escalation as repo


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("sweep", help="run the deadline sweep (reminders, escalations) once")
    parser.add_argument("--at", help="pretend it is this moment (ISO 8601 with offset)")
    parser.add_argument("--digest", action="store_true", help="also send the leads' digest")
    parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Sweep once, deliver to the local chat, print what happened."""
    clock = simulated_clock(args.at)
    if isinstance(clock, str):
        print(clock, file=sys.stderr)
        return 2

    async def _go() -> int:
        async with opened_app(config_file=args.config, clock=clock, platforms=("local",)) as app:
            if app is None:
                return 2
            tz = ZoneInfo(app.config.calendar.timezone)
            done: list[SweepReport | None] = []

            async def run_jobs() -> None:
                done.append(await app.jobs.run_sweep())
                if args.digest:
                    digests.append(await app.jobs.run_digest())

            digests: list[int] = []
            if args.at is None:
                await run_jobs()
            else:  # recorded as of --at, delivered now; a jump is not downtime
                await in_simulated_time(app, run_jobs)
            report = done[0]
            if report is None:
                return 1
            await app.sender.deliver_due()
            print(
                f"{report.tickets} tickets checked, {report.fired} steps fired"
                f" ({report.missed} found late, for the catch-up report),"
                f" {report.deferred} deferred to office hours, {sum(digests)} digests"
            )
            for key in report.keys:
                print(f"  {key}")
            async with app.sessions() as session:
                upcoming = await repo.upcoming(session, limit=5)
            for ticket_id, moment in upcoming:
                print(f"next check of no. {ticket_id}: {moment.astimezone(tz).isoformat()}")
            return 0

    return asyncio.run(_go())
