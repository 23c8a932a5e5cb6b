"""Config reload on SIGHUP: staff, teams, topics and policies change without a restart.

The new file is read with the same loader as at start and refused whole when it has any
issue (the old config stays, the issues are logged by key path). What the running process
cannot change in place keeps its old value with a WARNING naming the key: the platform
settings (credentials, homeserver, Teams endpoint, which platforms run), the health and
metrics server (bind address, port), the sweep interval (the scheduler's trigger) and the
outbox bundling (the sender's). The database URL and the data directory come from the
environment and are read once. Everything else is swapped in between turns: a turn or job
round already running finishes with the config it started with, the next one sees the new
one; the adapters keep running, so no inbound message is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from bot.app import App, with_enabled
from bot.config.loader import ConfigError, load_config
from bot.config.model import OrgConfig, Person, Team

log = logging.getLogger(__name__)
T = TypeVar("T")


@runtime_checkable
class Reconfigurable(Protocol):
    """An adapter that reads the config while running (mentions, team rooms)."""

    async def reconfigure(self, config: OrgConfig) -> None:
        """Use `config` from now on."""


@dataclass(frozen=True)
class ReloadSummary:
    """What a reload changed, in counts (ids only in the log's message, never names)."""

    teams_added: int = 0
    teams_removed: int = 0
    teams_changed: int = 0
    people_added: int = 0
    people_removed: int = 0
    people_changed: int = 0
    kept: tuple[str, ...] = ()  # restart-only keys whose change was not applied

    def text(self) -> str:
        """One grep-able line of counts."""
        return (
            f"teams +{self.teams_added} -{self.teams_removed} ~{self.teams_changed}, "
            f"people +{self.people_added} -{self.people_removed} ~{self.people_changed}"
        )


def restart_only(old: OrgConfig, new: OrgConfig) -> tuple[OrgConfig, tuple[str, ...]]:
    """`new` with the old values of every restart-only setting, and the keys that differed."""
    kept: list[str] = []
    for name in sorted(set(old.platforms) | set(new.platforms)):
        if old.platforms.get(name) != new.platforms.get(name):
            kept.append(f"platforms.{name}")
    if old.operations != new.operations:
        kept.append("operations")
    if old.escalation.sweep_interval != new.escalation.sweep_interval:
        kept.append("escalation.sweep_interval")
    if old.escalation.bundling != new.escalation.bundling:
        kept.append("escalation.bundling")
    escalation = replace(
        new.escalation,
        sweep_interval=old.escalation.sweep_interval,
        bundling=old.escalation.bundling,
    )
    merged = replace(new, platforms=old.platforms, operations=old.operations, escalation=escalation)
    return merged, tuple(kept)


def summarise(old: OrgConfig, new: OrgConfig, kept: tuple[str, ...] = ()) -> ReloadSummary:
    """Teams and people added, removed and changed between two configs."""
    teams_added, teams_removed, teams_changed = _diff(_teams(old), _teams(new))
    people_added, people_removed, people_changed = _diff(_people(old), _people(new))
    return ReloadSummary(
        teams_added,
        teams_removed,
        teams_changed,
        people_added,
        people_removed,
        people_changed,
        kept,
    )


def _teams(config: OrgConfig) -> dict[str, Team]:
    return {team.id: team for team in config.teams}


def _people(config: OrgConfig) -> dict[str, tuple[Person, ...]]:
    """Each person with every membership (moving between teams is a change)."""
    people: dict[str, tuple[Person, ...]] = {}
    for team in config.teams:
        for person in team.members:
            people[person.id] = (*people.get(person.id, ()), person)
    return people


def _diff(old: Mapping[str, T], new: Mapping[str, T]) -> tuple[int, int, int]:
    added = len(new.keys() - old.keys())
    removed = len(old.keys() - new.keys())
    changed = sum(1 for key in old.keys() & new.keys() if old[key] != new[key])
    return added, removed, changed


async def reload_config(app: App, path: Path | None) -> ReloadSummary | None:
    """Read `path` (None: the embedded sample) and swap it in; None when refused."""
    try:
        loaded = load_config(path)
    except ConfigError as error:
        for issue in error.issues:  # key path, line and the validator's text: no values
            log.error(
                "config reload refused: %s (line %s): %s",
                issue.path,
                issue.line,
                issue.message,
                extra={"event": "config_reload_refused"},
            )
        log.error(
            "config reload refused: %d problem(s) in %s; the old config stays",
            len(error.issues),
            error.source,
            extra={"event": "config_reload_refused", "outcome": "refused"},
        )
        return None
    # `run --teams` switched a platform on at start: the reloaded file is read the same way
    config, kept = restart_only(app.config, with_enabled(loaded, app.forced_platforms))
    for key in kept:
        log.warning(
            "config reload: %s changed but needs a restart; the old value stays",
            key,
            extra={"event": "config_reload_needs_restart"},
        )
    summary = summarise(app.config, config, kept)
    await apply(app, config)
    log.info(
        "config reloaded: %s",
        summary.text(),
        extra={"event": "config_reloaded", "outcome": "applied"},
    )
    return summary


async def apply(app: App, config: OrgConfig) -> None:
    """Swap `config` into every part that reads it; the engine and jobs in one step each."""
    app.config = config
    app.engine.reconfigure(config)
    app.jobs.reconfigure(config)
    for adapter in app.adapters.values():
        if isinstance(adapter, Reconfigurable):
            await adapter.reconfigure(config)
