"""`hotline-bot run` reloads its config on SIGHUP: the same process (same pid, one start)
treats a newly added Teams user as staff, and refuses a broken file while serving on.

The bot runs in Teams' anonymous local mode on a SQLite file; its answers are not delivered
(no connector listens), what it decided is read from the database it writes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config.loader import default_config_path
from storage.engine import make_engine
from storage.models import AuditLogRow, InboundEventRow
from tests.child_process import die_with_parent, resolve_prctl
from tests.db_templates import SqliteTemplate
from tests.teams.bot_fixture import activity_json
from tests.teams.playground_model import free_port

ROOT = Path(__file__).resolve().parents[2]
NEWCOMER = "aad-newcomer"
TIMEOUT = 60.0
PLATFORMS = """platforms:
  local:
    enabled: true
"""
TEAMS_ON = """platforms:
  local:
    enabled: false
  teams:
    enabled: true
    port: {port}
"""
HAUSHALT_END = """          teams: "fb9f98ee-26dc-404b-9abc-a90b0b7d48d0"
    leads: [hh.schneider]
"""
WITH_NEWCOMER = """          teams: "fb9f98ee-26dc-404b-9abc-a90b0b7d48d0"
      - id: hh.neu
        name: "Nora Neu"
        ids:
          teams: "aad-newcomer"
    leads: [hh.schneider]
"""


def config_text(teams_port: int, *, newcomer: bool) -> str:
    """The sample with only Teams (anonymous, on `teams_port`) and without the ops server
    (its fixed port may be taken); with or without the newcomer in team Haushalt."""
    text = default_config_path().read_text(encoding="utf-8")
    start, end = text.index(PLATFORMS), text.index("# --- Operations")
    text = text[:start] + TEAMS_ON.format(port=teams_port) + text[end:]
    text = text.replace("operations:\n  enabled: true", "operations:\n  enabled: false", 1)
    assert text.count(HAUSHALT_END) == 1, "the sample's team Haushalt changed: adapt this test"
    return text.replace(HAUSHALT_END, WITH_NEWCOMER) if newcomer else text


class BotProcess:
    """`hotline-bot run` as a child process with a JSON log."""

    def __init__(self, workdir: Path, config: Path, url: str) -> None:
        self.log = workdir / "bot.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("HOTLINE_", "TEAMS_", "MATRIX_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            HOTLINE_CONFIG=str(config),
            HOTLINE_DATABASE_URL=url,
            HOTLINE_DATA_DIR=str(workdir / "data"),
            HOTLINE_LOG_FORMAT="json",
        )
        prctl = resolve_prctl()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(prctl, os.getpid()) if prctl else None,
            )

    def events(self, name: str) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        found = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("event") == name:
                found.append(record)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def until(what: str, check: Callable[[], Awaitable[bool]], bot: BotProcess) -> None:
    """Poll `check` until true; fail with the bot's log if it never is (or the bot died)."""
    deadline = time.monotonic() + TIMEOUT
    while not await check():
        if bot.process.poll() is not None or time.monotonic() > deadline:
            log = bot.log.read_text(encoding="utf-8", errors="replace")[-3000:]
            pytest.fail(f"{what} never happened (exit {bot.process.poll()}):\n{log}")
        await asyncio.sleep(0.05)


async def test_sighup_reloads_staff_in_the_running_process(
    tmp_path: Path, sqlite_template: SqliteTemplate
) -> None:
    port = free_port()
    config = tmp_path / "hotline.yaml"
    config.write_text(config_text(port, newcomer=False), encoding="utf-8")
    url = await sqlite_template.copy_to(tmp_path / "hotline.db")
    db = make_engine(url)
    bot = BotProcess(tmp_path, config, url)
    pid = bot.process.pid

    async def count(model: Any, *where: Any) -> int:
        async with db.connect() as connection:
            return int(
                (
                    await connection.execute(select(func.count()).select_from(model).where(*where))
                ).scalar_one()
            )

    async def refused() -> int:
        return await count(
            AuditLogRow, AuditLogRow.action == "refused", AuditLogRow.user_id == NEWCOMER
        )

    async def say(http: aiohttp.ClientSession, number: int, text: str) -> None:
        """The newcomer writes; returns once the bot has handled the message."""
        before = await count(InboundEventRow)
        body = activity_json(
            id=f"17000000000{number:02d}",
            text=text,
            **{"from": {"id": "29:newcomer", "name": "Nora Neu", "aadObjectId": NEWCOMER}},
        )
        async with http.post(f"http://127.0.0.1:{port}/api/messages", json=body) as answer:
            assert answer.status < 300, await answer.text()

        async def handled() -> bool:
            return await count(InboundEventRow) > before

        await until(f"message {number} handled", handled, bot)

    async def started() -> bool:
        return bool(bot.events("bot_started"))

    try:
        await until("the bot's start", started, bot)
        async with aiohttp.ClientSession() as http:
            await say(http, 1, "/queue")
            assert await refused() == 1  # a requester may not see the queue

            config.write_text(config_text(port, newcomer=True), encoding="utf-8")
            bot.process.send_signal(signal.SIGHUP)

            async def reloaded() -> bool:
                return bool(bot.events("config_reloaded"))

            await until("config_reloaded", reloaded, bot)
            await say(http, 2, "/queue")
            assert await refused() == 1  # now staff: not refused

            config.write_text("teams: [unclosed\n", encoding="utf-8")
            bot.process.send_signal(signal.SIGHUP)

            async def refusal_logged() -> bool:
                return bool(bot.events("config_reload_refused"))

            await until("config_reload_refused", refusal_logged, bot)
            await say(http, 3, "/queue")
            assert await refused() == 1  # the old (reloaded) config stays
        assert bot.process.poll() is None and bot.process.pid == pid
        assert len(bot.events("bot_started")) == 1  # never restarted
        (done,) = bot.events("config_reloaded")
        assert done["level"] == "info" and "people +1" in done["message"]
        assert "Nora" not in bot.log.read_text(encoding="utf-8")  # ids, never names
    finally:
        bot.stop()
        await db.dispose()
    assert bot.process.returncode == 0
