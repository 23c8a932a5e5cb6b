"""What the running bot reports about itself, for operators (metrics), as a narrow protocol.

The engine, the outbox sender and the scheduled jobs call an `Observer`; the composition
root gives them the Prometheus one (bot/ops/metrics.py), tests and tools the silent one. So
the core never imports a metrics library, and nothing is counted at import time.
"""

from __future__ import annotations

from typing import Literal, Protocol

TurnOutcome = Literal["handled", "duplicate", "dropped", "apologised", "store_unavailable"]
DeliveryOutcome = Literal["delivered", "retry", "failed"]


class Observer(Protocol):
    """Receives one call per turn, delivery attempt and sweep."""

    def turn(self, platform: str, outcome: TurnOutcome, seconds: float) -> None:
        """An inbound event was processed (or refused) in `seconds`."""

    def delivery(self, platform: str, outcome: DeliveryOutcome) -> None:
        """One attempt to hand a notice to a platform, and how it went."""

    def sweep(self, seconds: float, due: int, fired: int) -> None:
        """One deadline sweep: how long, how many due tickets, how many steps fired."""


class SilentObserver:
    """Counts nothing: the default outside a served bot."""

    def turn(self, platform: str, outcome: TurnOutcome, seconds: float) -> None:
        """Ignored."""

    def delivery(self, platform: str, outcome: DeliveryOutcome) -> None:
        """Ignored."""

    def sweep(self, seconds: float, due: int, fired: int) -> None:
        """Ignored."""


SILENT = SilentObserver()
