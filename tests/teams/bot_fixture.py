"""The real hotline bot (engine, outbox, Teams adapter) on a local port, for end-to-end tests.

    bot = HotlineBot(config, tmp_path, clock)   # config: teams_config(...)
    await bot.start()                           # migrated SQLite, adapter on 127.0.0.1:<port>
    ...                                         # the outbox sender loop runs (runtime.py's)
    await bot.stop()

``HotlineBot(..., sender_loop=False)`` starts only the adapter: the test drives delivery itself
with ``await bot.app.sender.deliver_due()`` (a FrozenClock makes retries deterministic).

Every inbound the adapter hands to the engine is recorded in ``bot.inbound`` together with the
engine's verdict (True handled, False duplicate), so a test can prove that a request never
reached the engine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from adapters.teams.adapter import TeamsAdapter
from bot.app import App, build_app
from bot.config.loader import load_config
from bot.config.model import OrgConfig, PlatformConfig, SecretRef
from bot.kernel.clock import Clock
from bot.kernel.notices import Inbound, Notice, Outgoing, Target
from bot.runtime import deliver_forever
from bot.service import notify
from storage.migrate import upgrade
from storage.models import OutboxRow, TicketRow
from tests.conftest import PG_REQUIRED_ENV
from tests.teams.playground import free_port

if TYPE_CHECKING:
    import pytest

    from tests.teams.openid_issuer import OpenIdIssuer

APP_ID_ENV = "HOTLINE_TEST_TEAMS_APP_ID"
PASSWORD_ENV = "HOTLINE_TEST_TEAMS_APP_PASSWORD"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"  # never contacted by the secured bot
AUTH_FETCH_TIMEOUT = 1.0  # the secured bot's key fetch timeout (FETCH_TIMEOUT_SECONDS: 5 s)


def teams_config(
    base: OrgConfig,
    *,
    port: int,
    people: Mapping[str, str],
    channels: Mapping[str, str] | None = None,
    service_url: str | None = None,
    settings: Mapping[str, object] | None = None,
    secrets: Mapping[str, SecretRef] | None = None,
) -> OrgConfig:
    """`base` with only Teams enabled (anonymous unless `secrets` say otherwise), listening on
    127.0.0.1:`port`; `people` maps person ids to the Teams user id the adapter sees, `channels`
    team ids to Teams channel ids."""
    teams = []
    for team in base.teams:
        members = tuple(
            replace(person, platform_ids={**person.platform_ids, "teams": people[person.id]})
            if person.id in people
            else person
            for person in team.members
        )
        team_channels = dict(team.channels)
        if channels and team.id in channels:
            team_channels["teams"] = channels[team.id]
        teams.append(replace(team, members=members, channels=team_channels))
    platforms = {name: replace(p, enabled=False) for name, p in base.platforms.items()}
    values: dict[str, object] = {"host": "127.0.0.1", "port": port}
    if service_url:
        values["service_url"] = service_url
    values.update(settings or {})
    platforms["teams"] = PlatformConfig(
        name="teams", enabled=True, settings=values, secrets=dict(secrets or {})
    )
    return replace(base, teams=tuple(teams), platforms=platforms)


def secured_config(issuer: OpenIdIssuer, monkeypatch: pytest.MonkeyPatch) -> OrgConfig:
    """teams_config with an app id (set in the environment): inbound tokens are checked
    against the local `issuer`."""
    monkeypatch.setenv(APP_ID_ENV, issuer.app_id)
    monkeypatch.setenv(PASSWORD_ENV, "not-a-real-secret")
    return teams_config(
        load_config(None),
        port=free_port(),
        people={},
        settings={"openid_metadata_url": issuer.metadata_url},
        secrets={"app_id": SecretRef(env=APP_ID_ENV), "app_password": SecretRef(env=PASSWORD_ENV)},
    )


@dataclass(frozen=True)
class Received:
    """One inbound the adapter passed on, and what the engine made of it."""

    inbound: Inbound
    handled: bool | None  # None while the engine is still at it (or when it raised)


class HotlineBot:
    """build_app(platforms=("teams",)) on a SQLite file, its Teams endpoint listening."""

    def __init__(
        self,
        config: OrgConfig,
        workdir: Path,
        clock: Clock,
        *,
        sender_loop: bool = True,
        database_url: str | None = None,
    ) -> None:
        self.config = config
        self.workdir = workdir
        self.clock = clock
        self.sender_loop = sender_loop
        self.database_url = database_url or f"sqlite+aiosqlite:///{workdir / 'hotline.db'}"
        self.inbound: list[Received] = []
        self._app: App | None = None
        self._sender: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def app(self) -> App:
        if self._app is None:
            raise RuntimeError("HotlineBot is not started")
        return self._app

    @property
    def adapter(self) -> TeamsAdapter:
        adapter = self.app.adapters["teams"]
        assert isinstance(adapter, TeamsAdapter)
        return adapter

    @property
    def port(self) -> int:
        return int(str(self.config.platforms["teams"].settings["port"]))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def start(self) -> None:
        """Migrate, build, start the adapter (and, unless disabled, the outbox sender loop as
        bot.runtime.serve runs it; serve itself would take over SIGINT/SIGTERM)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        app = build_app(
            config=self.config,
            url=self.database_url,
            clock=self.clock,
            platforms=("teams",),
            environ={"HOTLINE_DATA_DIR": str(self.workdir)},  # the spool lives here
        )
        self._app = app
        await upgrade(app.db)
        if self.sender_loop:
            app.engine.on_outbox = self._wake.set
            app.jobs.sweeper.on_outbox = self._wake.set  # the deadline sweep's notices, too
            self._sender = asyncio.create_task(
                deliver_forever(app.sender, self._wake), name="outbox"
            )
        await self.adapter.start(self._on_inbound)

    async def stop(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
        if self._app is not None:
            await self._app.close()
            self._app = None

    async def _on_inbound(self, inbound: Inbound) -> object:
        index = len(self.inbound)
        self.inbound.append(Received(inbound, None))
        handled = await self.app.engine.handle(inbound)
        self.inbound[index] = Received(inbound, handled)
        return handled

    # --- driving and reading ------------------------------------------------------------

    async def enqueue(self, target: Target, notice: Notice) -> None:
        """Put a notice into the outbox the way the service does (and wake the sender)."""
        async with self.app.sessions() as session, session.begin():
            await notify.send(session, [Outgoing(target, notice)], at=self.clock.now())
        self._wake.set()

    async def outbox(self) -> list[OutboxRow]:
        async with self.app.sessions() as session:
            rows = await session.scalars(select(OutboxRow).order_by(OutboxRow.id))
            return list(rows.all())

    async def ticket(self, ticket_id: int) -> TicketRow:
        async with self.app.sessions() as session:
            row = await session.get(TicketRow, ticket_id)
            assert row is not None, f"no ticket {ticket_id}"
            return row

    async def wait_until(
        self,
        condition: Callable[[], Awaitable[bool]],
        timeout: float = 10.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Poll `condition` until it holds; on timeout fail with the outbox's state."""
        deadline = time.monotonic() + timeout
        while not await condition():
            if time.monotonic() >= deadline:
                raise AssertionError(f"{what} not reached within {timeout} s; {await self.state()}")
            await asyncio.sleep(0.02)

    async def wait_outbox_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until every outbox row is delivered (the sender loop must run); a row folded
        into a bundle is delivered with the bundle's message."""

        async def idle() -> bool:
            return all(row.status in ("delivered", "bundled") for row in await self.outbox())

        await self.wait_until(idle, timeout, "an empty outbox")

    async def wait_handled(self, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until the engine has finished `count` inbound events."""

        async def done() -> bool:
            return sum(r.handled is not None for r in self.inbound) >= count

        await self.wait_until(done, timeout, f"{count} handled inbound events")

    async def state(self) -> str:
        rows = [
            (r.id, r.target_kind, r.target_address, r.status, r.attempts, r.last_error)
            for r in await self.outbox()
        ]
        seen = [(r.inbound.user_id, r.inbound.text, r.inbound.action_id) for r in self.inbound]
        return f"outbox: {rows}; inbound: {seen}"


def activity_json(**overrides: Any) -> dict[str, Any]:
    """A minimal personal-chat message activity as the Bot Connector posts it."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": "1700000000001",
        "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:9/",
        "from": {"id": "29:requester", "name": "Rita Requester", "aadObjectId": "aad-requester"},
        "recipient": {"id": "28:hotline", "name": "Hotline"},
        "conversation": {"id": "a:personal-1", "conversationType": "personal", "tenantId": "t"},
        "channelData": {"tenant": {"id": "t"}},
        "text": "/hilfe",
        "locale": "de-DE",
    }
    activity.update(overrides)
    return activity


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWT parts are encoded."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def outbox_row(bot: HotlineBot, text: str) -> OutboxRow:
    """The one outbox row whose payload text is `text`."""
    async with bot.app.sessions() as session:
        rows = (await session.scalars(select(OutboxRow))).all()
    (row,) = [r for r in rows if r.payload["text"] == text]
    return row


def aware(at: datetime) -> datetime:
    """`at` with UTC when the database returned it naive (SQLite)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


PG_URL_ENV = "HOTLINE_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def postgres_database(*, enabled: bool = True) -> AsyncIterator[str | None]:
    """A fresh, empty PostgreSQL database for one test (its URL), dropped afterwards; None
    when not `enabled`. Skips the test when the server ($HOTLINE_TEST_PG_URL) is unreachable."""
    if not enabled:
        yield None
        return
    import pytest
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    base = make_url(os.environ.get(PG_URL_ENV, DEFAULT_PG_URL))
    name = f"hotline_teams_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await asyncio.wait_for(connection.execute(text(f'CREATE DATABASE "{name}"')), 10)
    except Exception as error:
        await admin.dispose()
        reason = f"PostgreSQL not reachable at {base!r} (set {PG_URL_ENV}): {error!r}"
        if os.environ.get(PG_REQUIRED_ENV) == "1":  # CI: every server is there
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
