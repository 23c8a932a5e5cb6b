"""Deadline sweep vs the bare indexed SELECT of the same due rows, as open tickets pile up.

Open tickets: 10k, 100k, 1M on PostgreSQL, 10k and 100k on SQLite (quick: 1k and 10k). All
but DUE of them are due tomorrow. Two figures per size:
- idle: a sweep that finds nothing due (every 30 s, most of the day) vs the bare SELECT;
- busy: a sweep that fires DUE reminders (claims each step under its key, enqueues the
  channel post, reschedules the ticket) vs the bare SELECT returning those DUE rows.
Both should stay flat from 10k to 1M: the sweep touches the due rows only.
Then, on PostgreSQL, OVERDUE tickets whose reaction deadline passed five minutes ago, swept
by two processes at once (tests/bench/sweep_child.py): the wall time until both are done.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config.loader import load_config
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import EscalationStepRow, TicketRow, UtcDateTime
from tests.bench.table import Row, skipped

NOW = datetime(2026, 11, 30, 12, 30, tzinfo=UTC)  # Monday 13:30 in Berlin
OPENED = NOW - timedelta(hours=4, minutes=30)  # 09:00: reaction due 15:30, reminder at 13:30
DUE = 100
OVERDUE = 1_000
OVERDUE_BY = timedelta(minutes=5)  # their reaction deadline passed at 13:25
PG_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

_COLUMNS = (
    "version, status, topic_id, customer_group_id, team_id, level, escalation_level,"
    " escalation_repeats, confidential, anonymous, description, requester_platform,"
    " requester_id, requester_locale, created_at, updated_at, queued_at,"
    " first_response_due_at, resolution_due_at, next_due_at, next_action_at,"
    " requester_informed_at"
)
_VALUES = (
    "1, 'queued', 'kreditoren', 'f1-f3', 'kreditoren', 2, 0, 0, false, false, 'Beleg', 'local',"
    " 'schule.' || {n}, 'de', :opened, :opened, :opened, :reaction, :resolution, :reaction,"
    " :tomorrow, :opened"
)


def _seed_sql(dialect: str) -> str:
    if dialect == "postgresql":
        values = _VALUES.format(n="g")
        return f"INSERT INTO tickets ({_COLUMNS}) SELECT {values} FROM generate_series(1, :count) g"
    values = _VALUES.format(n="x").replace("false", "0")
    return (
        f"INSERT INTO tickets ({_COLUMNS}) WITH RECURSIVE g(x) AS"
        f" (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :count) SELECT {values} FROM g"
    )


async def _seed(engine: AsyncEngine, count: int, *, overdue: bool = False) -> None:
    statement = text(_seed_sql(engine.dialect.name)).bindparams(
        *(
            bindparam(name, type_=UtcDateTime())
            for name in ("opened", "reaction", "resolution", "tomorrow")
        )
    )
    async with engine.begin() as connection:
        await connection.execute(
            statement,
            {
                "count": count,
                "opened": OPENED,
                "reaction": NOW - OVERDUE_BY if overdue else NOW + timedelta(hours=2),
                "resolution": NOW + timedelta(days=2),
                "tomorrow": NOW - OVERDUE_BY if overdue else NOW + timedelta(days=1),
            },
        )
        await connection.execute(text("ANALYZE"))


async def _make_due(engine: AsyncEngine) -> None:
    """DUE tickets owe their reminder now; earlier runs' steps are forgotten."""
    async with engine.begin() as connection:
        await connection.execute(delete(EscalationStepRow))
        await connection.execute(
            update(TicketRow).where(TicketRow.id <= DUE).values(next_action_at=NOW)
        )


async def _bare_select(engine: AsyncEngine, moment: datetime) -> float:
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    async with sessions() as session:
        query = select(TicketRow).where(TicketRow.next_action_at <= moment)
        rows = (await session.scalars(query.order_by(TicketRow.next_action_at).limit(200))).all()
    elapsed = time.perf_counter() - started
    assert len(rows) in (0, DUE)
    return elapsed * 1000


