"""The real bot as a separate process: ``hotline-bot run --matrix`` against a test Synapse.

- ``write_config``: the sample config as a YAML file, with Matrix pointed at the test
  server, the given team rooms and people, everything else that names stadt.example
  removed.
- ``BotProcess``: ``hotline-bot db upgrade`` once, then start (a NEW process each time, same
  data dir and SQLite file), stop gracefully (SIGTERM) or kill (SIGKILL); its output goes to
  a log file whose tail failures quote.
- ``Database``: the test's own read/write connection to that SQLite file (or the PostgreSQL
  database given; plain SQLAlchemy, not the bot's engine), for exact counts while a bot
  process runs or after it was killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config.loader import default_config_path
from bot.kernel.clock import SHIFT_ENV, ShiftedClock
from storage.models import InboundEventRow, InboxRow, OutboxRow
from tests.child_process import die_with_parent, resolve_prctl
from tests.conftest import world_day_start

TOKEN_ENV = "HOTLINE_MATRIX_ACCESS_TOKEN"  # the sample config's name for the token
EXECUTABLE = Path(sys.executable).with_name("hotline-bot")


def write_config(
    path: Path,
    *,
    homeserver: str,
    bot_user_id: str,
    team_rooms: Mapping[str, str],
    people: Mapping[str, str],
    allowed_homeservers: tuple[str, ...] = ("localhost",),
    matrix_enabled: bool = True,
    ops_port: int | None = None,
    store_path: Path | None = None,
) -> Path:
    """Write the sample config with Matrix aimed at the test server; return `path`.

    Teams in `team_rooms` get that room (id or alias) as their Matrix channel, the others
    none; persons in `people` get that Matrix id, the others none. With `matrix_enabled`
    False, Matrix stays disabled in the file (served only through ``run --matrix``) and the
    local chat stays enabled as in the sample (a config enabling no platform is refused).
    `ops_port`: where health and metrics are served (two instances need two); `store_path`:
    the Matrix key store (instances that take over from each other share one)."""
    data: dict[str, Any] = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    for team in data["teams"]:
        team["channels"].pop("matrix", None)
        if team["id"] in team_rooms:
            team["channels"]["matrix"] = team_rooms[team["id"]]
        for member in team["members"]:
            member["ids"].pop("matrix", None)
            if member["id"] in people:
                member["ids"]["matrix"] = people[member["id"]]
    platforms = data["platforms"]
    platforms["local"]["enabled"] = not matrix_enabled
    platforms["teams"]["enabled"] = False
    matrix = platforms["matrix"]
    matrix.pop("leads_room", None)
    matrix.update(
        enabled=matrix_enabled,
        homeserver=homeserver,
        user_id=bot_user_id,
        access_token={"env": TOKEN_ENV},
        allowed_homeservers=list(allowed_homeservers),
        encrypt_direct_rooms=False,
    )
    if store_path is not None:
        matrix["store_path"] = str(store_path)
    if ops_port is not None:
        data["operations"]["port"] = ops_port
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class BotProcess:
    """``hotline-bot run --matrix`` as a child process; every start is a new process on the
    same config, data dir and database."""

    def __init__(
        self, config: Path, data_dir: Path, access_token: str, database_url: str | None = None
    ) -> None:
        self.config = config
        self.url = database_url  # None: the SQLite file in the data dir
        self.data_dir = data_dir
        self.log_path = data_dir / "bot.log"
        self.access_token = access_token
        self.starts = 0
        # Every process starts on the test's day, a restart where the last one left off.
        self.clock_shift = ShiftedClock.starting_at(world_day_start()).offset
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def database_url(self) -> str:
        """The given URL, else the SQLite file in the data dir (the bot's default)."""
        return self.url or f"sqlite+aiosqlite:///{self.data_dir / 'hotline.db'}"

    @property
    def running(self) -> bool:
        """Whether the current process is alive."""
        return self._process is not None and self._process.poll() is None

    def environment(self) -> dict[str, str]:
        """The parent's environment with the bot's data dir and token; without a database
        URL the bot uses the SQLite file in the data dir."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env |= {
            "HOTLINE_DATA_DIR": str(self.data_dir),
            "HOTLINE_CONFIG": str(self.config),
            TOKEN_ENV: self.access_token,
            SHIFT_ENV: str(self.clock_shift.total_seconds()),
            "PYTHONUNBUFFERED": "1",
        }
        if self.url is not None:
            env["HOTLINE_DATABASE_URL"] = self.url
        return env

    async def upgrade(self) -> None:
        """``hotline-bot db upgrade`` (``run`` refuses an outdated schema)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        done = await asyncio.to_thread(
            subprocess.run,
            [str(EXECUTABLE), "db", "upgrade"],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"db upgrade failed: {done.stdout}\n{done.stderr}"

    def start(self) -> None:
        """Spawn a new bot process (in its own session, killed if the test run dies)."""
        assert not self.running, "the bot process is already running"
        preexec: Callable[[], None] | None = None
        prctl = resolve_prctl()
        if prctl is not None and threading.current_thread() is threading.main_thread():
            preexec = die_with_parent(prctl, os.getpid())
        self.starts += 1
        self.data_dir.mkdir(parents=True, exist_ok=True)  # a second instance's, say
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start {self.starts} at {time.time():.3f}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [str(EXECUTABLE), "run", "--matrix", "--config", str(self.config)],
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,
            )

    async def stop(self, grace: float = 40.0) -> int:
        """SIGTERM and wait for a graceful exit; return the exit code (fails after `grace`)."""
        process = self._require_running()
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(process.wait, grace)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"no exit within {grace:.0f} s of SIGTERM\n{self.log_tail()}"
            ) from None
        return int(code)

    def kill(self) -> None:
        """SIGKILL at once (a crash: nothing is flushed, closed or handed back)."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def check_alive(self) -> None:
        """Fail with the log's tail if the process has exited."""
        if self._process is not None and self._process.poll() is not None:
            raise AssertionError(
                f"the bot exited with {self._process.returncode}\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 40) -> str:
        """The end of the bot's output (all starts), for failure messages."""
        if not self.log_path.exists():
            return "(no output)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return f"--- {self.log_path} (last {lines} lines)\n" + "\n".join(text[-lines:])

    def _require_running(self) -> subprocess.Popen[bytes]:
        self.check_alive()
        assert self._process is not None, "the bot process was never started"
        return self._process


class Database:
    """The test's own connection to the bot's SQLite file (safe beside a running bot: WAL,
    short transactions, a busy timeout)."""

    def __init__(self, url: str) -> None:
        args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: AsyncEngine = create_async_engine(url, connect_args=args)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    async def close(self) -> None:
        """Close the test's connections."""
        await self.engine.dispose()

    async def outbox(self, **where: Any) -> list[OutboxRow]:
        """Outbox rows (filtered by column=value), oldest first."""
        query = select(OutboxRow).order_by(OutboxRow.id)
        for column, value in where.items():
            query = query.where(getattr(OutboxRow, column) == value)
        async with self.sessions() as session:
            return list((await session.scalars(query)).all())

    async def delivered_to(self, addresses: set[str]) -> int:
        """How many outbox rows to these users are delivered."""
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.target_address.in_(addresses), OutboxRow.status == "delivered")
            )
        return int(count or 0)

    async def stored(self, event_ids: set[str]) -> int:
        """How many of these events the sync loop has stored in the inbox."""
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(InboxRow).where(InboxRow.event_id.in_(event_ids))
            )
        return int(count or 0)

    async def seen(self, event_ids: set[str]) -> int:
        """How many of these events the engine has handled (recorded as seen)."""
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(InboundEventRow)
                .where(InboundEventRow.event_id.in_(event_ids))
            )
        return int(count or 0)

    async def inbox(self) -> list[InboxRow]:
        """Every inbox row, oldest first."""
        async with self.sessions() as session:
            return list((await session.scalars(select(InboxRow).order_by(InboxRow.id))).all())
