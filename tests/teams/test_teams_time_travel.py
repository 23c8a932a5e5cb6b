"""`hotline-bot sweep --at` beside a running Teams bot (issue 18).

The bot (engine, outbox sender loop, Teams adapter against the connector emulator) runs on
a shifted clock; the sweep is a separate process on the same database, given a config file
with the same Teams channels and the bot's clock shift. It records its steps as of three
days on, and the notices it writes are due now: the running bot posts them to the team's
channel at once. A jump in time is not downtime: no step is recorded as missed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import select

from bot.config.loader import default_config_path
from bot.kernel.clock import SHIFT_ENV, ShiftedClock
from storage.models import EscalationStepRow, TicketRow
from tests.matrix.bot_process import EXECUTABLE
from tests.teams.bot_fixture import HotlineBot, activity_json, postgres_database
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.playground import free_port
from tests.teams.stage import CAST, MONDAY_9, TEAM, aad, hotline_config

CHAT = "a:personal-time-travel"
INTAKE = ("Hallo", "1", "haushalt", "nein", "Uns fehlen Haushaltsmittel für Lernmittel", "-", "ja")
_ids = itertools.count(1_900_000_000_000)


def _config_file(path: Path, port: int, service_url: str) -> Path:
    """The sample config as the bot runs it (hotline_config): only Teams, anonymous, the
    haushalt team's channel and the cast's ids; for the sweep process."""
    data: dict[str, Any] = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    for team in data["teams"]:
        team["channels"].pop("teams", None)
        if team["id"] == "haushalt":
            team["channels"]["teams"] = TEAM
        for member in team["members"]:
            member["ids"].pop("teams", None)
            if member["id"] in CAST:
                member["ids"]["teams"] = aad(member["id"])
    for name, platform in data["platforms"].items():
        platform["enabled"] = name == "teams"
    data["platforms"]["teams"] = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "service_url": service_url,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def _say(bot: HotlineBot, connector: ConnectorEmulator, text: str) -> None:
    """Post one personal-chat message and wait until the engine has handled it."""
    handled = len(bot.inbound) + 1
    activity = activity_json(
        id=str(next(_ids)),
        text=text,
        serviceUrl=connector.service_url,
        conversation={"id": CHAT, "conversationType": "personal", "tenantId": "t"},
    )
    async with aiohttp.ClientSession() as http, http.post(bot.endpoint, json=activity) as answer:
        assert answer.status in (200, 201), answer.status
    await bot.wait_handled(handled)


def _in_channel(connector: ConnectorEmulator, text: str) -> bool:
    """Whether a post in the haushalt channel (or a reply in a thread there: follow-ups go
    under the ticket's card) carries `text`, plain or in a card."""
    return any(
        text in json.dumps(a.body, ensure_ascii=False)
        for a in connector.sent()
        if a.conversation_id.split(";")[0] == TEAM
    )


async def _sweep_at(bot: HotlineBot, clock: ShiftedClock, config: Path, days: int) -> str:
    """``hotline-bot sweep --at`` (`days` after MONDAY_9) as its own process on the bot's
    database and shifted clock; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {
        "HOTLINE_DATA_DIR": str(bot.workdir),
        "HOTLINE_DATABASE_URL": bot.database_url,
        SHIFT_ENV: str(clock.offset.total_seconds()),
    }
    moment = (MONDAY_9 + timedelta(days=days)).isoformat()
    done = await asyncio.to_thread(
        subprocess.run,
        [str(EXECUTABLE), "sweep", "--at", moment, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"sweep failed: {done.stdout}\n{done.stderr}"
    return done.stdout


async def _wait_in_channel(bot: HotlineBot, connector: ConnectorEmulator, text: str) -> None:
    """Until the channel shows `text` (fails with the outbox's state)."""

    async def posted() -> bool:
        return _in_channel(connector, text)

    await bot.wait_until(posted, timeout=10, what=f"{text!r} in the channel")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_sweep_at_a_later_moment_reaches_the_teams_channel_now(
    connector: ConnectorEmulator, tmp_path: Path, database: str
) -> None:
    port = free_port()
    clock = ShiftedClock.starting_at(MONDAY_9)
    config = hotline_config(port, connector.service_url)
    async with postgres_database(enabled=database == "postgresql") as url:
        bot = HotlineBot(config, tmp_path / "bot", clock, database_url=url)
        await bot.start()
        try:
            for text in INTAKE:
                await _say(bot, connector, text)
            async with bot.app.sessions() as session:
                (ticket,) = (await session.scalars(select(TicketRow.id))).all()
            await _wait_in_channel(bot, connector, f"Ticket Nr. {ticket}")

            file = _config_file(tmp_path / "hotline.yaml", port, connector.service_url)
            swept = await _sweep_at(bot, clock, file, days=3)
            assert "(0 found late" in swept, swept
            started = time.monotonic()
            for text in (
                f"Noch nicht übernommen: Nr. {ticket}",
                f"Frist überschritten: Nr. {ticket}",
                f"Nr. {ticket} wurde an die Abteilungsleitung gemeldet",
            ):
                await _wait_in_channel(bot, connector, text)
            delivered_after = time.monotonic() - started
            async with bot.app.sessions() as session:
                steps = list((await session.scalars(select(EscalationStepRow))).all())
            assert len(steps) >= 3 and {s.ticket_id for s in steps} == {ticket}
            assert not [s.key for s in steps if s.missed], "a jump in time counted as downtime"
            print(f"sweep --at notices in the Teams channel {delivered_after:.1f} s after the CLI")
        finally:
            await bot.stop()
