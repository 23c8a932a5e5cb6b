"""`hotline-bot sweep --at` beside a running ``hotline-bot run --matrix`` (issue 18).

The sweep is a separate process on the same config and database: it records its steps as
of the simulated moment (three days on), and the notices it writes are due now, so the
running bot posts them to the Matrix team room at once. A jump in time is not downtime:
no step is recorded as missed (found late).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import EscalationStepRow
from tests.conftest import world_day_start
from tests.matrix.bot_fixture import ticket_number, wait_for_join
from tests.matrix.bot_process import EXECUTABLE, BotProcess
from tests.matrix.conftest import ClientFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.test_matrix_process_restart import _requester, _stage
from tests.teams.bot_fixture import postgres_database


async def sweep_at(bot: BotProcess, days: int) -> str:
    """Run ``hotline-bot sweep --at`` (`days` after the test's day) as its own process on
    the running bot's config, database and shifted clock; return its output."""
    moment = (world_day_start() + timedelta(days=days)).isoformat()
    done = await asyncio.to_thread(
        subprocess.run,
        [str(EXECUTABLE), "sweep", "--at", moment, "--config", str(bot.config)],
        env=bot.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"sweep failed: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_sweep_at_a_later_moment_reaches_the_matrix_team_room_now(
    synapse: SynapseServer, matrix_client: ClientFactory, tmp_path: Path, database: str
) -> None:
    async with postgres_database(enabled=database == "postgresql") as url:
        await _sweep_beside_the_bot(synapse, matrix_client, tmp_path, url)


async def _sweep_beside_the_bot(
    synapse: SynapseServer, matrix_client: ClientFactory, tmp_path: Path, url: str | None
) -> None:
    """File a ticket with the bot running, sweep three days on, read the team room."""
    stage = await _stage(synapse, matrix_client, tmp_path, matrix_enabled=True, database_url=url)
    bot, db, agent, room = stage.bot, stage.db, stage.agent, stage.room
    try:
        bot.start()
        await wait_for_join(agent, room, stage.bot_id, within=60)
        requester, dm = await _requester(synapse, matrix_client, stage.bot_id, 0)
        number = ticket_number((await file_request(requester, dm)).body)
        await agent.expect(room, f"Ticket Nr. {number}", within=15)

        swept = await sweep_at(bot, days=3)
        assert "(0 found late" in swept, swept
        sent = time.monotonic()
        for text in (
            f"Noch nicht übernommen: Nr. {number}",
            f"Frist überschritten: Nr. {number}",
            f"Nr. {number} wurde an die Abteilungsleitung gemeldet",
        ):
            await agent.expect(room, text, within=10)
        delivered_after = time.monotonic() - sent
        bot.check_alive()
        async with db.sessions() as session:
            steps = list((await session.scalars(select(EscalationStepRow))).all())
        assert len(steps) >= 3 and {s.ticket_id for s in steps} == {number}
        assert not [s.key for s in steps if s.missed], "a jump in time counted as downtime"
        print(f"sweep --at notices in the team room {delivered_after:.1f} s after the CLI")
    finally:
        bot.kill()
        await db.close()
