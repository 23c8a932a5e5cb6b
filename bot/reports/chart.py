"""The weekly chart: tickets opened (bars) and reaction-deadline compliance (line) per ISO week,
for the hotline and for each team, against the department's target (drawing in plot.py).

`to_png` writes the full-colour file for admins; `for_chat` makes the picture the weekly
report posts into the leadership channel. Teams refuses messages above about 28 KB, and an
inline picture travels base64 inside the message, so the chat version is reduced to a small
palette (a chart has few colours) with text drawn crisp: about 18 KB for eight weeks and
nine team panels instead of 33 KB. The tables of the report notice carry every figure, so
a chart that still does not fit is left out (bot/escalation/digest.py).
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.notices import Image
from bot.reports import plot
from bot.reports.metrics import Report
from bot.reports.render import period_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHAT_LIMIT = 20_000  # bytes of PNG; base64 makes 27 KB of it, inside Teams' message limit
_WIDTH, _TOP, _ROW = 8.0, 4.5, 1.6  # inches: the width, the hotline panel, a row of teams
_COLUMNS = 3  # team panels per row
_DPI = 100
_PALETTE = 32


def title(config: OrgConfig, report: Report, locale: str | None = None) -> str:
    """The chart's title (also stored in the PNG's metadata)."""
    return t("report.chart_title", locale or config.default_locale, period=period_label(report))


def png(
    config: OrgConfig, report: Report, locale: str | None = None, *, crisp_text: bool = False
) -> bytes:
    """The chart as PNG bytes (full colour): the hotline on top, one small panel per team
    below (plot.py). Uses no pyplot state (nothing registers the Figure, so repeated charts
    do not pile up), so it may run in a worker thread: a chart takes a few hundred
    milliseconds the event loop must not wait. matplotlib is imported here, on the first
    chart, never when the bot starts.

    `crisp_text` draws text without anti-aliasing: its grey fringes are most of a chart's
    colours, and without them the chat version stays under CHAT_LIMIT with nine teams
    (about 15 KB instead of 30 KB), still legible at 100 %."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    figure = draw(config, report, locale)
    try:
        FigureCanvasAgg(figure)
        if crisp_text:
            for text in figure.findobj(Text):
                text.set_antialiased(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Title": title(config, report, locale)})
        return buffer.getvalue()
    finally:
        figure.clear()  # break the artists' cycles: the memory goes now, not at some GC


def draw(config: OrgConfig, report: Report, locale: str | None = None) -> Figure:
    """The chart as a matplotlib Figure (tests inspect its axes, ticks and legend)."""
    from matplotlib.figure import Figure

    loc = locale or config.default_locale
    target = config.sla.compliance_target
    labels = (
        t("report.chart_volume", loc),
        t("report.chart_compliance", loc),
        t("report.chart_target", loc, target=target),
    )
    names = {team.id: team.name.get(loc) for team in config.teams}
    teams = list(report.team_weeks.items())
    rows = math.ceil(len(teams) / _COLUMNS)
    figure = Figure(figsize=(_WIDTH, _TOP + rows * _ROW), dpi=_DPI, layout="constrained")
    grid = figure.add_gridspec(1 + rows, _COLUMNS, height_ratios=[_TOP - 0.6] + [_ROW] * rows)
    main = figure.add_subplot(grid[0, :])
    handles = plot.panel(main, report.weeks, target=target, prefix="KW ", labels=labels)
    main.set_ylabel(labels[0])
    main.set_title(title(config, report, loc), fontsize=11)
    main.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(0, -0.12), ncols=3, frameon=False
    )
    for index, (team, weeks) in enumerate(teams):
        axes = figure.add_subplot(grid[1 + index // _COLUMNS, index % _COLUMNS])
        plot.panel(axes, weeks, target=target, prefix="", labels=labels, small=True)
        axes.set_title(short_name(names.get(team, team)), fontsize=8)
    return figure


def short_name(name: str, width: int = 32) -> str:
    """A team's name for a small panel: without a trailing "(GL 2.12)" when long, wrapped
    onto at most two lines."""
    if len(name) > width and name.endswith(")") and " (" in name:
        name = name[: name.rindex(" (")]
    return textwrap.fill(name, width, max_lines=2, placeholder=" …")


def to_png(config: OrgConfig, report: Report, path: Path, locale: str | None = None) -> Path:
    """Write the full-colour chart to `path`."""
    path.write_bytes(png(config, report, locale))
    return path


def for_chat(config: OrgConfig, report: Report, name: str, locale: str | None = None) -> Image:
    """The chart as a small palette PNG with a text alternative listing every week's figures."""
    from PIL import Image as Pillow

    loc = locale or config.default_locale
    picture = Pillow.open(io.BytesIO(png(config, report, loc, crisp_text=True))).convert("RGB")
    small = picture.quantize(colors=_PALETTE)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return Image(
        data=buffer.getvalue(),
        mime="image/png",
        name=name,
        width=picture.width,
        height=picture.height,
        alt=alt_text(config, report, loc),
    )


def alt_text(config: OrgConfig, report: Report, locale: str) -> str:
    """What the chart shows, in words: its title and one line per week."""
    lines = [title(config, report, locale)]
    for week in report.weeks:
        rate = week.first_response.rate
        lines.append(
            t(
                "report.chart_alt_week",
                locale,
                week=week.monday.isocalendar().week,
                opened=week.opened,
                compliance="-" if rate is None else f"{rate * 100:.0f} %",
            )
        )
    return "\n".join(lines)
