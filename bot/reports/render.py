"""A report for people to read: tables in a chat notice (Adaptive Card Table in Teams, HTML
table in Matrix, aligned text locally) or Markdown for a file. The CSV for spreadsheets is
in csv_export.py, the chart in chart.py.

Figures are formatted for the reader's language: "50,0 % (2/4)" in German, "50.0 % (2/4)"
in English; "-" where nothing was due."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.notices import Notice, Table
from bot.reports.breakdown import Deadlines
from bot.reports.channels import CHANNEL_LABELS, has_calls
from bot.reports.metrics import Report, Share


def decimal(value: float, digits: int, loc: str) -> str:
    """A number with `digits` decimals: decimal comma in German, point in English."""
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{exact:f}"  # 1.25 -> "1.3", as people round (float formatting would say 1.2)
    return text if loc == "en" else text.replace(".", ",")


def share_text(share: Share, loc: str) -> str:
    """ "50,0 % (2/4)", or "-" with nothing due."""
    rate = share.rate
    return "-" if rate is None else f"{decimal(rate * 100, 1, loc)} % ({share.hits}/{share.total})"


def hours_text(value: float | None, loc: str) -> str:
    """Office hours with one decimal, or "-"."""
    return "-" if value is None else decimal(value, 1, loc)


def period_label(report: Report) -> str:
    """The report's days, "01.11.2026 – 30.11.2026"."""
    last = report.end.date() - timedelta(days=1)
    return f"{report.start.date():%d.%m.%Y} – {last:%d.%m.%Y}"


def _totals(report: Report, loc: str) -> Table:
    csat = "-" if report.csat_average is None else decimal(report.csat_average, 2, loc)
    rows = (
        (t("report.tickets", loc), str(report.tickets)),
        (t("report.first_contact", loc), share_text(report.first_contact, loc)),
        (t("report.first_response", loc), share_text(report.first_response, loc)),
        (t("report.resolution", loc), share_text(report.resolution, loc)),
        (t("report.response_median", loc), hours_text(report.response_hours_median, loc)),
        (t("report.response_p90", loc), hours_text(report.response_hours_p90, loc)),
        (t("report.complaints", loc), str(report.complaints)),
        (t("report.ideas", loc), str(report.ideas)),
        (t("report.round_table", loc), str(report.round_table)),
        (t("report.csat", loc), f"{csat} ({report.csat_count})"),
    )
    columns = (t("report.figure", loc), t("report.value", loc))
    return Table(columns, rows, t("report.totals", loc))


def _compliance(title: str, first: str, figures: Mapping[str, Deadlines], loc: str) -> Table | None:
    """Deadlines kept, one row per level or team: two shares, so that a long team name and
    "100,0 % (12/12)" fit side by side on a narrow card."""
    if not figures:
        return None
    rows = tuple(
        (name, share_text(d.first_response, loc), share_text(d.resolution, loc))
        for name, d in figures.items()
    )
    columns = (first, t("report.col_first_response", loc), t("report.col_resolution", loc))
    return Table(columns, rows, title, t("report.deadlines_note", loc))


def _response(title: str, first: str, figures: Mapping[str, Deadlines], loc: str) -> Table | None:
    """Tickets and response times, one row per level or team (the other half of the
    deadline figures: short numbers, so three columns fit next to the name)."""
    if not figures:
        return None
    rows = tuple(
        (name, str(d.tickets), hours_text(d.hours_median, loc), hours_text(d.hours_p90, loc))
        for name, d in figures.items()
    )
    columns = (
        first,
        t("report.col_tickets", loc),
        t("report.col_median", loc),
        t("report.col_p90", loc),
    )
    return Table(columns, rows, title)


def tables(config: OrgConfig, report: Report, locale: str | None = None) -> tuple[Table, ...]:
    """Every figure of the report as tables; breakdowns without figures are left out."""
    loc = locale or config.default_locale
    return tuple(table for table in _all_tables(config, report, loc) if table and table.rows)