async def _measure(engine: AsyncEngine, label: str, count: int, repeats: int) -> list[Row]:
    config = load_config(None)
    sessions = make_sessionmaker(engine)
    idle_clock = FrozenClock(NOW - timedelta(minutes=1))
    busy_clock = FrozenClock(NOW)
    idle, idle_base, busy, busy_base = [], [], [], []
    for _ in range(repeats):
        await _make_due(engine)
        idle_base.append(await _bare_select(engine, idle_clock.now()))
        started = time.perf_counter()
        report = await Sweeper(config, sessions, idle_clock).sweep()
        idle.append((time.perf_counter() - started) * 1000)
        assert report.fired == 0
        busy_base.append(await _bare_select(engine, busy_clock.now()))
        started = time.perf_counter()
        report = await Sweeper(config, sessions, busy_clock).sweep()
        busy.append((time.perf_counter() - started) * 1000)
        assert report.fired == DUE, report
    size = f"{count // 1000:,}k" if count < 1_000_000 else f"{count // 1_000_000}M"
    return [
        Row(
            f"sweep idle, {label} {size} open",
            _median(idle),
            _median(idle_base),
            "ms",
            "vs bare SELECT (no rows due); target <= 2x, flat",
        ),
        Row(
            f"sweep {DUE} due, {label} {size} open",
            _median(busy),
            _median(busy_base),
            "ms",
            f"vs bare SELECT of the {DUE} due rows; fires {DUE} reminders",
        ),
    ]


async def _two_sweepers(engine: AsyncEngine, schema: str, repeats: int) -> list[Row]:
    """OVERDUE tickets swept by two processes at once: wall time until both are done."""
    times, fired = [], []
    for _ in range(repeats):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "TRUNCATE tickets, escalation_steps, outbox, ticket_events"
                    " RESTART IDENTITY CASCADE"
                )
            )
        await _seed(engine, OVERDUE, overdue=True)
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bench.sweep_child",
                PG_URL,
                schema,
                NOW.isoformat(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for child in children:
            assert child.stdout is not None and child.stdin is not None
            assert (await child.stdout.readline()).strip() == b"ready"
        started = time.perf_counter()
        for child in children:
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        lines = [await _done(child) for child in children]
        times.append((time.perf_counter() - started) * 1000)
        fired.append(sum(int(line.split()[1]) for line in lines))
        async with engine.connect() as connection:
            steps = await connection.scalar(text("SELECT count(*) FROM escalation_steps"))
            keys = await connection.scalar(text("SELECT count(DISTINCT key) FROM escalation_steps"))
        assert steps == keys == fired[-1], (steps, keys, fired[-1])  # each step once
    return [
        Row(
            f"sweep {OVERDUE:,} overdue tickets, two sweeping processes, PostgreSQL",
            _median(times),
            2000.0,
            "ms",
            f"{statistics.median(fired):,.0f} steps fired; baseline: the 2 s target",
        )
    ]


async def _done(child: asyncio.subprocess.Process) -> str:
    assert child.stdout is not None
    line = (await child.stdout.readline()).decode().strip()
    await child.wait()
    assert line.startswith("done"), line
    return line


def _median(values: list[float]) -> float:
    return statistics.median(values)


@asynccontextmanager
async def _postgres() -> AsyncIterator[tuple[AsyncEngine, str] | None]:
    admin = make_engine(PG_URL)
    try:
        async with admin.begin() as connection:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:
        await admin.dispose()
        yield None
        return
    engine = make_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(engine)
        yield engine, schema
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def run(quick: bool) -> list[Row]:
    """The sweep rows of the benchmark table."""
    rows: list[Row] = []
    pg_sizes = (1_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
    sqlite_sizes = (1_000,) if quick else (10_000, 100_000)
    repeats = 3 if quick else 7
    async with _postgres() as found:
        if found is None:
            rows.append(skipped("sweep, PostgreSQL", f"not reachable at {PG_URL}"))
        else:
            engine, schema = found
            seeded = 0
            for size in pg_sizes:
                await _seed(engine, size - seeded)
                seeded = size
                rows += await _measure(engine, "PostgreSQL", size, repeats)
            rows += await _two_sweepers(engine, schema, 1 if quick else 3)
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(directory) / 'sweep.db'}")
        await upgrade(engine)
        seeded = 0
        for size in sqlite_sizes:
            await _seed(engine, size - seeded)
            seeded = size
            rows += await _measure(engine, "SQLite", size, repeats)
        await engine.dispose()
    return rows
