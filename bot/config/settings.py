"""Plain settings of the config (dialogs, data protection, operations): values with their
defaults and no references to teams or people. Re-exported by `bot.config.model`, kept
apart so that module stays small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DialogSettings:
    """Conversation hygiene: when an abandoned dialog expires, how long a message may be."""

    timeout: timedelta = timedelta(minutes=30)
    max_message_length: int = 2000


@dataclass(frozen=True)
class PrivacySettings:
    """How long personal data is kept (DSGVO), in days after a record is finished.

    tickets: closed requests are anonymised (text, requester, references removed; the
    numbers for reports stay); complaints: closed complaints are deleted entirely;
    feedback: comments on ratings and first-level feedback are anonymised.
    """

    tickets_days: int = 730
    complaints_days: int = 365
    feedback_days: int = 365
    newsletter_days: int = 365  # who received which newsletter (subscriptions stay: consent)


@dataclass(frozen=True)
class OperationsSettings:
    """The operators' HTTP endpoints (/healthz, /readyz, /metrics) and readiness limits.

    Loopback by default: metrics are for the city's monitoring, not for the internet.
    Port 0 takes any free port (tests); `enabled: false` serves none.
    """

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9464  # Prometheus' range for exporters
    outbox_max_age: timedelta = timedelta(minutes=5)  # a notice due longer: not ready
    sweep_max_lag: timedelta = timedelta(minutes=5)  # deadline work waiting longer: not ready
