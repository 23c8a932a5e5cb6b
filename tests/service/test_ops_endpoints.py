"""Health and metrics as an operator's monitoring sees them: real HTTP, real figures.

The server runs on a loopback port against the test's database; turns go through the real
engine, notices through the real outbox sender, deadlines through the real sweep, and the
scrape is parsed with Prometheus' own parser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.local.adapter import LocalChatAdapter
from bot.config.model import OperationsSettings, OrgConfig
from bot.conversation.engine import Engine
from bot.delivery import DeliveryError, InboundHandler, OutboxSender
from bot.escalation.digest import Digests
from bot.escalation.scheduler import DeadlineJobs
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, Notice, Target
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from storage.engine import make_engine, make_sessionmaker
from storage.models import EscalationStepRow, TicketRow
from storage.repositories import outbox
from tests.service.sweep_support import open_tickets

Sessions = async_sessionmaker[AsyncSession]
LOOPBACK = OperationsSettings(host="127.0.0.1", port=0)


class DownAdapter:
    """A platform that is not connected (it says why) and refuses every notice."""

    platform = "matrix"

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    def health(self) -> str | None:
        return "sync failed: ClientConnectorError"

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        raise DeliveryError("502 from the homeserver")


@dataclass
class Ops:
    server: OpsServer
    metrics: Metrics
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        async with self.http.get(f"{self.base}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    async def ready(self) -> tuple[int, dict[str, tuple[bool, str]]]:
        async with self.http.get(f"{self.base}/readyz") as response:
            body = await response.json()
        checks = {check["name"]: (check["ok"], check["detail"]) for check in body["checks"]}
        assert body["ready"] == (response.status == 200)
        return response.status, checks


async def serving(
    db: AsyncEngine, sessions: Sessions, clock: FrozenClock, adapters: dict[str, object]
) -> AsyncIterator[Ops]:
    metrics = Metrics()
    server = OpsServer(LOOPBACK, metrics, db, sessions, adapters, clock)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Ops(server, metrics, http)
    finally:
        await server.stop()


@pytest.fixture
async def ops(db: AsyncEngine, sessions: Sessions, clock: FrozenClock) -> AsyncIterator[Ops]:
    local = LocalChatAdapter(sessions, clock)
    async for running in serving(db, sessions, clock, {"local": local}):
        yield running


def value(
    scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_healthz_answers_while_the_process_lives(ops: Ops) -> None:
    async with ops.http.get(f"{ops.base}/healthz") as response:
        assert response.status == 200
        assert await response.text() == "ok\n"


async def test_turns_deliveries_and_sweeps_are_counted(
    ops: Ops, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    engine = Engine(config, sessions, clock, observer=ops.metrics)
    hello = Inbound("local", "dm:schule.sonne", "schule.sonne", "e1", text="Hallo")
    assert await engine.handle(hello)
    assert not await engine.handle(hello)  # the platform delivered it twice
    sender = OutboxSender(sessions, {"local": LocalChatAdapter(sessions, clock)}, clock)
    sender.observer = ops.metrics
    delivered = await sender.deliver_due()
    jobs = DeadlineJobs(Sweeper(config, sessions, clock), Digests(config, sessions, clock))
    jobs.observer = ops.metrics
    await open_tickets(config, sessions, clock, 3, topic="kreditoren")
    clock.advance(timedelta(days=3))
    report = await jobs.run_sweep()
    assert report is not None and report.fired > 0

    scrape = await ops.scrape()
    assert value(scrape, "hotline_turns_total", platform="local", outcome="handled") == 1
    assert value(scrape, "hotline_turns_total", platform="local", outcome="duplicate") == 1
    assert value(scrape, "hotline_turn_seconds_count", platform="local") == 2
    assert delivered > 0
    assert value(scrape, "hotline_deliveries_total", platform="local", outcome="delivered") == (
        delivered
    )
    assert value(scrape, "hotline_sweep_seconds_count") == 1
    assert value(scrape, "hotline_sweep_due_tickets_total") == report.tickets
    assert value(scrape, "hotline_sweep_fired_steps_total") == report.fired


async def test_database_figures_are_read_at_scrape_time(
    ops: Ops, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await open_tickets(config, sessions, clock, 2, topic="kreditoren")
    await open_tickets(config, sessions, clock, 1, topic="haushalt")
    scrape = await ops.scrape()
    assert value(scrape, "hotline_database_reachable") == 1
    assert value(scrape, "hotline_open_tickets", team="kreditoren", status="queued") == 2
    assert value(scrape, "hotline_open_tickets", team="haushalt", status="queued") == 1
    assert value(scrape, "hotline_outbox_pending", platform="local") >= 3  # the team cards
    assert value(scrape, "hotline_sweep_lag_seconds") == 0  # nothing due yet

    clock.advance(timedelta(days=3))  # every deadline passed while nobody swept
    scrape = await ops.scrape()
    assert value(scrape, "hotline_sweep_lag_seconds") > 0
    assert value(scrape, "hotline_outbox_oldest_due_seconds") == timedelta(days=3).total_seconds()
    await Sweeper(config, sessions, clock).sweep()
    scrape = await ops.scrape()
    async with sessions() as session:
        teams = dict((await session.execute(select(TicketRow.id, TicketRow.team_id))).all())
        steps = (await session.scalars(select(EscalationStepRow))).all()
    fired = Counter((teams[step.ticket_id], step.action) for step in steps)
    assert fired["kreditoren", "escalate"] == 2  # each overdue ticket escalated once
    counted = {
        (dict(labels)["team"], dict(labels)["action"]): number
        for (name, labels), number in scrape.items()
        if name == "hotline_deadline_steps_total"
    }
    assert counted == fired


async def test_ready_until_notices_pile_up_or_the_sweep_lags(
    ops: Ops, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    status, checks = await ops.ready()
    assert status == 200, checks
    assert set(checks) == {"database", "migrations", "platform:local", "outbox", "sweep"}
    await open_tickets(config, sessions, clock, 1, topic="kreditoren")
    clock.advance(timedelta(minutes=4))  # unsent for 4 minutes: within the 5-minute limit
    assert (await ops.ready())[0] == 200
    clock.advance(timedelta(days=3))
    status, checks = await ops.ready()
    assert status == 503
    assert checks["outbox"][0] is False
    assert checks["outbox"][1].startswith("oldest unsent notice due for ")
    assert checks["sweep"][0] is False
    assert checks["database"] == (True, "ok")


async def test_a_platform_that_is_down_makes_the_instance_not_ready(
    db: AsyncEngine, sessions: Sessions, clock: FrozenClock
) -> None:
    async for ops in serving(db, sessions, clock, {"matrix": DownAdapter()}):
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                target=Target("matrix", "user", "@anna:stadt.example"),
                payload=Notice(text="Hallo").to_json(),
                at=clock.now(),
            )
        sender = OutboxSender(sessions, {"matrix": DownAdapter()}, clock)
        sender.observer = ops.metrics
        await sender.deliver_due()
        status, checks = await ops.ready()
        assert status == 503
        assert checks["platform:matrix"] == (False, "sync failed: ClientConnectorError")
        scrape = await ops.scrape()
        assert value(scrape, "hotline_deliveries_total", platform="matrix", outcome="retry") == 1


async def test_without_the_database_metrics_still_answer(
    tmp_path: Path, clock: FrozenClock
) -> None:
    broken = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'hotline.db'}")
    try:
        async for ops in serving(broken, make_sessionmaker(broken), clock, {}):
            ops.metrics.turn("matrix", "store_unavailable", 0.01)
            scrape = await ops.scrape()
            assert value(scrape, "hotline_database_reachable") == 0
            assert (
                value(scrape, "hotline_turns_total", platform="matrix", outcome="store_unavailable")
                == 1
            )
            status, checks = await ops.ready()
            assert status == 503
            assert checks["database"][0] is False
            assert checks["database"][1].startswith("unreachable: ")
    finally:
        await broken.dispose()