def _all_tables(config: OrgConfig, report: Report, loc: str) -> Iterator[Table | None]:
    teams = {team.id: team.name.get(loc) for team in config.teams}
    topics = {topic.id: topic.name.get(loc) for topic in config.topics}
    groups = {group.id: group.name.get(loc) for group in config.customer_groups}
    count = t("report.col_tickets", loc)
    yield _totals(report, loc)
    levels = {t(f"level.{k}", loc): d for k, d in report.deadlines_by_level.items()}
    level, team = t("report.level", loc), t("report.team", loc)
    yield _compliance(t("report.deadlines_by_level", loc), level, levels, loc)
    yield _response(t("report.response_by_level", loc), level, levels, loc)
    by_team = {teams.get(k, k): d for k, d in report.deadlines_by_team.items()}
    yield _compliance(t("report.deadlines_by_team", loc), team, by_team, loc)
    yield _response(t("report.response_by_team", loc), team, by_team, loc)
    yield Table(
        (t("report.topic", loc), count),
        tuple((topics.get(k, k), str(n)) for k, n in report.by_topic.items()),
        t("report.by_topic", loc),
    )
    yield Table(
        (t("report.group", loc), count),
        tuple((groups.get(k, k), str(n)) for k, n in report.by_group.items()),
        t("report.by_group", loc),
    )
    yield _per_team(report, teams, loc)
    if has_calls(report.by_channel):
        yield _by_channel(report, loc)
    yield _answers(report, loc)
    mean, answers = t("report.col_mean", loc), t("report.col_answers", loc)
    questions = {q.id: q.text.get(loc) for q in config.workshops.questions}
    yield Table(
        (t("report.question", loc), mean, answers),
        tuple(
            (questions.get(k, k), decimal(avg, 2, loc), str(n))
            for k, (avg, n) in report.workshop_scales.items()
        ),
        t("report.workshops", loc, forms=report.workshop_forms),
    )


MAX_ENTRY_ROWS = 20  # first-level answers in the chat table (the CSV lists every one)


def entry_label(report: Report, entry: str, loc: str) -> str:
    """A first-level answer as the reports name it: its question (its id if it is gone)."""
    question = report.entry_questions.get(entry)
    return entry if question is None else question.get(loc)


def _answers(report: Report, loc: str) -> Table:
    """How often each first-level answer helped (config entries and accepted proposals)."""
    shown = list(report.answers_by_entry.items())[:MAX_ENTRY_ROWS]  # the most answered
    rows = tuple(
        (entry_label(report, entry, loc), share_text(share, loc)) for entry, share in shown
    )
    columns = (t("report.faq_entry", loc), t("report.faq_helped", loc))
    return Table(columns, rows, t("report.faq_title", loc), t("report.faq_note", loc))


def _by_channel(report: Report, loc: str) -> Table:
    """Requests and first-contact resolution per channel (chat, phone)."""
    rows = tuple(
        (
            t(CHANNEL_LABELS[channel], loc),
            str(n),
            share_text(report.first_contact_by_channel.get(channel, Share(0, 0)), loc),
        )
        for channel, n in report.by_channel.items()
    )
    columns = (t("report.channel_col", loc), t("report.col_tickets", loc))
    return Table((*columns, t("report.first_contact", loc)), rows, t("report.by_channel", loc))


def _per_team(report: Report, teams: Mapping[str, str], loc: str) -> Table:
    """Handoffs, escalations and satisfaction in one table: one row per team, so a long
    team name is written once (a Teams message has room for about 28 KB). Short headers
    and a legend, so that the figures fit next to the name on a narrow card; satisfaction
    as "mean (answers)", as the overview writes it."""
    keys = [*report.handoffs_by_team, *report.escalations_by_team, *report.csat_by_team]
    columns = (
        t("report.team", loc),
        t("report.col_handoffs_short", loc),
        t("report.col_escalations_short", loc),
        t("report.col_csat_short", loc),
    )
    rows = []
    for key in dict.fromkeys(keys):
        average, answers = report.csat_by_team.get(key, (None, 0))
        rows.append(
            (
                teams.get(key, key),
                str(report.handoffs_by_team.get(key, 0)),
                str(report.escalations_by_team.get(key, 0)),
                "-" if average is None else f"{decimal(average, 2, loc)} ({answers})",
            )
        )
    return Table(columns, tuple(rows), t("report.per_team", loc), t("report.per_team_note", loc))


def to_notice(
    config: OrgConfig,
    report: Report,
    locale: str | None = None,
    title: str | None = None,
    *,
    channel_safe: bool = True,
) -> Notice:
    """The report as a chat notice: a title, one line on how to read it, then the tables
    (readable without the chart). The weekly report goes to the leadership channel; a lead's
    own /bericht answer is marked not channel-safe, as before."""
    loc = locale or config.default_locale
    period = period_label(report)
    heading = f"{title}: {period}" if title else t("report.title", loc, period=period)
    return Notice(
        title=heading,
        text=t("report.intro", loc),
        tables=tables(config, report, loc),
        channel_safe=channel_safe,
    )


def to_markdown(config: OrgConfig, report: Report, locale: str | None = None) -> str:
    """The report as a Markdown file: a headline, then one table per breakdown."""
    loc = locale or config.default_locale
    lines = [f"# {t('report.title', loc, period=period_label(report))}", "", t("report.intro", loc)]
    for table in tables(config, report, loc):
        lines += ["", f"## {table.title}", ""]
        lines.append(_md_row(table.columns))
        lines.append(
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
        )
        lines += [_md_row(row) for row in table.rows]
        lines += ["", table.note] if table.note else []
    return "\n".join(lines) + "\n"


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
