"""Waking the outbox sender when a transaction that wrote outbox rows commits.

Every writer goes through `outbox.enqueue`, which calls `wake_after_commit`: the rows are
noted on the session, and once its transaction has committed (never before: the sender
could not see them yet, and never after a rollback), the listeners registered for the
session's engine are called with what was written. A writer that inserts rows some other
way (a set-based INSERT ... SELECT of a batch) calls `wake_after_commit(session)` itself.

A listener runs inside SQLAlchemy's after-commit event, on the event loop's thread: it must
not block or raise (an error is logged, the commit stands), only note work and wake tasks.
Listeners belong to one engine, so two bot instances in one process (tests) each hear only
their own commits; the other's rows reach them through polling, as from another process.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from bot.kernel.notices import Target

log = logging.getLogger(__name__)
_KEY = "outbox_commit"


@dataclass(frozen=True)
class Written:
    """One outbox row a transaction added."""

    id: int
    target: Target


@dataclass
class Commit:
    """What one transaction wrote into the outbox. `express`: its rows are a turn's own
    replies, to be sent at once by this process; `sends` collects the tasks a listener
    started for them (a caller may await them, see `express`)."""

    rows: list[Written] = field(default_factory=list)
    express: bool = False
    sends: list[asyncio.Task[Any]] = field(default_factory=list)


Listener = Callable[[Commit], None]
_LISTENERS: weakref.WeakKeyDictionary[Engine, list[Listener]] = weakref.WeakKeyDictionary()


def _commit_of(session: AsyncSession | Session) -> Commit:
    info = session.info
    commit = info.get(_KEY)
    if commit is None:
        commit = info[_KEY] = Commit()
    return commit


def wake_after_commit(session: AsyncSession | Session, rows: Iterable[Written] = ()) -> None:
    """Wake this process's outbox sender once the session's transaction commits.

    `enqueue` calls it for every row; call it yourself after writing outbox rows without
    `enqueue` (a bulk INSERT): `rows` may stay empty, the sender then claims what is due."""
    _commit_of(session).rows.extend(rows)


def express(session: AsyncSession) -> Commit:
    """Mark the transaction's outbox rows as a turn's replies: after commit this process
    claims and sends them at once (order per recipient and leases kept, see
    bot/delivery.py). Returns the commit note, whose `sends` hold the tasks sending them
    once the transaction has committed."""
    commit = _commit_of(session)
    commit.express = True
    return commit


def listen(engine: AsyncEngine | Engine, listener: Listener) -> Callable[[], None]:
    """Call `listener` after every commit on `engine` that wrote outbox rows; returns the
    function that stops it."""
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    listeners = _LISTENERS.setdefault(sync, [])
    listeners.append(listener)

    def stop() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return stop


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    commit: Commit | None = session.info.pop(_KEY, None)
    if commit is None:
        return
    bind = session.get_bind()
    engine = bind.engine if not isinstance(bind, Engine) else bind
    for listener in list(_LISTENERS.get(engine, ())):
        try:
            listener(commit)
        except Exception:  # the commit stands; the sender's polling finds the rows
            log.exception("an outbox wake-up failed")


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_KEY, None)
