"""``python -m tests.bench.matrix_profile [--turns N] [--cprofile FILE]``: where one Matrix
intake step of the hotline spends its time, from the requester's send to the reply in
the requester's sync (not part of the benchmark table; a tool for looking).

One throwaway Synapse, the real bot on SQLite (as in matrix_turn.py), one requester doing
N intake steps one after another ("1" and "zurück" alternating). Each turn is cut into
phases by timestamps taken at the boundaries (the methods are wrapped in this process only):

  sent       send -> Synapse accepted the requester's message (its room_send returned)
  synced     -> the bot's /sync answer is in (nio starts to take it in)
  sync       -> nio has taken it in, the bot's sync loop starts storing
  store      -> the inbox row and sync token committed (InboxWorker.stored)
  queue      -> the inbox worker calls the adapter's handler
  pre-engine -> Engine.handle begins (DM bookkeeping, parse from the payload)
  engine     -> Engine.handle returns (one transaction: dedupe, state, outbox; committed)
  wake       -> the adapter's send begins (the outbox sender claimed the row)
  prepare    -> nio's room_send begins (the sender's look-ups before the post)
  post       -> room_send returned (Synapse accepted the reply)
  deliver    -> the reply is in the requester's sync

With --cprofile, the whole run of turns is profiled as well (CPU time per function, all
tasks of the process: bot, requester and nio alike) and the stats are written to FILE; read
the functions' own time (tottime): cumulative times are scrambled by coroutines and by the
greenlets SQLAlchemy runs its statements in. With --sql, the last turn's statements are
listed with their phase and the bot's code that issued them.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.table import median, percentile

PHASES = (
    "sent",
    "synced",
    "sync",
    "store",
    "queue",
    "pre-engine",
    "engine",
    "wake",
    "prepare",
    "post",
    "deliver",
)


class Marks:
    """The first time each boundary was passed since the current turn's send, and (with
    `trace`) each SQL statement's start and the phase it ran in."""

    def __init__(self) -> None:
        self.turn: dict[str, float] = {}
        self.trace = False
        self.statements: list[tuple[float, str, str]] = []

    def mark(self, name: str) -> None:
        self.turn.setdefault(name, time.perf_counter())

    def statement(self, sql: str) -> None:
        if self.trace:
            phase = max(self.turn.items(), key=lambda item: item[1])[0] if self.turn else "-"
            line = " ".join(sql.split())[:70]
            self.statements.append((time.perf_counter(), phase, f"{line}  <- {_caller()}"))


def _caller() -> str:
    """Where in the bot's code the statement comes from (the two innermost frames)."""
    root = str(Path(__file__).resolve().parents[2])
    import greenlet  # SQLAlchemy runs the statement in a greenlet: the caller is its parent's

    parent = greenlet.getcurrent().parent
    stack = traceback.extract_stack(parent.gr_frame) if parent and parent.gr_frame else []
    frames = [
        f"{Path(f.filename).stem}.{f.name}"
        for f in stack
        if f.filename.startswith(root)
        and "/tests/" not in f.filename
        and "/.venv/" not in f.filename
        and "/storage/engine" not in f.filename
    ]
    return " < ".join(reversed(frames[-3:]))


def _wrap(owner: Any, name: str, before: str | None, after: str | None, marks: Marks) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        if before:
            marks.mark(before)
        result = await original(*args, **kwargs)
        if after:
            marks.mark(after)
        return result

    setattr(owner, name, wrapped)


