"""A notice's tables are plain text in every renderer: nothing in a cell formats, nothing is
escaped with backslashes, and HTML in a cell stays text."""

from __future__ import annotations

import json

from adapters.local.render import render_text
from adapters.matrix.render import message_content
from adapters.teams.render import activity
from bot.kernel.notices import Notice, Table

TABLE = Table(
    columns=("Team", "Anliegen"),
    rows=(("1. **Level** <b>x</b> #1 | a_b", "12"), ("Budget", "3")),
    title="Je Team",
)
NOTICE = Notice(title="Bericht 01.11.", text="Zeiten in **Arbeitsstunden**.", tables=(TABLE,))


def test_teams_cells_are_text_runs_without_escapes() -> None:
    card = activity(NOTICE)["attachments"][0]["content"]
    [table] = [block for block in card["body"] if block["type"] == "Table"]
    first = table["rows"][1]["cells"][0]["items"][0]
    assert first == {"type": "RichTextBlock", "inlines": ["1. **Level** <b>x</b> #1 | a_b"]}
    assert table.get("firstRowAsHeader", True) is True and len(table["rows"]) == 3
    assert "\\\\" not in json.dumps(card)  # no Markdown escapes anywhere, title and text too
    bold = [run for run in card["body"][1]["inlines"] if run.get("weight") == "Bolder"]
    assert [run["text"] for run in bold] == ["Arbeitsstunden"]


def test_matrix_cells_are_escaped_html() -> None:
    content = message_content(NOTICE)
    html = content["formatted_body"]
    assert "<h4>Je Team</h4><table><thead><tr><th>Team</th><th>Anliegen</th></tr></thead>" in html
    assert "<td>1. **Level** &lt;b&gt;x&lt;/b&gt; #1 | a_b</td><td>12</td>" in html
    assert "\nBudget                                 3" in content["body"]


def test_local_chat_aligns_the_columns() -> None:
    lines = render_text(NOTICE).splitlines()
    assert lines[-4:] == [
        "  Je Team",
        "  Team                            Anliegen",
        "  1. **Level** <b>x</b> #1 | a_b        12",
        "  Budget                                 3",
    ]


def test_tables_survive_the_outbox() -> None:
    assert Notice.from_json(json.loads(json.dumps(NOTICE.to_json()))) == NOTICE
    assert "tables" not in Notice(text="x").to_json()  # older rows stay as they were
