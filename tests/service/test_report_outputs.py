"""What leads get out of a report: a CSV a German spreadsheet computes with, a chart with
whole-number counts, a legend and the target line, and tables that Teams, Matrix and the
local chat show without Markdown escapes (the November seed, SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from adapters.local.render import render_text
from adapters.matrix.render import message_content
from adapters.teams.render import activity
from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.reports import chart, csv_export, plot, render
from bot.reports.metrics import Report
from bot.reports.service import build, period
from tests.conftest import berlin
from tests.service.report_seed import seed_november
from tests.service.sweep_support import Sessions

TEAMS_MESSAGE_LIMIT = 28_000


@pytest.fixture
async def november(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Report:
    """The seeded November as things stood on 2 December."""
    await seed_november(config, sessions, clock)
    clock.set(berlin(2026, 12, 2, 9, 0))
    start, end = period(config, date(2026, 11, 1), date(2026, 11, 30))
    async with sessions() as session:
        return await build(session, config, clock, start, end)


def test_the_csv_is_one_number_per_cell_for_a_german_spreadsheet(
    config: OrgConfig, november: Report
) -> None:
    data = csv_export.to_csv(config, november)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header == ["Bereich", "Gruppe", "Kennzahl", "Wert", "Einheit", "Zähler", "Nenner"]
    assert all(len(row) == 7 for row in body)
    for row in body:  # every figure a number (decimal comma), or empty where nothing was due
        for cell in (row[3], row[5], row[6]):
            assert "." not in cell and (cell == "" or float(cell.replace(",", ".")) >= 0), row
    table = {(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6]) for r in body}
    assert table["Gesamt", "", "Reaktionsfrist eingehalten"] == ("50,0", "%", "2", "4")
    assert table["Gesamt", "", "Anliegen (Tickets)"] == ("4", "Anzahl", "", "")
    median = table["Gesamt", "", "Reaktionszeit, Median (Arbeitsstunden)"]
    assert median == ("1,25", "Std.", "", "")
    level2 = "Fachteam (2. Level)"
    assert table["Level", level2, "Reaktionsfrist eingehalten"] == ("50,0", "%", "1", "2")
    p90 = table["Level", level2, "Reaktionszeit, 90. Perzentil (Arbeitsstunden)"]
    assert p90 == ("6,00", "Std.", "", "")
    resolved = table["Team", "Budget / Haushalt", "Erledigungsfrist eingehalten"]
    assert resolved[:3] == ("50,0", "%", "1")
    assert table["Woche", "KW 45/2026", "Neue Anliegen"] == ("4", "Anzahl", "", "")
    assert table["Woche", "KW 47/2026", "Reaktionsfrist eingehalten"] == ("", "%", "0", "0")
    satisfaction = "Zufriedenheit, Mittel 1–5 (Antworten)"
    assert table["Gesamt", "", satisfaction] == ("3,50", "Mittel 1–5", "", "2")


def _drawn(config: OrgConfig, report: Report) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = chart.draw(config, report)
    FigureCanvasAgg(figure).draw()
    return figure


def _count_axes(figure: Any) -> list[Any]:
    """The axes with the bars (the count axes), hotline first; their twins hold the lines."""
    return [axes for axes in figure.axes if axes.patches]


def test_the_chart_counts_in_whole_numbers_and_shows_legend_and_target(
    config: OrgConfig, november: Report
) -> None:
    figure = _drawn(config, november)
    counts = _count_axes(figure)
    assert len(counts) == 1 + len(november.team_weeks) == 3  # the hotline, BK, budget
    for axes in counts:
        ticks = [tick for tick in axes.get_yticks() if axes.get_ylim()[0] <= tick]
        assert ticks and all(float(tick).is_integer() for tick in ticks), ticks
    targets = [
        line
        for axes in figure.axes
        for line in axes.get_lines()
        if line.get_linestyle() == "--" and list(line.get_ydata()) == [90, 90]
    ]
    assert len(targets) == len(counts)  # every panel has the target line
    [legend] = [axes.get_legend() for axes in figure.axes if axes.get_legend()]
    names = [text.get_text() for text in legend.get_texts()]
    assert names == ["Neue Anliegen", "Reaktionsfrist eingehalten (%)", "Ziel 90 %"]
    labels = [label.get_text() for label in counts[0].get_xticklabels()]
    assert labels == ["KW 44", "KW 45", "KW 46", "KW 47", "KW 48", "KW 49"]
    titles = [axes.get_title() for axes in counts[1:]]
    assert titles == ["Team BK – Kundenbetreuung und\nBuchhaltung", "Budget / Haushalt"]


def test_many_weeks_are_labelled_sparsely_so_labels_never_run_together(
    config: OrgConfig, november: Report
) -> None:
    from dataclasses import replace

    first = november.weeks[0]
    year = tuple(
        replace(first, monday=first.monday + timedelta(weeks=n), opened=n % 3) for n in range(52)
    )
    figure = _drawn(config, replace(november, weeks=year, team_weeks={}))
    [axes] = _count_axes(figure)
    labels = [label for label in axes.get_xticklabels() if label.get_text()]
    assert len(labels) <= plot.MAX_LABELS
    boxes = [label.get_window_extent() for label in labels]
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes))  # no overlap


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _cell_text(cell: dict[str, Any]) -> str:
    """A cell's text: a figure is a TextBlock, words are a RichTextBlock of plain text."""
    block = cell["items"][0]
    return str(block["text"] if block["type"] == "TextBlock" else block["inlines"][0])


