"""The operators' HTTP endpoints: /healthz, /readyz and /metrics, on their own port.

Separate from the Teams endpoint (which faces Microsoft) and bound to loopback by default:
metrics name teams and counts, nothing for the internet. It runs whichever platforms the
bot serves, Matrix only included.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.model import OperationsSettings
from bot.kernel.clock import Clock
from bot.ops.health import Check, backlog_checks, is_active, platform_checks, schema_check
from bot.ops.metrics import Metrics
from storage.repositories.operations import Snapshot, snapshot

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 5.0  # seconds: a scrape must answer even when the database hangs


class OpsServer:
    """Serves health and metrics for one bot process."""

    def __init__(
        self,
        settings: OperationsSettings,
        metrics: Metrics,
        db: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        adapters: Mapping[str, object],
        clock: Clock,
    ) -> None:
        self.settings, self.metrics, self.db = settings, metrics, db
        self.sessions, self.adapters, self.clock = sessions, adapters, clock
        self.port: int | None = None  # the bound port, once started (settings may say 0)
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        """The three routes (tests mount it themselves)."""
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics_page)
        return app

    async def start(self) -> None:
        """Listen on the configured address."""
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server = site._server  # aiohttp keeps the asyncio server here; the only way to port 0
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info("health and metrics on http://%s:%s/", self.settings.host, self.port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _request: web.Request) -> web.Response:
        """Alive: the event loop answers (a wedged loop does not)."""
        return web.Response(text="ok\n")

    async def readyz(self, _request: web.Request) -> web.Response:
        """200 when every check passes, else 503; the checks as JSON either way."""
        checks = [*platform_checks(self.adapters)]
        now = self.clock.now()
        try:
            figures = await asyncio.wait_for(self._snapshot(), DATABASE_TIMEOUT)
            checks.insert(0, Check("database", True))
            checks.insert(1, await asyncio.wait_for(schema_check(self.db), DATABASE_TIMEOUT))
            limits = self.settings
            checks += backlog_checks(
                figures,
                now,
                outbox_max_age=limits.outbox_max_age,
                sweep_max_lag=limits.sweep_max_lag,
            )
        except Exception as error:  # unreachable, timed out, locked: not ready, and why
            checks.insert(0, Check("database", False, f"unreachable: {type(error).__name__}"))
        ready = all(check.ok for check in checks)
        body = {
            "ready": ready,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
        }
        return web.Response(
            text=json.dumps(body, indent=1) + "\n",
            status=200 if ready else 503,
            content_type="application/json",
        )

    async def metrics_page(self, _request: web.Request) -> web.Response:
        """Prometheus' text format; the process's counters even when the database is away."""
        now = self.clock.now()
        try:
            figures = await asyncio.wait_for(self._snapshot(), DATABASE_TIMEOUT)
            reachable = True
        except Exception:
            figures, reachable = Snapshot(), False
        for name, adapter in self.adapters.items():
            self.metrics.platform_active.labels(name).set(1.0 if is_active(adapter) else 0.0)
        body = self.metrics.exposition(figures, now, database_reachable=reachable)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _snapshot(self) -> Snapshot:
        async with self.sessions() as session:
            return await snapshot(session, now=self.clock.now())
