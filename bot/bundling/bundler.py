"""No DM storms: the bundler decides, per person and kind, which held sweep DMs go out alone,
which are folded into one message, and which wait for the window (or the hour) to end.

The sweep writes each step's DMs to the outbox as usual, but held and tagged with a kind
(reminder, deadline notice, escalation, escalation repeat, claim lease); its step is
recorded in the same transaction, so the step is never lost or doubled. Before each
delivery round the outbox sender runs the bundler: one transaction that takes the held rows
due now, locks the person's counters and, per (person, kind):

- while the window has room for all of them (`threshold` messages per `window`, and
  `dm_ceiling_per_hour` per person over all kinds), releases them: they go out one by one,
  as before (below the threshold nothing changes);
- while it has room for one more message, folds them all into ONE message: the oldest row
  carries the bundle's notice, the others are marked as bundled into it;
- when it is full, holds them until the window (or the hour) ends, then decides again.

A folded message is an ordinary outbox row from then on: claimed, sent, retried, recorded
exactly once by the sender. A crash before the bundler's commit changes nothing; after it,
the folded row is delivered like any other. Two instances lock each row (and each person's
counters) in turn, so no row joins two bundles. No round trip per notice: the statements
are per round and per person.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.bundling.notice import bundle_notice
from bot.config.model import BundlingConfig
from bot.kernel.clock import Clock
from storage.models import NoticePacingRow, OutboxRow
from storage.repositories import bundles as repo

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
CEILING = "*"  # the pacing kind that counts a person's messages of every kind in an hour
ROUND = 2000  # held rows per transaction


@dataclass
class Decision:
    """What one round decided: rows released alone, bundles (oldest first), rows held on."""

    release: list[int] = field(default_factory=list)
    folds: list[list[OutboxRow]] = field(default_factory=list)
    held: dict[datetime, list[int]] = field(default_factory=dict)


def decide(
    rows: Sequence[OutboxRow],
    counters: dict[repo.PacingKey, NoticePacingRow],
    settings: BundlingConfig,
    now: datetime,
) -> Decision:
    """Decide for the held rows (oldest first) and count what goes out in `counters`."""
    decision = Decision()
    for key, group in _by_person_and_kind(rows):
        window, hour = counters[key], counters[(key[0], key[1], CEILING)]
        _renew(window, settings.window, now)
        _renew(hour, HOUR, now)
        room = min(settings.threshold - window.sent, settings.dm_ceiling_per_hour - hour.sent)
        ids = [row.id for row in group]
        if len(group) <= room:
            decision.release += ids
            sent = len(group)
        elif room >= 1:
            decision.folds.append(list(group))
            sent = 1
        else:
            ends = []
            if window.sent >= settings.threshold:
                ends.append(window.started + settings.window)
            if hour.sent >= settings.dm_ceiling_per_hour:
                ends.append(hour.started + HOUR)
            decision.held.setdefault(max(ends), []).extend(ids)
            continue
        window.sent += sent
        hour.sent += sent
    return decision


class Bundler:
    """Runs the bundler's rounds for the outbox sender (see the module docstring)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: BundlingConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings or BundlingConfig()

    async def run(self, platforms: Iterable[str]) -> int:
        """Decide for every held row due now; returns how many rows were decided."""
        names = list(platforms)
        decided = 0
        while True:
            async with self.sessions() as session, session.begin():
                count = await self._round(session, names)
            decided += count
            if count < ROUND:
                return decided

    async def _round(self, session: AsyncSession, platforms: list[str]) -> int:
        now = self.clock.now()
        rows = await repo.held_due(session, platforms=platforms, now=now, limit=ROUND)
        if not rows:
            return 0
        keys = {_key(row) for row in rows}
        keys |= {(platform, address, CEILING) for platform, address, _ in keys}
        counters = await repo.pacing(session, keys=keys, now=now)
        decision = decide(rows, counters, self.settings, now)
        await repo.release(session, ids=decision.release)
        for group in decision.folds:
            notice = bundle_notice([row.payload for row in group])
            members = [row.id for row in group]
            await repo.fold(session, leader=members[0], members=members, payload=notice.to_json())
        for until, ids in decision.held.items():
            await repo.hold(session, ids=ids, until=until)
        if decision.folds or decision.held:
            log.info(
                "bundler: %d released, %d bundles of %d rows, %d held",
                len(decision.release),
                len(decision.folds),
                sum(len(group) for group in decision.folds),
                sum(len(ids) for ids in decision.held.values()),
            )
        return len(rows)


def _key(row: OutboxRow) -> repo.PacingKey:
    return (row.platform, row.target_address, str(row.bundle_kind))


def _by_person_and_kind(
    rows: Sequence[OutboxRow],
) -> Iterable[tuple[repo.PacingKey, list[OutboxRow]]]:
    """The rows grouped by (platform, address, kind), in key order, each group oldest first."""
    ordered = sorted(rows, key=lambda row: (_key(row), row.id))
    for key, group in itertools.groupby(ordered, key=_key):
        yield key, list(group)


def _renew(counter: NoticePacingRow, length: timedelta, now: datetime) -> None:
    """Start a new window when the counter's has ended, or lies ahead (a clock set back:
    `hotline-bot jobs --at` ran the sweep on a simulated one)."""
    if now >= counter.started + length or now < counter.started:
        counter.started, counter.sent = now, 0
