"""The local chat loses no line and handles none twice across a crash or a database outage.

Repro (issue 14): each typed line got a fresh random event id and was handled straight away,
so over 6 kill -9s, 5 turns were handled twice and 3 of 56 requests never created. Now a line
is journalled with its event id before its turn and forgotten after it; a shell started
again sends what the killed one left (the engine drops a turn that had committed).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.local.parse import parse_line
from adapters.local.shell import Shell, typed_row
from bot.app import App, build_app
from bot.config.loader import load_config
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound
from storage.migrate import upgrade
from storage.models import InboundEventRow, LocalTypedRow
from storage.repositories import local_chat
from tests.conftest import world_day_start

SAMPLE = load_config(None)
USER = "schule.sonne"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    built = build_app(
        config=SAMPLE,
        url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
        clock=FrozenClock(world_day_start()),
    )
    await upgrade(built.db)
    yield built
    await built.close()


def shell_of(app: App, out: io.StringIO) -> Shell:
    return Shell(
        user_id=USER,
        display_name=None,
        locale="de",
        config=app.config,
        engine=app.engine,
        sender=app.sender,
        out=out,
        clock=app.engine.clock,
    )


async def count(app: App, model: type) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def journal(app: App, line: str) -> str:
    """What a shell killed right after journalling `line` (before its turn) left behind."""
    inbound = parse_line(line, user_id=USER, display_name=None, locale="de")
    assert inbound is not None
    async with app.sessions() as session, session.begin():
        await local_chat.keep_typed(session, typed_row(inbound, app.engine.clock.now()))
    return inbound.event_id


async def test_a_line_left_by_a_killed_shell_is_sent_at_the_next_start(app: App) -> None:
    await journal(app, "Hallo")
    out = io.StringIO()
    await shell_of(app, out).run_script(io.StringIO(""))
    assert "Guten Tag" in out.getvalue()
    assert await count(app, LocalTypedRow) == 0
    assert await count(app, InboundEventRow) == 1


async def test_a_line_whose_turn_committed_is_not_handled_again(app: App) -> None:
    """Killed after the turn committed, before the journal forgot the line."""
    event_id = await journal(app, "Hallo")
    inbound = parse_line("Hallo", user_id=USER, display_name=None, locale="de")
    assert inbound is not None
    assert await app.engine.handle(replace(inbound, event_id=event_id))
    first = io.StringIO()
    await shell_of(app, first).run_script(io.StringIO(""))
    assert first.getvalue().count("Guten Tag") == 1  # the answer of the first run, shown once
    assert await count(app, LocalTypedRow) == 0
    assert await count(app, InboundEventRow) == 1


async def test_lines_typed_while_the_database_fails_wait_and_go_in_order(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    shell = shell_of(app, out)
    real = app.engine.handle
    failing = True

    async def flaky(inbound: Inbound) -> bool:
        if failing:
            raise ConnectionError("database unreachable")
        return await real(inbound)

    monkeypatch.setattr(app.engine, "handle", flaky)
    await shell.say("Hallo")
    await shell.say("1")
    assert out.getvalue().count("gespeichert") == 2
    assert await count(app, InboundEventRow) == 0
    failing = False
    await shell.say("Haushalt")  # the database is back: all three go, in the order typed
    printed = out.getvalue()
    assert printed.index("Guten Tag") < printed.index("Worum geht es") < printed.rindex("Haushalt")
    assert await count(app, InboundEventRow) == 3
    assert await count(app, LocalTypedRow) == 0
