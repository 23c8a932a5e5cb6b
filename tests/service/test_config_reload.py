"""A config reload (SIGHUP, bot/reload.py) changes who is staff for the next turn; a bad file
is refused whole and the old config stays; restart-only settings keep their old values."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import App, with_enabled
from bot.config.loader import default_config_path
from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.escalation.digest import Digests
from bot.escalation.scheduler import DeadlineJobs
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.reload import reload_config
from storage.repositories import audit
from tests.harness import Harness

Sessions = async_sessionmaker[AsyncSession]
SAMPLE = default_config_path().read_text(encoding="utf-8")
NEWCOMER = "hh.neu"
# Julia Weber's entry in team Haushalt, with a colleague added after her.
WEBER = """          teams: "fb9f98ee-26dc-404b-9abc-a90b0b7d48d0"
    leads: [hh.schneider]
"""
WITH_NEWCOMER = """          teams: "fb9f98ee-26dc-404b-9abc-a90b0b7d48d0"
      - id: hh.neu
        name: "Nora Neu"
        ids:
          local: hh.neu
    leads: [hh.schneider]
"""


def with_newcomer() -> str:
    assert SAMPLE.count(WEBER) == 1, "the sample's team Haushalt changed: adapt this test"
    return SAMPLE.replace(WEBER, WITH_NEWCOMER)


def an_app(config: OrgConfig, db: AsyncEngine, sessions: Sessions, hotline: Harness) -> App:
    """The parts a reload touches, around the harness's engine."""
    clock = hotline.clock
    sender = OutboxSender(sessions, {}, clock, bundling=config.escalation.bundling)
    jobs = DeadlineJobs(Sweeper(config, sessions, clock), Digests(config, sessions, clock))
    return App(config, db, sessions, hotline.engine, sender, jobs)


async def refusals(sessions: Sessions, who: str) -> int:
    async with sessions() as session:
        return sum(1 for e in await audit.entries(session, action="refused") if e.user_id == who)


async def claim(hotline: Harness, sessions: Sessions, who: str) -> bool:
    """File a budget ticket and let `who` claim it; True if not refused."""
    ticket = await hotline.file_request("schule.sonne", topic="haushalt")
    before = await refusals(sessions, who)
    await hotline.say(who, f"/claim {ticket}")
    return await refusals(sessions, who) == before


async def test_reload_adds_and_removes_staff_and_refuses_a_bad_file(
    config: OrgConfig,
    db: AsyncEngine,
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.reload")
    hotline = Harness(config, sessions, clock)
    app = an_app(config, db, sessions, hotline)
    wake = app.jobs.sweeper.on_outbox = lambda: None
    file = tmp_path / "hotline.yaml"
    assert not await claim(hotline, sessions, NEWCOMER)  # not staff yet: refused

    file.write_text(with_newcomer(), encoding="utf-8")
    summary = await reload_config(app, file)
    assert summary is not None and summary.people_added == 1 and summary.teams_changed == 1
    assert (summary.people_removed, summary.teams_added, summary.kept) == (0, 0, ())
    assert app.engine.config.person(NEWCOMER) is not None
    assert app.jobs.sweeper.config is app.engine.config is app.config
    assert app.jobs.sweeper.on_outbox is wake  # the process's wiring survives
    assert await claim(hotline, sessions, NEWCOMER)
    assert any(getattr(r, "event", None) == "config_reloaded" for r in caplog.records)

    caplog.clear()
    file.write_text(with_newcomer().replace("leads: [hh.schneider]", "leads: [hh.nobody]"))
    assert await reload_config(app, file) is None
    refused = [r for r in caplog.records if getattr(r, "event", None) == "config_reload_refused"]
    assert refused and any("leads" in r.getMessage() for r in refused)
    assert all(r.levelno == logging.ERROR for r in refused)
    assert app.engine.config.person(NEWCOMER) is not None  # the old config stays
    assert await claim(hotline, sessions, NEWCOMER)

    file.write_text(SAMPLE, encoding="utf-8")
    summary = await reload_config(app, file)
    assert summary is not None and summary.people_removed == 1
    assert app.engine.config.person(NEWCOMER) is None
    assert not await claim(hotline, sessions, NEWCOMER)  # removed: refused again
    assert await claim(hotline, sessions, "hh.weber")  # the others unchanged


async def test_restart_only_settings_keep_their_old_values(
    config: OrgConfig,
    db: AsyncEngine,
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.reload")
    hotline = Harness(config, sessions, clock)
    app = an_app(config, db, sessions, hotline)
    homeserver = config.platforms["matrix"].settings["homeserver"]
    assert isinstance(homeserver, str)
    text = with_newcomer().replace(homeserver, "https://matrix.elsewhere.example", 1)
    assert text != with_newcomer()
    file = tmp_path / "hotline.yaml"
    file.write_text(text, encoding="utf-8")
    summary = await reload_config(app, file)
    assert summary is not None and summary.kept == ("platforms.matrix",)
    assert app.config.platforms["matrix"].settings["homeserver"] == homeserver
    assert app.config.person(NEWCOMER) is not None  # the rest applies
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert ["platforms.matrix" in r.getMessage() for r in warnings] == [True]
    assert all(r.__dict__.get("event") == "config_reload_needs_restart" for r in warnings)


async def test_a_platform_forced_on_at_start_is_no_change(
    config: OrgConfig,
    db: AsyncEngine,
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`run --teams` on a file with Teams off: reloading that file changes no platform."""
    hotline = Harness(config, sessions, clock)
    app = an_app(with_enabled(config, ["teams"]), db, sessions, hotline)
    app.forced_platforms = ("teams",)
    file = tmp_path / "hotline.yaml"
    file.write_text(SAMPLE, encoding="utf-8")
    summary = await reload_config(app, file)
    assert summary is not None and summary.kept == ()
    assert app.config.platforms["teams"].enabled
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
