"""Scale-out: two hotline processes on one PostgreSQL database behind a real HAProxy.

The connector's POSTs go round robin to both; some are posted twice at the same moment (the
Bot Connector retries), so the copies land on different processes. Every turn must be
answered exactly once at the connector, none handled twice (one outbox answer per turn),
and both processes must have served. Killed (-9) between two bursts, one process leaves the
other to carry on: a refused connection is re-dispatched, HAProxy's health check takes the
dead one out, and no turn is lost. (Killed under load, its leased answers fall to the
survivor once its heartbeat is 30 s old: `python -m tests.chaos scale`, not in the suite
for that half minute.)
"""

from __future__ import annotations

import aiohttp
import pytest

from tests.bench.teams_rig import postgres_database
from tests.chaos.scale_chaos import kill_one
from tests.chaos.teams_chaos import _answers_made
from tests.conftest import PG_URL_ENV, pg_url, postgres_problem, postgres_reachable
from tests.teams.haproxy import haproxy_or_skip
from tests.teams.scale_rig import DoubledTurns, balanced, settled

USERS, TURNS, EVERY = 30, 90, 4  # 30 users x 3 turns; every 4th activity arrives twice


async def database_or_skip() -> None:
    if not await postgres_reachable():
        problem = await postgres_problem()
        pytest.skip(f"PostgreSQL not reachable at {pg_url()} ({problem}; set {PG_URL_ENV})")


async def test_two_instances_behind_haproxy_answer_every_turn_exactly_once() -> None:
    binary = haproxy_or_skip()
    await database_or_skip()
    async with postgres_database() as (url, why):
        assert url is not None, why
        async with (
            balanced(url, 2, binary) as (connector, instances, balancer),
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
        ):
            plan = DoubledTurns(connector, balancer.endpoint, TURNS, USERS, EVERY)
            await plan.post_all(http)
            await plan.wait_answered(within=30)
            await settled(url, within=30)
            answers = plan.answers()
            served = await balancer.answered()
            handled = {instance.name: await instance.turns(http) for instance in instances}
        made = await _answers_made(url)
    assert [n for n in range(TURNS) if answers[n] != 1] == [], answers
    assert [n for n in range(TURNS) if made[n] != 1] == [], made
    assert all(served[name] > 0 for name in ("a", "b")), served
    assert all(handled[name] > 0 for name in ("a", "b")), handled
    assert sum(served.values()) == plan.posts, (served, plan.posts)  # each post once 2xx


async def test_haproxy_routes_around_a_killed_instance_and_loses_no_turn() -> None:
    binary = haproxy_or_skip()
    await database_or_skip()
    async with postgres_database() as (url, why):
        assert url is not None, why
        figures = await kill_one(url, binary, turns=60, users=20, under_load=False)
    assert (figures.lost, figures.doubled) == ([], []), figures.line()
    assert figures.served_after_kill["b"] == 0, figures.line()
    assert figures.served_after_kill["a"] > 0, figures.line()
