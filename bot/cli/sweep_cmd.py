"""`hotline-bot sweep [--at MOMENT] [--digest]`: run the deadline sweep once, now or at a moment.

For operators ("what is due now?") and for the demo: `--at` travels in time, so a newcomer
can watch reminders and escalations arrive in the local chat without waiting for hours.
The notices go through the outbox like those of the running bot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import opened_app
from bot.kernel.clock import Clock, FrozenClock, clock_from_environ
from storage.repositories import escalation as repo


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("sweep", help="run the deadline sweep (reminders, escalations) once")
    parser.add_argument("--at", help="pretend it is this moment (ISO 8601 with offset)")
    parser.add_argument("--digest", action="store_true", help="also send the leads' digest")
    parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    parser.set_defaults(handler=run)


def _clock(at: str | None) -> Clock | str:
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


def run(args: argparse.Namespace) -> int:
    """Sweep once, deliver to the local chat, print what happened."""
    clock = _clock(args.at)
    if isinstance(clock, str):
        print(clock, file=sys.stderr)
        return 2

    async def _go() -> int:
        async with opened_app(config_file=args.config, clock=clock, platforms=("local",)) as app:
            if app is None:
                return 2
            tz = ZoneInfo(app.config.calendar.timezone)
            report = await app.jobs.run_sweep()
            if report is None:
                return 1
            digests = await app.jobs.run_digest() if args.digest else 0
            await app.sender.deliver_due()
            print(
                f"{report.tickets} tickets checked, {report.fired} steps fired"
                f" ({report.missed} found late, for the catch-up report),"
                f" {report.deferred} deferred to office hours, {digests} digests"
            )
            for key in report.keys:
                print(f"  {key}")
            async with app.sessions() as session:
                upcoming = await repo.upcoming(session, limit=5)
            for ticket_id, moment in upcoming:
                print(f"next check of no. {ticket_id}: {moment.astimezone(tz).isoformat()}")
            return 0

    return asyncio.run(_go())
