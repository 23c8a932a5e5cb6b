"""The composition root: builds configuration, database, engine, adapters and sender at start.

Nothing is built at import time; `build_app` is the one place where parts meet.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.loader import ConfigError, load_config
from bot.config.model import OrgConfig, PlatformConfig
from bot.config.validate_base import ConfigIssue
from bot.conversation.engine import Engine
from bot.delivery import Adapter, OutboxSender
from bot.escalation.digest import Digests
from bot.escalation.scheduler import DeadlineJobs
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import SHIFT_ENV, Clock, clock_from_environ
from bot.newsletter.sending import NewsletterDispatcher
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.service.privacy import PrivacyService
from bot.workshops.jobs import WorkshopJobs
from storage.engine import data_dir, database_url, make_engine, make_sessionmaker

CONFIG_ENV = "HOTLINE_CONFIG"


@dataclass
class App:
    """Everything a running bot consists of."""

    config: OrgConfig
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    sender: OutboxSender
    jobs: DeadlineJobs
    adapters: dict[str, Adapter] = field(default_factory=dict)
    data_dir: Path | None = None  # where local state lives (the instance id, the Teams spool)
    ops: OpsServer | None = None  # /healthz, /readyz, /metrics (None: switched off)
    config_file: Path | None = None  # what SIGHUP reads again (None: the embedded sample)
    forced_platforms: tuple[str, ...] = ()  # `run --matrix/--teams`: on whatever the file says

    async def close(self) -> None:
        """Stop adapters and close the database pool."""
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.db.dispose()


def config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """--config wins, then HOTLINE_CONFIG; None means the embedded sample."""
    env = os.environ if environ is None else environ
    value = explicit or env.get(CONFIG_ENV)
    return Path(value) if value else None


def build_app(
    *,
    config: OrgConfig | None = None,
    config_file: str | None = None,
    url: str | None = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    platforms: tuple[str, ...] | None = None,
) -> App:
    """Wire the bot with an adapter for each platform in `platforms` (default: those the
    config enables). Platform SDKs are imported only for the platforms actually served."""
    from adapters.local.adapter import LocalChatAdapter

    if clock is None:
        try:
            clock = clock_from_environ(environ)
        except ValueError as error:
            raise ConfigError([ConfigIssue(SHIFT_ENV, str(error), None)], "environment") from None
    path = config_path(config_file, environ)
    config = config or load_config(path)
    db = make_engine(url or database_url(environ))
    sessions = make_sessionmaker(db)
    adapters: dict[str, Adapter] = {}
    metrics = Metrics()
    sender = OutboxSender(sessions, adapters, clock, bundling=config.escalation.bundling)
    sender.observer = metrics
    engine = Engine(config, sessions, clock, observer=metrics)
    jobs = DeadlineJobs(
        Sweeper(config, sessions, clock),
        Digests(config, sessions, clock),
        PrivacyService(config, sessions, clock),
        WorkshopJobs(config, sessions, clock),
        NewsletterDispatcher(config, sessions, clock),
    )
    jobs.observer = metrics
    app = App(config, db, sessions, engine, sender, jobs, adapters, data_dir(environ))
    app.config_file = path
    if config.operations.enabled:
        app.ops = OpsServer(config.operations, metrics, db, sessions, adapters, clock)
    if platforms is None:
        platforms = tuple(name for name, p in config.platforms.items() if p.enabled)
    if "local" in platforms:
        adapters["local"] = LocalChatAdapter(sessions, clock)
    if "matrix" in platforms:
        from adapters.matrix.adapter import MatrixAdapter
        from adapters.matrix.settings import matrix_settings

        settings = matrix_settings(config, data_dir(environ))
        if db.dialect.name == "postgresql":  # several instances: one syncs, the others wait
            from adapters.matrix.leadership import LOCK_NAME, LeaderElectedMatrix
            from storage.leader_lock import LeaderLock

            def matrix(current: OrgConfig) -> MatrixAdapter:  # fresh for each time it leads
                return MatrixAdapter(settings, current, sessions, clock)

            lock = LeaderLock(db, LOCK_NAME)
            adapters["matrix"] = LeaderElectedMatrix(matrix, lock, sessions, config)
        else:  # SQLite: one instance only
            adapters["matrix"] = MatrixAdapter(settings, config, sessions, clock)
    if "teams" in platforms:
        from adapters.teams.adapter import TeamsAdapter
        from adapters.teams.settings import teams_settings
        from adapters.teams.spool import Spool

        spool = Spool(data_dir(environ) / "teams-spool")  # kept while the database is away
        adapters["teams"] = TeamsAdapter(
            teams_settings(config), sessions, clock, spool=spool, config=config
        )
    return app


def with_enabled(config: OrgConfig, names: Iterable[str]) -> OrgConfig:
    """The config with these platforms switched on (`run --matrix`): then ticket cards, staff
    notices and escalations go there too, not only the answers to whoever writes."""
    platforms = dict(config.platforms)
    for name in names:
        current = platforms.get(name) or PlatformConfig(name, False, {}, {})
        platforms[name] = replace(current, enabled=True)
    return replace(config, platforms=platforms)
