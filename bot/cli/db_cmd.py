"""`hotline-bot db upgrade|current`: migrations run as their own command, never at start."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from storage.engine import database_url, make_engine
from storage.migrate import current_revision, upgrade


def register(sub: Any) -> None:
    """Add `db upgrade` and `db current`."""
    parser = sub.add_parser("db", help="database migrations")
    db_sub = parser.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    up = db_sub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=run_upgrade)
    current = db_sub.add_parser("current", help="print the schema revision")
    current.set_defaults(handler=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    """Upgrade the database named by HOTLINE_DATABASE_URL (default: SQLite in the data dir)."""

    async def _go() -> None:
        engine = make_engine(database_url())
        try:
            await upgrade(engine, args.revision)
        finally:
            await engine.dispose()

    asyncio.run(_go())
    print(f"database at {args.revision}")
    return 0


def run_current(args: argparse.Namespace) -> int:
    """Print the current revision (or 'none')."""

    async def _go() -> str | None:
        engine = make_engine(database_url())
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(asyncio.run(_go()) or "none")
    return 0