def _tables(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in card["body"] if block["type"] == "Table"]


def test_teams_shows_the_report_as_card_tables_without_escapes(
    config: OrgConfig, november: Report
) -> None:
    notice = Notice.from_json(json.loads(json.dumps(render.to_notice(config, november).to_json())))
    assert notice == render.to_notice(config, november)  # survives the outbox
    body = activity(notice)
    assert len(json.dumps(body).encode()) < TEAMS_MESSAGE_LIMIT
    [attachment] = body["attachments"]
    card = attachment["content"]
    tables = _tables(card)
    assert len(tables) == len(notice.tables) >= 5
    assert not [text for text in _strings(card) if "\\" in text]
    rows = [[[_cell_text(c) for c in r["cells"]] for r in t["rows"]] for t in tables]
    [kept, times] = [table for table in rows if table[0][0] == "Level"]
    assert kept[2] == ["Fachteam (2. Level)", "50,0 % (1/2)", "50,0 % (1/2)"]
    assert times[2] == ["Fachteam (2. Level)", "2", "1,3", "6,0"]
    assert "Vertraulicher Inhalt" not in json.dumps(card)


def test_matrix_and_local_chat_show_the_report_as_tables(
    config: OrgConfig, november: Report
) -> None:
    notice = render.to_notice(config, november)
    content = message_content(notice)
    html = content["formatted_body"]
    assert html.count("<table>") == len(notice.tables)
    assert "<th>Level</th>" in html and "\\" not in html and "|" not in html
    assert "<td>Fachteam (2. Level)</td><td>50,0 % (1/2)</td><td>50,0 % (1/2)</td>" in html
    assert "<td>Fachteam (2. Level)</td><td>2</td><td>1,3</td><td>6,0</td>" in html
    kept = "Fachteam (2. Level)       50,0 % (1/2)       50,0 % (1/2)"
    times = "Fachteam (2. Level)         2            1,3          6,0"
    for row in (kept, times):
        assert f"\n{row}\n" in content["body"]  # the plain fallback, aligned
        assert f"\n  {row}\n" in render_text(notice)
    text = render_text(notice)
    assert "\\" not in text and "|" not in text
    assert "\\" not in text and "|" not in text
