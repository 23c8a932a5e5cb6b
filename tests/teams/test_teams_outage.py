"""Teams while the database is away: each activity is kept on disk and acknowledged, and
answered in the order it came once the database is back; newer activities queue behind kept
ones. Without a spool (or when the disk refuses) the caller is asked to retry (503).

The database is a PostgreSQL server of the module's own, stopped and started for real; the
replies are read at the local Bot Connector emulator."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.teams.adapter import TeamsAdapter
from adapters.teams.settings import TeamsSettings
from adapters.teams.spool import Spool
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker
from tests.private_postgres import PrivatePostgres, fresh_database
from tests.teams.bot_fixture import HotlineBot, activity_json
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.playground import free_port
from tests.teams.stage import MONDAY_9, hotline_config

_ids = itertools.count(1_800_000_000_000)
CHAT = "a:personal-outage"


def _message(connector: ConnectorEmulator, text: str) -> dict[str, Any]:
    return activity_json(
        id=str(next(_ids)),
        text=text,
        serviceUrl=connector.service_url,
        conversation={"id": CHAT, "conversationType": "personal", "tenantId": "t"},
    )


async def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        return response.status, dict(response.headers)


@pytest.fixture
async def pg_bot(
    private_pg: PrivatePostgres, connector: ConnectorEmulator, tmp_path: Path
) -> AsyncIterator[HotlineBot]:
    url = await fresh_database(private_pg)
    config = hotline_config(free_port(), connector.service_url)
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), database_url=url)
    await bot.start()
    yield bot
    if not private_pg.running():
        private_pg.start()
    await bot.stop()


def _replies(connector: ConnectorEmulator) -> list[str]:
    return [a.text or "" for a in connector.sent(CHAT) if a.type == "message"]


async def test_activities_are_kept_while_the_database_is_away_and_answered_in_order(
    pg_bot: HotlineBot, private_pg: PrivatePostgres, connector: ConnectorEmulator
) -> None:
    bot = pg_bot
    assert (await _post(bot.endpoint, _message(connector, "/hilfe")))[0] == 201
    await bot.wait_outbox_idle()
    before = len(_replies(connector))
    assert before >= 1

    private_pg.stop()
    typed = ["/meine", "/sprache en", "/hilfe"]  # the last answer shows the order held
    statuses = [(await _post(bot.endpoint, _message(connector, text)))[0] for text in typed]
    assert statuses == [201, 201, 201]
    assert bot.adapter.kept is not None
    assert len(bot.adapter.kept.spool.waiting()) == 3
    assert len(_replies(connector)) == before  # nothing answered while away

    private_pg.start()
    await bot.wait_until(
        lambda: _nothing_kept(bot), timeout=20, what="the spool replayed"
    )  # the replayer notices the database within a second
    await bot.wait_outbox_idle(timeout=20)
    later = _replies(connector)[before:]
    assert len(later) == 3, later
    assert "noch kein Anliegen" in later[0]  # /meine, in German
    assert "in English" in later[1]  # /sprache en
    assert "rate a resolved request" in later[2]  # /hilfe after the switch: English
    assert not any("interner Fehler" in text or "internal error" in text for text in later)
    handled = [r.inbound.text for r in bot.inbound if r.handled]
    assert handled[-3:] == typed  # each once, in the order typed


async def _nothing_kept(bot: HotlineBot) -> bool:
    kept = bot.adapter.kept
    return kept is not None and not kept.waiting and not kept.spool.waiting()


async def test_a_new_activity_queues_behind_kept_ones_even_with_the_database_back(
    pg_bot: HotlineBot, private_pg: PrivatePostgres, connector: ConnectorEmulator
) -> None:
    bot = pg_bot
    kept = bot.adapter.kept
    assert kept is not None
    private_pg.stop()
    assert (await _post(bot.endpoint, _message(connector, "/meine")))[0] == 201
    replayer, bot.adapter._replayer = bot.adapter._replayer, None  # hold the replay back
    assert replayer is not None
    replayer.cancel()
    private_pg.start()

    assert (await _post(bot.endpoint, _message(connector, "/hilfe")))[0] == 201
    assert len(kept.spool.waiting()) == 2  # queued, although it could have run at once
    assert await kept.replay() == 2
    assert [r.inbound.text for r in bot.inbound if r.handled] == ["/meine", "/hilfe"]


@pytest.fixture
async def dead_database(private_pg: PrivatePostgres) -> AsyncIterator[str]:
    url = await fresh_database(private_pg)
    private_pg.stop()
    yield url
    private_pg.start()


@pytest.mark.parametrize("spool", ["none", "refused"])
async def test_without_a_spool_the_caller_is_asked_to_retry(
    dead_database: str, connector: ConnectorEmulator, tmp_path: Path, spool: str
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the spool directory should be")
    engine = make_engine(dead_database)
    adapter = TeamsAdapter(
        TeamsSettings(),
        make_sessionmaker(engine),
        FrozenClock(MONDAY_9),
        spool=Spool(blocked / "spool") if spool == "refused" else None,
    )

    async def never(_inbound: object) -> None:
        raise AssertionError("no turn can run without the database")

    await adapter.open(never)
    server = TestServer(adapter.web_app(), host="127.0.0.1")
    await server.start_server()
    try:
        status, headers = await _post(
            str(server.make_url("/api/messages")), _message(connector, "x")
        )
    finally:
        await server.close()
        await adapter.stop()
        await engine.dispose()
    assert status == 503
    assert int(headers["Retry-After"]) > 0
