"""`hotline-bot report --from DAY --to DAY [--format md|csv|png] [--out FILE]`: the evaluation
of a period for admins (Markdown to read, CSV for a spreadsheet, a PNG chart per week).
The CSV's columns are described in bot/reports/csv_export.py."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.common import opened_app
from bot.config.model import OrgConfig
from bot.reports import chart, csv_export, render
from bot.reports.metrics import Report
from bot.reports.service import build, period


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("report", help="evaluation of a period (Markdown, CSV or PNG)")
    parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, help="last day (included)")
    parser.add_argument("--format", choices=("md", "csv", "png"), default="md")
    parser.add_argument("--out", help="file to write (required for png; default: stdout)")
    parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    parser.set_defaults(handler=run)


def _days(args: argparse.Namespace) -> tuple[date, date] | str:
    try:
        first, last = date.fromisoformat(args.first), date.fromisoformat(args.last)
    except ValueError:
        return "--from/--to: days like 2026-11-01"
    if last < first:
        return "--to must not be before --from"
    if args.format == "png" and not args.out:
        return "--format png needs --out FILE"
    return first, last


def run(args: argparse.Namespace) -> int:
    """Print or write the report."""
    days = _days(args)
    if isinstance(days, str):
        print(days, file=sys.stderr)
        return 2

    async def _go() -> int | tuple[OrgConfig, Report]:
        async with opened_app(config_file=args.config, platforms=()) as app:
            if app is None:
                return 2
            start, end = period(app.config, *days)
            async with app.sessions() as session:
                return app.config, await build(session, app.config, app.engine.clock, start, end)

    built = asyncio.run(_go())
    if isinstance(built, int):
        return built
    config, report = built
    try:
        if args.format == "png":
            chart.to_png(config, report, Path(args.out))
            return 0
        if args.format == "csv":
            data = csv_export.to_csv(config, report)  # UTF-8 with BOM, for Excel
        else:
            data = render.to_markdown(config, report).encode("utf-8")
        if args.out:
            Path(args.out).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    except OSError as error:
        print(f"cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0
