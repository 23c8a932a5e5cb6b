"""Prometheus metrics: counters the running process keeps, and figures read at scrape time.

Turns, deliveries and sweeps are counted as they happen (this process only); backlogs,
ages and ticket counts are read from the database on each scrape (database-wide, the same
from every instance: aggregate them with max(), not sum()). One registry per bot, never the
library's global one, so two bots in one test process do not share counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.kernel.observe import DeliveryOutcome, TurnOutcome
from storage.repositories.operations import Snapshot

# Reply latency as the bot spends it: most turns take milliseconds, a slow database seconds.
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The observer the composition root hands to the engine, the sender and the jobs."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.turns = Counter(
            "hotline_turns",
            "Inbound events processed, by platform and outcome",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "hotline_turn_seconds",
            "Time from an inbound event to its answers being committed to the outbox",
            ["platform"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Counter(
            "hotline_deliveries",
            "Attempts to hand a notice to a platform: delivered, retry (will be retried), "
            "failed (given up)",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.sweep_seconds = Histogram(
            "hotline_sweep_seconds",
            "Duration of one deadline sweep",
            buckets=SWEEP_BUCKETS,
            registry=self.registry,
        )
        self.sweep_due = Counter(
            "hotline_sweep_due_tickets", "Due tickets the sweeps handled", registry=self.registry
        )
        self.sweep_fired = Counter(
            "hotline_sweep_fired_steps", "Deadline steps the sweeps fired", registry=self.registry
        )
        self.platform_active = Gauge(
            "hotline_platform_active",
            "1 where this instance serves the platform, 0 on standby (Matrix failover)",
            ["platform"],
            registry=self.registry,
        )
        self.database = DatabaseFigures()
        self.registry.register(self.database)

    def turn(self, platform: str, outcome: TurnOutcome, seconds: float) -> None:
        """Count a turn and its latency."""
        self.turns.labels(platform, outcome).inc()
        self.turn_seconds.labels(platform).observe(seconds)

    def delivery(self, platform: str, outcome: DeliveryOutcome) -> None:
        """Count one delivery attempt."""
        self.deliveries.labels(platform, outcome).inc()

    def sweep(self, seconds: float, due: int, fired: int) -> None:
        """Count one sweep."""
        self.sweep_seconds.observe(seconds)
        self.sweep_due.inc(due)
        self.sweep_fired.inc(fired)

    def exposition(
        self, snapshot: Snapshot, now: datetime, *, database_reachable: bool = True
    ) -> bytes:
        """The text format for a scrape, with the database figures of `snapshot`."""
        self.database.update(snapshot, now, reachable=database_reachable)
        return generate_latest(self.registry)


class DatabaseFigures(Collector):
    """Gauges (and the all-time step counts) from the last database snapshot."""

    def __init__(self) -> None:
        self._snapshot = Snapshot()
        self._now: datetime | None = None
        self._reachable = False

    def update(self, snapshot: Snapshot, now: datetime, *, reachable: bool) -> None:
        """Use these figures for the next collection."""
        self._snapshot, self._now, self._reachable = snapshot, now, reachable

    def collect(self) -> Iterable[Metric]:
        """The figures in Prometheus' data model."""
        figures, now = self._snapshot, self._now
        yield GaugeMetricFamily(
            "hotline_database_reachable",
            "1 when the last scrape could read the database (else the figures below are 0)",
            value=1.0 if self._reachable else 0.0,
        )
        backlog = GaugeMetricFamily(
            "hotline_outbox_pending", "Notices waiting to be sent, by platform", labels=["platform"]
        )
        for platform, count in sorted(figures.outbox_pending.items()):
            backlog.add_metric([platform], count)
        yield backlog
        yield GaugeMetricFamily(
            "hotline_outbox_oldest_due_seconds",
            "Age of the oldest notice that is due and not yet sent (0: none)",
            value=_age(figures.outbox_oldest_due, now),
        )
        yield GaugeMetricFamily(
            "hotline_sweep_lag_seconds",
            "How long the oldest due deadline work has waited for the sweep (0: none)",
            value=_age(figures.overdue_since, now),
        )
        tickets = GaugeMetricFamily(
            "hotline_open_tickets", "Tickets not resolved or closed", labels=["team", "status"]
        )
        for (team, status), count in sorted(figures.open_tickets.items()):
            tickets.add_metric([team, status], count)
        yield tickets
        yield GaugeMetricFamily(
            "hotline_dialogs_open", "Conversations in the middle of a dialog", figures.dialogs_open
        )
        steps = CounterMetricFamily(
            "hotline_deadline_steps",
            "Deadline steps fired since the database began, by team and action "
            "(remind, notify_lead = deadline breached, escalate, interim, lease)",
            labels=["team", "action"],
        )
        for (team, action), count in sorted(figures.steps.items()):
            steps.add_metric([team, action], count)
        yield steps


def _age(since: datetime | None, now: datetime | None) -> float:
    if since is None or now is None:
        return 0.0
    return max(0.0, (now - since).total_seconds())
