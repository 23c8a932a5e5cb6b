"""The Matrix inbox worker against an event that always fails: it is given up after a few
attempts (marked done, the sender told through the outbox, an error naming it), so the
events behind it are handled; while the database is away nothing is given up."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import inbox_worker
from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.inbox_worker import MAX_ATTEMPTS, InboxWorker
from adapters.matrix.settings import MatrixSettings
from bot.config.loader import load_config
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, inbound_to_json
from storage.models import AuditLogRow, InboxRow, OutboxRow
from storage.repositories import inbox

Sessions = async_sessionmaker[AsyncSession]
ANNA = "@anna:localhost"
BERT = "@bert:localhost"


def message(event_id: str, user_id: str, *, direct: bool = True) -> dict[str, Any]:
    inbound = Inbound(
        "matrix",
        "!dm:localhost" if direct else "!team:localhost",
        user_id,
        event_id,
        "Hallo",
        is_direct=direct,
        channel_id=None if direct else "!team:localhost",
    )
    return {"kind": "message", "inbound": inbound_to_json(inbound)}


async def store(sessions: Sessions, clock: FrozenClock, *payloads: dict[str, Any]) -> None:
    async with sessions() as session, session.begin():
        for payload in payloads:
            event_id = payload["inbound"]["event_id"]
            await inbox.put(
                session, platform="matrix", event_id=event_id, payload=payload, at=clock.now()
            )


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox_worker, "RETRY_SECONDS", 0.001)


def adapter(sessions: Sessions, clock: FrozenClock, tmp_path: Path) -> MatrixAdapter:
    settings = MatrixSettings("http://127.0.0.1:1", "@hotline:localhost", "t", (), tmp_path)
    return MatrixAdapter(settings, load_config(None), sessions, clock)


async def run_until(worker: InboxWorker, done: asyncio.Event) -> None:
    worker.stored([])  # wake it: the table is read at once
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()


@pytest.mark.parametrize("direct", [True, False])
async def test_a_poison_event_is_given_up_and_the_next_one_is_handled(
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    direct: bool,
) -> None:
    made = adapter(sessions, clock, tmp_path)
    tried: list[str] = []
    good = asyncio.Event()

    async def handle(payload: dict[str, Any]) -> None:
        event_id = payload["inbound"]["event_id"]
        tried.append(event_id)
        if event_id == "$poison":
            raise KeyError("a payload the handler always chokes on")
        good.set()

    made.inbox.handle = handle
    await store(sessions, clock, message("$poison", ANNA, direct=direct), message("$good", BERT))
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.inbox_worker"):
        await run_until(made.inbox, good)
    assert tried == ["$poison"] * MAX_ATTEMPTS + ["$good"]
    async with sessions() as session:
        assert list(await inbox.pending(session, platform="matrix")) == []
        sent = (await session.scalars(select(OutboxRow))).all()
        audited = (await session.scalars(select(AuditLogRow))).all()
    expected = t("error.internal", None)
    if direct:
        assert [(row.target_kind, row.target_address) for row in sent] == [("user", ANNA)]
        assert sent[0].payload["text"] == expected
    else:
        assert [(row.target_kind, row.target_address) for row in sent] == [
            ("channel", "!team:localhost")
        ]
        assert sent[0].payload["text"] == f"{ANNA}: {expected}"
    assert [(row.action, row.user_id, row.detail["event_id"]) for row in audited] == [
        ("inbound_failed", ANNA, "$poison")
    ]
    errors = [record.getMessage() for record in caplog.records if "given up" in record.getMessage()]
    assert len(errors) == 1 and "$poison" in errors[0]


async def test_nothing_is_given_up_while_the_database_is_away(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler and the give-up both fail (the database): the event stays pending and is
    handled once the database is back, however many attempts that took."""
    made = adapter(sessions, clock, tmp_path)
    handled = asyncio.Event()
    failures = [0]
    away = [True]
    mark_events_done = inbox.mark_events_done

    async def handle(payload: dict[str, Any]) -> None:
        away[0] = failures[0] < MAX_ATTEMPTS + 3
        if away[0]:
            failures[0] += 1
            raise OSError("database is locked")
        handled.set()

    async def mark(session: AsyncSession, **kwargs: Any) -> None:
        if away[0]:
            raise OSError("database is locked")
        await mark_events_done(session, **kwargs)

    monkeypatch.setattr(inbox, "mark_events_done", mark)
    made.inbox.handle = handle
    await store(sessions, clock, message("$late", ANNA))
    await run_until(made.inbox, handled)
    assert failures[0] == MAX_ATTEMPTS + 3
    async with sessions() as session:
        assert (await session.scalars(select(InboxRow.done))).all() == [True]
        assert (await session.scalars(select(OutboxRow))).all() == []


async def test_a_broken_apology_does_not_block_the_inbox_either(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path
) -> None:
    made = adapter(sessions, clock, tmp_path)
    good = asyncio.Event()

    async def handle(payload: dict[str, Any]) -> None:
        if payload["inbound"]["event_id"] == "$poison":
            raise KeyError("always")
        good.set()

    async def give_up(session: AsyncSession, payload: dict[str, Any], attempts: int) -> None:
        raise ValueError("the apology itself is broken")

    made.inbox.handle = handle
    made.inbox.give_up = give_up
    await store(sessions, clock, message("$poison", ANNA), message("$good", BERT))
    await run_until(made.inbox, good)
    async with sessions() as session:
        assert list(await inbox.pending(session, platform="matrix")) == []
