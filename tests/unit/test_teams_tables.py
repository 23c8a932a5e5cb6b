"""Tables in a Teams card (432 px): figure columns as wide as their figures, figures that do
not wrap, names that take the rest, a table too wide for the card split in parts that fit,
and the legend under it (adapters/teams/tables.py). The gallery measures the result in a
browser (tests/gallery: test_table_cells_keep_to_their_columns)."""

from __future__ import annotations

from typing import Any

from adapters.local.render import render_text
from adapters.matrix.render import message_content
from adapters.teams.tables import CARD_TEXT_PX, CELL_SPACING_PX, table_elements, text_px
from bot.kernel.notices import Notice, Table

DEADLINES = Table(
    columns=("Team", "Reaktion in Frist", "Lösung in Frist"),
    rows=(
        ("FiBu – Kreditorenbuchhaltung (GL 2.12)", "100,0 % (12/12)", "-"),
        ("Budget / Haushalt", "50,0 % (1/2)", "0,0 % (0/1)"),
    ),
    title="Fristen je Team",
    note="Anteil der fälligen Anliegen, deren Frist eingehalten wurde (eingehalten/fällig).",
)
WIDE = Table(
    columns=("Team", "Anliegen", "Reaktion in Frist", "Lösung in Frist", "Median", "90 %"),
    rows=(
        (
            "FiBu – Kreditorenbuchhaltung",
            "1234",
            "83,3 % (999/1200)",
            "74,6 % (888/1190)",
            "12,3",
            "140,5",
        ),
    ),
)


def tables_in(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for element in elements if element["type"] == "Table"]


def test_figure_columns_are_as_wide_as_their_widest_figure() -> None:
    [table] = tables_in(table_elements(DEADLINES))
    first, *figures = table["columns"]
    assert first["width"] == 1  # the names take what is left
    widths = [int(column["width"].removesuffix("px")) for column in figures]
    assert widths[0] >= text_px("100,0 % (12/12)") and widths[1] >= text_px("0,0 % (0/1)")
    assert widths[0] < text_px("100,0 % (12/12)") + 10
    assert table["horizontalCellContentAlignment"] == "Right"


def test_figures_do_not_wrap_and_words_stay_plain_text() -> None:
    [table] = tables_in(table_elements(DEADLINES))
    header, row, _ = table["rows"]
    kinds = [cell["items"][0] for cell in row["cells"]]
    # A figure is a TextBlock, which does not wrap by default; "-" would be a Markdown
    # list item, so it stays a RichTextBlock like the name and the header cells.
    assert kinds[1] == {"type": "TextBlock", "text": "100,0 % (12/12)"}
    assert kinds[0]["type"] == kinds[2]["type"] == "RichTextBlock"
    assert all(cell["items"][0]["type"] == "RichTextBlock" for cell in header["cells"])


def test_a_table_too_wide_for_the_card_is_split_in_parts_that_fit() -> None:
    parts = tables_in(table_elements(WIDE))
    assert len(parts) > 1
    shown = [cell["items"][0] for part in parts for cell in part["rows"][0]["cells"][1:]]
    assert [block["inlines"][0] for block in shown] == list(WIDE.columns[1:])  # in order
    for part in parts:
        assert part["rows"][1]["cells"][0]["items"][0]["inlines"] == [WIDE.rows[0][0]]
        figures = sum(int(c["width"].removesuffix("px")) for c in part["columns"][1:])
        names = text_px("Kreditorenbuchhaltung")
        assert names + figures + CELL_SPACING_PX * (len(part["columns"]) - 1) <= CARD_TEXT_PX


def test_the_note_follows_the_table_in_every_client() -> None:
    elements = table_elements(DEADLINES)
    assert [e["type"] for e in elements] == ["RichTextBlock", "Table", "RichTextBlock"]
    assert elements[-1]["inlines"][0]["text"] == DEADLINES.note
    notice = Notice(text="Bericht", tables=(DEADLINES,))
    content = message_content(notice)
    assert content["formatted_body"].endswith(f"</table><p><em>{DEADLINES.note}</em></p>")
    assert content["body"].endswith(f"0,0 % (0/1)\n{DEADLINES.note}")
    assert render_text(notice).endswith(f"  {DEADLINES.note}")
    assert Table.from_json(DEADLINES.to_json()) == DEADLINES
    assert "note" not in Table(("a",), ()).to_json()  # rows written before keep their shape