def _instrument(marks: Marks, bot: list[str]) -> None:
    """Wrap the boundaries (before the bot is built: it binds the methods); `bot` is filled
    with the bot's user id later."""
    import nio

    from adapters.matrix.adapter import MatrixAdapter
    from adapters.matrix.inbox_worker import InboxWorker
    from adapters.matrix.sync import SyncLoop
    from bot.conversation.engine import Engine

    _wrap(SyncLoop, "_store", "sync", None, marks)
    stored = InboxWorker.stored

    def stored_marked(self: InboxWorker, payloads: list[dict[str, Any]]) -> None:
        marks.mark("store")
        stored(self, payloads)

    InboxWorker.stored = stored_marked  # type: ignore[method-assign]
    _wrap(MatrixAdapter, "_handle_stored", "queue", None, marks)
    _wrap(Engine, "handle", "pre-engine", "engine", marks)
    _wrap(MatrixAdapter, "send", "wake", None, marks)
    room_send = nio.AsyncClient.room_send

    async def room_send_marked(self: nio.AsyncClient, *args: Any, **kwargs: Any) -> Any:
        mine = self.user_id in bot
        if mine:
            marks.mark("prepare")
        result = await room_send(self, *args, **kwargs)
        marks.mark("post" if mine else "sent")
        return result

    nio.AsyncClient.room_send = room_send_marked  # type: ignore[method-assign]
    receive = nio.AsyncClient.receive_response

    async def receive_marked(self: nio.AsyncClient, response: Any) -> Any:
        if self.user_id in bot and isinstance(response, nio.SyncResponse) and response.rooms.join:
            marks.mark("synced")
        return await receive(self, response)

    nio.AsyncClient.receive_response = receive_marked  # type: ignore[method-assign]


async def profile(turns: int, cprofile: str | None, trace: bool) -> None:
    from tests.bench.matrix_rig import Probe
    from tests.bench.matrix_turn import STEPS, _synapse, hotline_turn
    from tests.matrix.synapse import nio_client
    from tests.matrix.world import make_world

    with tempfile.TemporaryDirectory(prefix="profile-matrix-") as tmp_name:
        tmp = Path(tmp_name)
        async with _synapse(tmp / "synapse") as server:
            clients: list[Any] = []

            async def make_client(user: Any) -> Any:
                client = await nio_client(user, tmp / "nio-store")
                clients.append(client)
                return client

            marks = Marks()
            bot: list[str] = []
            _instrument(marks, bot)
            world = await make_world(server, tmp / "data", make_client, os.environ.__setitem__)
            probe = await Probe.open(await server.register("req"), tmp / "nio-store", world.bot_id)
            bot.append(world.bot_id)
            from sqlalchemy import event

            assert world.bot.app is not None

            @event.listens_for(world.bot.app.db.sync_engine, "before_cursor_execute")
            def _traced(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
                marks.statement(sql)

            try:
                await probe.turn("Hallo", STEPS[1][1])
                for index in range(10):  # warm up
                    await hotline_turn(probe, index)
                spans: dict[str, list[float]] = defaultdict(list)
                totals: list[float] = []
                profiler = cProfile.Profile() if cprofile else None
                if profiler:
                    profiler.enable()
                for index in range(turns):
                    await asyncio.sleep(0.05)  # the last turn's leftovers (marking, receipts)
                    marks.turn = {}
                    marks.trace = trace and index == turns - 1
                    started = time.perf_counter()
                    total = await hotline_turn(probe, index)
                    if marks.trace:
                        await asyncio.sleep(0.5)  # what follows the reply, too
                        marks.trace = False
                        print(f"SQL of the last turn (step {STEPS[index % 2][0]!r}):")
                        for at, phase, line in marks.statements:
                            print(f"  {1000 * (at - started):7.2f} {phase:<10} {line}")
                    totals.append(total)
                    last = started
                    for phase in PHASES[:-1]:
                        at = marks.turn.get(phase)
                        if at is None:
                            continue
                        spans[phase].append(at - last)
                        last = at
                    spans["deliver"].append(started + total - last)
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(cprofile)
            finally:
                await probe.close()
                await world.bot.stop()
                for client in clients:
                    await client.close()
    print(f"{turns} intake steps; ms per phase (median / p95 / mean):")
    for phase in PHASES:
        values = [1000 * v for v in spans[phase]]
        if values:
            mean = sum(values) / len(values)
            p95 = percentile(values, 0.95)
            print(f"  {phase:<10} {median(values):7.2f} {p95:7.2f} {mean:7.2f}  ({len(values)})")
    total_ms = [1000 * v for v in totals]
    print(f"  {'total':<10} {median(total_ms):7.2f} {percentile(total_ms, 0.95):7.2f}")
    if cprofile:
        pstats.Stats(cprofile).sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.matrix_profile")
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--cprofile", metavar="FILE", default=None)
    parser.add_argument("--sql", action="store_true", help="list the last turn's statements")
    args = parser.parse_args()
    asyncio.run(profile(args.turns, args.cprofile, args.sql))
    return 0


if __name__ == "__main__":
    sys.exit(main())
