"""The weekly chart: tickets opened (bars) and reaction-deadline compliance (line) per ISO week.

`to_png` writes the full-colour file for admins; `for_chat` makes the picture the weekly
report posts into the leadership channel. Teams refuses messages above about 28 KB, and an
inline picture travels base64 inside the message, so the chat version is reduced to a small
palette (a chart has few colours): about 12 KB instead of 40 KB for eight weeks, with no
visible loss.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.notices import Image
from bot.reports.metrics import Report
from bot.reports.render import period_label

CHAT_LIMIT = 20_000  # bytes of PNG; base64 makes 27 KB of it, inside Teams' message limit
_SIZE = (8.0, 4.5)  # inches
_DPI = 100
_PALETTE = 64


def title(config: OrgConfig, report: Report, locale: str | None = None) -> str:
    """The chart's title (also stored in the PNG's metadata)."""
    return t("report.chart_title", locale or config.default_locale, period=period_label(report))


def png(config: OrgConfig, report: Report, locale: str | None = None) -> bytes:
    """The chart as PNG bytes (full colour). Uses no pyplot state, so it may run in a
    worker thread: a chart takes a few hundred milliseconds the event loop must not wait."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    loc = locale or config.default_locale
    labels = [f"KW {week.monday.isocalendar().week}" for week in report.weeks]
    volume = [week.opened for week in report.weeks]
    compliance = [
        float("nan") if week.first_response.rate is None else week.first_response.rate * 100
        for week in report.weeks
    ]
    heading = title(config, report, loc)
    figure = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    left = figure.subplots()
    left.bar(labels, volume, color="#9db4d6", label=t("report.chart_volume", loc))
    left.set_ylabel(t("report.chart_volume", loc))
    right = left.twinx()
    right.plot(
        labels, compliance, color="#b03a2e", marker="o", label=t("report.chart_compliance", loc)
    )
    right.set_ylim(0, 105)
    right.set_ylabel(t("report.chart_compliance", loc))
    left.set_title(heading)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Title": heading})
    return buffer.getvalue()


def to_png(config: OrgConfig, report: Report, path: Path, locale: str | None = None) -> Path:
    """Write the full-colour chart to `path`."""
    path.write_bytes(png(config, report, locale))
    return path


def for_chat(config: OrgConfig, report: Report, name: str, locale: str | None = None) -> Image:
    """The chart as a small palette PNG with a text alternative listing every week's figures."""
    from PIL import Image as Pillow

    loc = locale or config.default_locale
    picture = Pillow.open(io.BytesIO(png(config, report, loc))).convert("RGB")
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
