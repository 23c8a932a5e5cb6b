"""What most sub-commands do first: build the app, refuse a broken config or an old schema."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App, build_app
from bot.config.loader import ConfigError
from storage.migrate import is_up_to_date

SCHEMA_OUTDATED = "Das Datenbankschema ist nicht aktuell: bitte zuerst `hotline-bot db upgrade`."


@asynccontextmanager
async def opened_app(**build_args: Any) -> AsyncIterator[App | None]:
    """The app (closed afterwards), or None after printing every config issue or the
    schema hint to stderr; the caller then exits with 2."""
    try:
        app = build_app(**build_args)
    except ConfigError as error:
        for issue in error.issues:
            print(issue, file=sys.stderr)
        yield None
        return
    try:
        if not await is_up_to_date(app.db):
            print(SCHEMA_OUTDATED, file=sys.stderr)
            yield None
        else:
            yield app
    finally:
        await app.close()
