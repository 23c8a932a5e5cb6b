"""Drawing the weekly chart (matplotlib, object API only, so it may run in a worker thread).

The top panel is the whole hotline, below it one small panel per team with tickets, all
with the same elements: bars for new requests per ISO week on a count axis with whole
numbers only, a line for the share of reaction deadlines kept (percent, right axis), and a
dashed line for the department's target (`sla.compliance_target`). One legend explains all
panels. Week labels are "KW 45" on the big panel and the bare number on the small ones;
with many weeks only every n-th is labelled, so they never run together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bot.reports.metrics import Week

BAR = "#8fb3de"
LINE = "#b03a2e"
TARGET = "#2e7d32"
MAX_LABELS = 12  # week labels per panel at most; more weeks label every n-th


def compliance(weeks: Sequence[Week]) -> list[float]:
    """Per week the reaction compliance in percent; NaN (a gap) where nothing was due."""
    return [
        float("nan") if w.first_response.rate is None else w.first_response.rate * 100
        for w in weeks
    ]


def week_ticks(
    weeks: Sequence[Week], *, prefix: str, limit: int = MAX_LABELS
) -> tuple[list[int], list[str]]:
    """Tick positions and labels: every week, or every n-th when there are too many."""
    step = max(1, math.ceil(len(weeks) / limit))
    positions = list(range(0, len(weeks), step))
    return positions, [f"{prefix}{weeks[i].monday.isocalendar().week}" for i in positions]


def panel(
    axes: Any,
    weeks: Sequence[Week],
    *,
    target: int,
    prefix: str,
    labels: tuple[str, str, str],
    small: bool = False,
) -> list[Any]:
    """Draw one panel on `axes`; returns the legend handles (bars, line, target)."""
    from matplotlib.ticker import MaxNLocator

    positions = list(range(len(weeks)))
    volume = [w.opened for w in weeks]
    bars = axes.bar(positions, volume, color=BAR, width=0.7, label=labels[0], zorder=2)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=3 if small else 6))
    axes.set_ylim(0, max([1, *volume]) * 1.15)
    ticks, names = week_ticks(weeks, prefix=prefix, limit=8 if small else MAX_LABELS)
    axes.set_xticks(ticks, names)
    axes.set_xlim(-0.6, len(weeks) - 0.4)
    axes.grid(axis="y", color="#e0e0e0", zorder=0)
    right = axes.twinx()
    (line,) = right.plot(
        positions,
        compliance(weeks),
        color=LINE,
        marker="o",
        markersize=3 if small else 5,
        label=labels[1],
        zorder=3,
    )
    goal = right.axhline(target, color=TARGET, linestyle="--", linewidth=1, label=labels[2])
    right.set_ylim(0, 105)
    right.set_yticks([0, 50, 100] if small else [0, 25, 50, 75, 100])
    if small:
        for side in (axes, right):
            side.tick_params(labelsize=7, length=2, pad=1)
    return [bars, line, goal]
