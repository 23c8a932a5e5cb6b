"""The local chat while the database is really away (a PostgreSQL server of the module's own,
stopped and started): every typed line is kept, said to be kept, and sent in order with its
answer once the database is back, also when the input ends before that."""

from __future__ import annotations

import asyncio
import io
import time

from sqlalchemy import func, select

from bot.app import build_app
from bot.config.loader import load_config
from bot.kernel.clock import FrozenClock
from storage.migrate import upgrade
from storage.models import InboundEventRow, LocalTypedRow
from tests.cli.test_local_journal import shell_of
from tests.conftest import world_day_start
from tests.private_postgres import PrivatePostgres, fresh_database


async def test_lines_typed_while_postgres_is_stopped_are_sent_when_it_returns(
    private_pg: PrivatePostgres,
) -> None:
    app = build_app(
        config=load_config(None),
        url=await fresh_database(private_pg),
        clock=FrozenClock(world_day_start()),
    )
    await upgrade(app.db)
    out = io.StringIO()
    shell = shell_of(app, out)
    try:
        await shell.say("/hilfe")  # the pool holds connections that will die
        private_pg.stop()
        script = asyncio.create_task(shell.run_script(io.StringIO("Hallo\n1\nHaushalt\n")))
        deadline = time.monotonic() + 30
        while out.getvalue().count("gespeichert") < 3:  # each line: "kept, sent later"
            assert time.monotonic() < deadline and not script.done(), out.getvalue()
            await asyncio.sleep(0.05)
        assert not script.done()  # the input has ended, but lines wait: it must not return
        private_pg.start()
        await asyncio.wait_for(script, timeout=30)
        printed = out.getvalue()
        assert printed.index("Guten Tag") < printed.index("Worum geht es")
        async with app.sessions() as session:
            handled = await session.scalar(select(func.count()).select_from(InboundEventRow))
            waiting = await session.scalar(select(func.count()).select_from(LocalTypedRow))
        assert (handled, waiting) == (4, 0)
        assert "interner Fehler" not in printed
    finally:
        if not private_pg.running():
            private_pg.start()
        await app.close()
