"""A neutral table as Adaptive Card `Table`s that read well in a Teams card (432 px wide).

With equal column weights a wide table was cramped: header words ran into the next column
("Anliegen" into "Reaktion in Frist") and figures wrapped ("100,0 %" over "(1/1)"). So:

- every figure column is exactly as wide as its widest figure or header word, estimated
  from the font's character widths, and its figures right-aligned; the first column (the
  names) takes the rest and wraps between words;
- a figure that needs no Markdown escape is a TextBlock, which does not wrap (its
  default), and is a few bytes shorter than a RichTextBlock (a Teams message may not exceed
  about 28 KB); other cells ("-", names, headers) are RichTextBlocks of plain text, which is
  never Markdown, so "1. Level" stays a label and nothing needs a backslash;
- a table whose figure columns do not fit next to its longest name is split into several
  tables, each repeating the names (bot/reports splits its own wide breakdowns with
  meaningful titles; this keeps any other table readable too);
- the table's note (a legend) follows it in small, subtle text.
"""

from __future__ import annotations

from typing import Any

from adapters.teams.markdown import escape_text
from bot.kernel.notices import Table

CARD_TEXT_PX = 396  # a 432 px card less its 16 px padding on either side, and the border
CELL_SPACING_PX = 8  # between columns (the host config's table.cellSpacing)
FONT_PX = 14  # the default text size of Teams' host config
MIN_NAME_PX = 120  # the first column, at the least (its longest word, if wider)
SLACK_PX = 4  # rounding and hinting: a figure column this much wider than estimated
BOLD = 1.1  # bold text is this much wider (header cells are bold)
SAFETY = 1.06  # Segoe UI (Teams' font) against the Arial metrics below, with room to spare
# Character widths in em, as Arial draws them (Liberation Sans in the gallery's Chromium,
# within a few per cent of Segoe UI); letters not listed count as wide ones.
_EM = {
    **dict.fromkeys("0123456789abdeghnopqu\u00e4\u00f6\u00fcL\u2013", 0.556),
    **dict.fromkeys(" .,:;!/[]ftI", 0.278),
    **dict.fromkeys("()-r", 0.333),
    **dict.fromkeys("ijl|'", 0.222),
    **dict.fromkeys("ckvxyzsJ", 0.5),
    **dict.fromkeys("mM", 0.833),
    **dict.fromkeys("wW%", 0.944),
    "\u00df": 0.611,
}
_OTHER_EM = 0.722  # capitals and everything else


def text_px(text: str, bold: bool = False) -> float:
    """How wide `text` is on one line, in pixels (an estimate on the generous side)."""
    em = sum(_EM.get(char, _OTHER_EM) for char in text)
    return em * FONT_PX * SAFETY * (BOLD if bold else 1.0)


def longest_word_px(text: str, bold: bool = False) -> float:
    """The widest word: a header or a name wraps between words, never within one."""
    return max((text_px(word, bold) for word in text.split()), default=0.0)


def figure_px(table: Table, index: int) -> int:
    """The width of a figure column: its widest figure on one line, its header's widest word."""
    figures = [text_px(row[index]) for row in table.rows if index < len(row)]
    return round(max([longest_word_px(table.columns[index], True), *figures]) + SLACK_PX)


def table_elements(table: Table) -> list[dict[str, Any]]:
    """The card elements for one table: title, table(s), note."""
    elements: list[dict[str, Any]] = []
    if table.title:
        title = {"type": "TextRun", "text": table.title, "weight": "Bolder"}
        elements.append({"type": "RichTextBlock", "inlines": [title], "spacing": "Medium"})
    elements += [_table(table, part) for part in column_groups(table)]
    if table.note:
        note = {"type": "TextRun", "text": table.note, "size": "Small", "isSubtle": True}
        elements.append({"type": "RichTextBlock", "inlines": [note], "spacing": "Small"})
    return elements


def column_groups(table: Table) -> list[list[int]]:
    """The figure columns in groups that fit next to the names, in order (one group, where
    the whole table fits)."""
    header = longest_word_px(table.columns[0], True)
    names = max([header, *(longest_word_px(row[0]) for row in table.rows if row)])
    room = CARD_TEXT_PX - max(MIN_NAME_PX, names)
    groups: list[list[int]] = [[]]
    used = 0
    for index in range(1, len(table.columns)):
        width = figure_px(table, index) + CELL_SPACING_PX
        if groups[-1] and used + width > room:
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += width
    return groups


def _table(table: Table, figures: list[int]) -> dict[str, Any]:
    """One Adaptive Card `Table` (1.5): the names and the `figures` columns. Terse on
    purpose (defaults left out, alignment set once): a Teams message may not exceed 28 KB."""
    shown = [0, *figures]

    def row(cells: tuple[str, ...], header: bool) -> dict[str, Any]:
        items = [_cell(cells[i] if i < len(cells) else "", header or i == 0) for i in shown]
        return {"type": "TableRow", "cells": items}

    first = {"width": 1, "horizontalCellContentAlignment": "Left"}
    return {
        "type": "Table",
        "columns": [first, *({"width": f"{figure_px(table, i)}px"} for i in figures)],
        "horizontalCellContentAlignment": "Right",
        # The first row is the (bold) header row by default; the property is spelled
        # firstRowAsHeader in the schema but firstRowAsHeaders in the JS renderer.
        "showGridLines": False,
        "rows": [row(table.columns, True), *(row(r, False) for r in table.rows)],
    }


def _cell(text: str, words: bool) -> dict[str, Any]:
    """A cell: words (a name, a header) as a RichTextBlock that wraps; a figure as a
    TextBlock that does not, where its text reads the same as Markdown."""
    if words or not text or escape_text(text) != text:
        block: dict[str, Any] = {"type": "RichTextBlock", "inlines": [text]}
    else:
        block = {"type": "TextBlock", "text": text}
    return {"type": "TableCell", "items": [block]}
