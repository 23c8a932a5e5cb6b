"""Readiness: can this instance do its work right now, and if not, why.

`/readyz` answers 200 only when every check passes, so a load balancer or an orchestrator
sends traffic (and an alert fires) on facts: the database answers and is migrated, each
platform is connected, notices leave the outbox and the sweep keeps up. Each failing check
says why in one line, without personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import current_revision, head_revision
from storage.repositories.operations import Snapshot


@runtime_checkable
class ReportsHealth(Protocol):
    """An adapter that can tell why it is not serving (None: it is)."""

    def health(self) -> str | None: ...


@runtime_checkable
class ReportsRole(Protocol):
    """An adapter that may be on standby (Matrix: another instance syncs, see
    adapters/matrix/leadership.py). A standby is ready: it takes over when needed."""

    def role(self) -> str: ...


def is_active(adapter: object) -> bool:
    """Whether this instance serves the platform now (False: on standby)."""
    return not isinstance(adapter, ReportsRole) or adapter.role() == "active"


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and why not."""

    name: str
    ok: bool
    detail: str = "ok"


def platform_checks(adapters: Mapping[str, object]) -> list[Check]:
    """One check per served platform."""
    checks = []
    for name, adapter in sorted(adapters.items()):
        problem = adapter.health() if isinstance(adapter, ReportsHealth) else None
        role = adapter.role() if isinstance(adapter, ReportsRole) else "ok"
        checks.append(Check(f"platform:{name}", problem is None, problem or role))
    return checks


def backlog_checks(
    snapshot: Snapshot, now: datetime, *, outbox_max_age: timedelta, sweep_max_lag: timedelta
) -> list[Check]:
    """Notices leave the outbox and deadline work is done, each within its threshold."""
    checks = []
    for name, since, limit, what in (
        ("outbox", snapshot.outbox_oldest_due, outbox_max_age, "oldest unsent notice due for"),
        ("sweep", snapshot.overdue_since, sweep_max_lag, "deadline work waiting for"),
    ):
        waited = timedelta(0) if since is None else now - since
        ok = waited <= limit
        detail = (
            "ok"
            if ok
            else f"{what} {int(waited.total_seconds())} s (limit {int(limit.total_seconds())} s)"
        )
        checks.append(Check(name, ok, detail))
    return checks


async def schema_check(db: AsyncEngine) -> Check:
    """The database is at the newest migration (a bot on an old schema fails in odd ways)."""
    current, head = await current_revision(db), head_revision()
    if current == head:
        return Check("migrations", True)
    return Check(
        "migrations",
        False,
        f"database at {current}, code needs {head}: run `hotline-bot db upgrade`",
    )
