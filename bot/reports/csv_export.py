"""The report as CSV for a spreadsheet: one value per cell, numbers a German Excel computes with.

Format: UTF-8 with a byte order mark (so Excel detects the encoding), `;` between cells,
decimal comma, no thousands separator, CRLF line ends, a header row. Columns (header names in
the report's language, German by default):

- Bereich: Gesamt, Level, Team, Thema, Eingang (Chat, Telefon: once calls were recorded),
  Kundengruppe, Woche, ...
- Gruppe: the level, team, topic, group or week ("KW 45/2026"); empty for totals
- Kennzahl: what is counted or measured
- Wert: the number: a count, a share in percent (50,0), hours (1,3) or a mean (3,50);
  empty where nothing was due
- Einheit: Anzahl, %, Std. or Mittel 1–5
- Zähler, Nenner: for shares the kept deadlines (hits) and those that were due; for means
  the number of answers in Nenner; empty otherwise
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.reports.breakdown import Deadlines
from bot.reports.channels import CHANNEL_LABELS, has_calls
from bot.reports.metrics import Report, Share
from bot.reports.render import decimal, entry_label

Row = tuple[str, ...]


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else decimal(value, digits, "de")


def _count(section: str, group: str, figure: str, n: int, loc: str) -> Row:
    return (section, group, figure, str(n), t("report.unit_count", loc), "", "")


def _share(section: str, group: str, figure: str, share: Share, loc: str) -> Row:
    rate = None if share.rate is None else share.rate * 100
    unit = t("report.unit_percent", loc)
    return (section, group, figure, _number(rate, 1), unit, str(share.hits), str(share.total))


def _hours(section: str, group: str, figure: str, value: float | None, loc: str) -> Row:
    return (section, group, figure, _number(value, 2), t("report.unit_hours", loc), "", "")


def _mean(section: str, group: str, figure: str, mean: float | None, n: int, loc: str) -> Row:
    return (section, group, figure, _number(mean, 2), t("report.unit_mean", loc), "", str(n))


def _deadline_rows(section: str, group: str, d: Deadlines, loc: str) -> Iterator[Row]:
    yield _count(section, group, t("report.tickets", loc), d.tickets, loc)
    yield _share(section, group, t("report.first_response", loc), d.first_response, loc)
    yield _share(section, group, t("report.resolution", loc), d.resolution, loc)
    yield _hours(section, group, t("report.response_median", loc), d.hours_median, loc)
    yield _hours(section, group, t("report.response_p90", loc), d.hours_p90, loc)


def rows(config: OrgConfig, report: Report, loc: str) -> Iterator[Row]:
    """Every figure as one row of the CSV (without the header)."""
    total = t("report.csv_total", loc)
    yield _count(total, "", t("report.tickets", loc), report.tickets, loc)
    yield _share(total, "", t("report.first_contact", loc), report.first_contact, loc)
    yield _share(total, "", t("report.first_response", loc), report.first_response, loc)
    yield _share(total, "", t("report.resolution", loc), report.resolution, loc)
    yield _hours(total, "", t("report.response_median", loc), report.response_hours_median, loc)
    yield _hours(total, "", t("report.response_p90", loc), report.response_hours_p90, loc)
    yield _count(total, "", t("report.complaints", loc), report.complaints, loc)
    yield _count(total, "", t("report.ideas", loc), report.ideas, loc)
    yield _count(total, "", t("report.round_table", loc), report.round_table, loc)
    yield _mean(total, "", t("report.csat", loc), report.csat_average, report.csat_count, loc)
    teams = {team.id: team.name.get(loc) for team in config.teams}
    for level, d in report.deadlines_by_level.items():
        yield from _deadline_rows(t("report.level", loc), t(f"level.{level}", loc), d, loc)
    for team, d in report.deadlines_by_team.items():
        yield from _deadline_rows(t("report.team", loc), teams.get(team, team), d, loc)
    for team, n in report.handoffs_by_team.items():
        yield _count(
            t("report.team", loc), teams.get(team, team), t("report.col_handoffs", loc), n, loc
        )
    for team, n in report.escalations_by_team.items():
        figure = t("report.col_escalations", loc)
        yield _count(t("report.team", loc), teams.get(team, team), figure, n, loc)
    for team, (mean, n) in report.csat_by_team.items():
        yield _mean(
            t("report.team", loc), teams.get(team, team), t("report.csat", loc), mean, n, loc
        )
    topics = {topic.id: topic.name.get(loc) for topic in config.topics}
    for key, n in report.by_topic.items():
        yield _count(t("report.topic", loc), topics.get(key, key), t("report.tickets", loc), n, loc)
    channel = t("report.channel_col", loc)
    for key, n in report.by_channel.items() if has_calls(report.by_channel) else ():
        label = t(CHANNEL_LABELS[key], loc)
        yield _count(channel, label, t("report.tickets", loc), n, loc)
        if key in report.first_contact_by_channel:
            share = report.first_contact_by_channel[key]
            yield _share(channel, label, t("report.first_contact", loc), share, loc)
    groups = {group.id: group.name.get(loc) for group in config.customer_groups}
    for key, n in report.by_group.items():
        yield _count(t("report.group", loc), groups.get(key, key), t("report.tickets", loc), n, loc)
    for week in report.weeks:
        iso = week.monday.isocalendar()
        label = t("report.week_label", loc, week=iso.week, year=iso.year)
        yield _count(
            t("report.csv_week", loc), label, t("report.chart_volume", loc), week.opened, loc
        )
        yield _share(
            t("report.csv_week", loc),
            label,
            t("report.first_response", loc),
            week.first_response,
            loc,
        )
    for entry, share in report.answers_by_entry.items():
        label = entry_label(report, entry, loc)
        yield _share(t("report.faq_entry", loc), label, t("report.faq_helped", loc), share, loc)
    questions = {q.id: q.text.get(loc) for q in config.workshops.questions}
    section = t("report.workshops", loc, forms=report.workshop_forms)
    for key, (mean, n) in report.workshop_scales.items():
        yield _mean(section, questions.get(key, key), t("report.col_mean", loc), mean, n, loc)


def header(loc: str) -> Row:
    """The header row."""
    return (
        t("report.section", loc),
        t("report.csv_group", loc),
        t("report.figure", loc),
        t("report.value", loc),
        t("report.csv_unit", loc),
        t("report.csv_numerator", loc),
        t("report.csv_denominator", loc),
    )


def to_csv(config: OrgConfig, report: Report, locale: str | None = None) -> bytes:
    """The report as CSV bytes (UTF-8 with BOM, see the module docstring)."""
    loc = locale or config.default_locale
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header(loc))
    writer.writerows(rows(config, report, loc))
    return out.getvalue().encode("utf-8-sig")
