"""`hotline-bot workshops import FILE` (YAML or CSV) and `workshops list`: the catalogue.

An import checks every row first and reports EVERY error with its row number; nothing is
imported while any row is wrong. A workshop keeps its code: importing it again updates it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import opened_app
from bot.workshops.catalogue import parse, read_records
from bot.workshops.service import WorkshopService
from storage.repositories import workshops as repo


def register(sub: Any) -> None:
    """Add `workshops import` and `workshops list`."""
    parser = sub.add_parser("workshops", help="the workshop catalogue: import, list")
    inner = parser.add_subparsers(dest="workshops_command", required=True, metavar="ACTION")
    importing = inner.add_parser("import", help="import or update workshops from YAML or CSV")
    importing.add_argument("file", help="a .yaml or .csv file")
    listing = inner.add_parser("list", help="list the upcoming workshops")
    for action in (importing, listing):
        action.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
        action.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Import or list; errors on stderr, one line each."""

    async def _go() -> int:
        async with opened_app(config_file=args.config, platforms=()) as app:
            if app is None:
                return 2
            if args.workshops_command == "list":
                return await _list(app)
            return await _import(app, Path(args.file))

    return asyncio.run(_go())


async def _import(app: Any, path: Path) -> int:
    try:
        records = read_records(path)
    except (OSError, ValueError) as problem:
        print(f"{path}: {problem}", file=sys.stderr)
        return 2
    entries, errors = parse(app.config, records)
    for row_error in errors:
        print(f"{path}: {row_error}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} errors: nothing imported.", file=sys.stderr)
        return 2
    now = app.engine.clock.now()
    service = WorkshopService(app.config, app.engine.clock)
    created = told = moved_up = 0
    async with app.sessions() as session, session.begin():
        for entry in entries:
            values = asdict(entry)
            values["groups"] = list(entry.groups)
            row, what = await repo.upsert(session, values=values, at=now)
            created += what == "new"
            if what == "moved":
                told += await service.rescheduled(session, row)
            moved_up += await service.fill_seats(session, row)
    print(f"{len(entries)} workshops imported ({created} new, {len(entries) - created} updated).")
    if told or moved_up:
        print(f"{told} participants told of a new date, {moved_up} moved up from waiting lists.")
    return 0


async def _list(app: Any) -> int:
    tz = ZoneInfo(app.config.calendar.timezone)
    async with app.sessions() as session:
        rows = await repo.upcoming(session, now=app.engine.clock.now(), limit=200)
        taken = await repo.taken_seats(session, ids=[row.id for row in rows])
    for row in rows:
        start = row.starts_at.astimezone(tz)
        seats = f"{taken.get(row.id, 0)}/{row.seats}"
        print(f"{row.id:>4}  {start:%d.%m.%Y %H:%M}  {row.code}  {seats}  {row.title}")
    return 0
