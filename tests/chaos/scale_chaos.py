"""Two Teams processes behind HAProxy, one killed -9 mid-run (python -m tests.chaos scale).

The rig is tests/teams/scale_rig.py. A third into the run, process b dies; HAProxy sends a
refused connection to a (redispatch) and its health check takes b out; a POST b had taken
when it died fails and the connector (the driver here) posts it again. What b had answered
into the outbox but not yet sent, a takes over once b's heartbeat is DEAD_AFTER old
(bot/delivery.py): that, not HAProxy, decides when the last answer arrives. The suite kills b
between two bursts instead (tests/teams/test_teams_scale_out.py), without that wait.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

from tests.chaos.teams_chaos import _answers_made
from tests.teams.scale_rig import DoubledTurns, balanced, settled


@dataclass
class KillFigures:
    """A run through HAProxy with one process killed -9 in the middle."""

    turns: int
    lost: list[int] = field(default_factory=list)
    doubled: list[int] = field(default_factory=list)  # handled twice (two outbox answers)
    resent: list[int] = field(default_factory=list)  # one answer posted twice
    posts_retried: int = 0
    served_after_kill: dict[str, int] = field(default_factory=dict)
    last_answer_after_kill: float = 0.0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"2 processes behind HAProxy, b killed -9: {self.turns} turns: lost {len(self.lost)}, "
            f"handled twice {len(self.doubled)}, answers posted twice {len(self.resent)}, "
            f"{self.posts_retried} posts retried, 2xx after the kill {self.served_after_kill}, "
            f"last answer {self.last_answer_after_kill:.1f} s after the kill, {self.seconds:.1f} s"
        )


async def kill_one(
    database_url: str, binary: str, turns: int, users: int, *, under_load: bool = True
) -> KillFigures:
    """Turns through HAProxy to two processes; b is killed -9 when a third is accepted. The
    survivor must answer everything, b's leased answers once its heartbeat is old.

    Not `under_load`, b dies between two bursts, once the outbox is empty: it holds no lease,
    so the run shows HAProxy routing around it without the 30 s wait for b's heartbeat."""
    figures = KillFigures(turns)
    started = time.monotonic()
    async with (
        balanced(database_url, 2, binary) as (connector, instances, balancer),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
    ):
        endpoint, third = balancer.endpoint, turns // 3
        plan = DoubledTurns(connector, endpoint, turns, users, every=4)
        killed_at = 0.0
        before: dict[str, int] = {}

        async def kill() -> None:
            nonlocal killed_at, before
            await instances[1].kill()
            killed_at = time.monotonic()
            before = await balancer.answered()

        if under_load:

            async def chaos() -> None:
                await plan.until_accepted(third)
                await kill()

            await asyncio.gather(plan.post_all(http), chaos())
        else:
            burst = DoubledTurns(connector, endpoint, third, users, every=4)
            await burst.post_all(http)
            await burst.wait_answered(within=30)
            await settled(database_url, within=30)
            await kill()
            plan = DoubledTurns(connector, endpoint, turns, users, every=4, first=third)
            await plan.post_all(http)
            plan.retried += burst.retried
        await plan.wait_answered(within=90)
        await settled(database_url, within=90)
        answers = plan.answers()
        after = await balancer.answered()
        sends = [r.received_at for r in connector.requests if r.status == 201]
        figures.last_answer_after_kill = max(sends, default=killed_at) - killed_at
        figures.served_after_kill = {name: after[name] - before.get(name, 0) for name in after}
    made = await _answers_made(database_url)
    figures.lost = [n for n in range(turns) if answers[n] == 0]
    figures.doubled = [n for n in range(turns) if made[n] > 1]
    figures.resent = [n for n in range(turns) if answers[n] > max(made[n], 1)]
    figures.posts_retried = plan.retried
    figures.seconds = time.monotonic() - started
    return figures
