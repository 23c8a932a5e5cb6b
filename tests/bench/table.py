"""The benchmark table: one Row per figure, the bot's next to the baseline of the same run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One figure of the bot and the baseline measured in the same run.

    `bot` or `baseline` is None when it was not measured (then `note` says why)."""

    name: str
    bot: float | None
    baseline: float | None
    unit: str
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """bot / baseline, or None when either is missing or the baseline is zero."""
        if self.bot is None or self.baseline is None or self.baseline == 0:
            return None
        return self.bot / self.baseline


def skipped(name: str, reason: str) -> Row:
    """A row that was not measured, with the reason."""
    return Row(name, None, None, "", f"skipped: {reason}")


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile, e.g. fraction=0.95 for p95 (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render(rows: Sequence[Row]) -> str:
    """The rows as one plain-text table (name, bot, baseline, unit, ratio, note)."""
    header = ("benchmark", "bot", "baseline", "unit", "ratio", "note")
    lines = [
        (
            row.name,
            _figure(row.bot),
            _figure(row.baseline),
            row.unit,
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(5)]

    def line(cells: Sequence[str]) -> str:
        aligned = [
            cells[0].ljust(widths[0]),
            *(cells[i].rjust(widths[i]) for i in (1, 2)),
            cells[3].ljust(widths[3]),
            cells[4].rjust(widths[4]),
        ]
        return " | ".join([*aligned, cells[5]]).rstrip()

    rule = "-+-".join("-" * w for w in widths) + "-+-" + "-" * 4
    return "\n".join([line(header), rule, *(line(cells) for cells in lines)])
