"""Telling "the database is away" apart from "this turn is broken".

The two need opposite answers. A broken turn is apologised for and dropped (trying it again
would fail again). A turn that could not reach the database must not be apologised for:
the apology cannot be written either, and if the database came back in between, the
message would be lost behind an apology. Such a turn is kept by whoever delivered it (the
Matrix inbox, the Teams spool, the local shell) and run again when the database is back.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc

# asyncpg's errors for a server that is starting, stopping or refusing connections, matched
# by name so that the SQLite-only install need not import asyncpg.
_SERVER_AWAY = frozenset(
    {
        "CannotConnectNowError",  # the database system is starting up / shutting down
        "ConnectionDoesNotExistError",  # the connection was closed in the middle of operation
        "ConnectionFailureError",
        "AdminShutdownError",  # terminating connection due to administrator command
        "CrashShutdownError",
        "TooManyConnectionsError",
        "InterfaceError",  # asyncpg: "connection is closed", "pool is closing"
    }
)
_SQLITE_AWAY = ("unable to open database file", "disk i/o error")


class StoreUnavailable(Exception):
    """The database could not be reached; the inbound event was NOT handled, keep it."""


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` (or what caused it) means the database cannot be reached right now."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _away(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _away(error: BaseException) -> bool:
    if isinstance(error, StoreUnavailable | exc.DisconnectionError):
        return True
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.TimeoutError):  # no pooled connection came in time
        return True
    if isinstance(error, OSError | ConnectionError):  # refused, reset, unreachable, timed out
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(text in str(error).lower() for text in _SQLITE_AWAY)
    return type(error).__name__ in _SERVER_AWAY and type(error).__module__.startswith("asyncpg")
