"""A report as Markdown (chat and files) or CSV (further analysis); the chart is in chart.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.reports.metrics import Report, Share


def _percent(share: Share) -> str:
    rate = share.rate
    return "-" if rate is None else f"{rate * 100:.1f} % ({share.hits}/{share.total})"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def period_label(report: Report) -> str:
    """The report's days, "01.11.2026 – 30.11.2026"."""
    last = report.end.date() - timedelta(days=1)
    return f"{report.start.date():%d.%m.%Y} – {last:%d.%m.%Y}"


def _figures(config: OrgConfig, report: Report, loc: str) -> Iterator[tuple[str, str, str]]:
    """(section, key, value) for every figure; the one source of Markdown and CSV."""
    yield "total", t("report.tickets", loc), str(report.tickets)
    yield "total", t("report.first_contact", loc), _percent(report.first_contact)
    yield "total", t("report.first_response", loc), _percent(report.first_response)
    yield "total", t("report.resolution", loc), _percent(report.resolution)
    yield "total", t("report.response_median", loc), _hours(report.response_hours_median)
    yield "total", t("report.response_p90", loc), _hours(report.response_hours_p90)
    yield "total", t("report.complaints", loc), str(report.complaints)
    yield "total", t("report.ideas", loc), str(report.ideas)
    yield "total", t("report.round_table", loc), str(report.round_table)
    csat = "-" if report.csat_average is None else f"{report.csat_average:.2f}"
    yield "total", t("report.csat", loc), f"{csat} ({report.csat_count})"
    names = {team.id: team.name.get(loc) for team in config.teams}
    topics = {topic.id: topic.name.get(loc) for topic in config.topics}
    groups = {group.id: group.name.get(loc) for group in config.customer_groups}
    for key, count in report.by_topic.items():
        yield t("report.by_topic", loc), topics.get(key, key), str(count)
    for key, count in report.by_group.items():
        yield t("report.by_group", loc), groups.get(key, key), str(count)
    for key, count in report.by_team.items():
        yield t("report.by_team", loc), names.get(key, key), str(count)
    for level, count in report.by_level.items():
        yield t("report.by_level", loc), t(f"level.{level}", loc), str(count)
    for key, count in report.handoffs_by_team.items():
        yield t("report.handoffs", loc), names.get(key, key), str(count)
    for key, count in report.escalations_by_team.items():
        yield t("report.escalations", loc), names.get(key, key), str(count)
    for key, (average, count) in report.csat_by_team.items():
        yield t("report.csat_by_team", loc), names.get(key, key), f"{average:.2f} ({count})"
    questions = {q.id: q.text.get(loc) for q in config.workshops.questions}
    section = t("report.workshops", loc, forms=report.workshop_forms)
    for key, (average, count) in report.workshop_scales.items():
        yield section, questions.get(key, key), f"{average:.2f} ({count})"


def to_markdown(config: OrgConfig, report: Report, locale: str | None = None) -> str:
    """The report as Markdown: a headline, the totals, then one table per breakdown."""
    loc = locale or config.default_locale
    lines = [f"# {t('report.title', loc, period=period_label(report))}", ""]
    section = None
    for group, key, value in _figures(config, report, loc):
        if group != section:
            section = group
            if group != "total":
                lines += ["", f"## {group}", ""]
            lines += [f"| {t('report.figure', loc)} | {t('report.value', loc)} |", "|---|---|"]
        lines.append(f"| {key} | {value} |")
    return "\n".join(lines) + "\n"


def to_csv(config: OrgConfig, report: Report, locale: str | None = None) -> str:
    """The report as CSV rows: section; figure; value (semicolon, as German Excel expects)."""
    loc = locale or config.default_locale
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([t("report.section", loc), t("report.figure", loc), t("report.value", loc)])
    for row in _figures(config, report, loc):
        writer.writerow(row)
    return out.getvalue()
