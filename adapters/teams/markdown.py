"""Notice markup to the Markdown of Teams card text, escaping only what would format.

Teams clients have shown backslash escapes literally (mobile clients: AdaptiveCards issues
4677, 5590, 7474), so a character is escaped only where Markdown would read it as syntax at
that very position: a block marker at the start of a line (`# `, `> `, `- `, `1. `, `***`),
a pair of emphasis or strike-through delimiters, a code span, a link, an autolink, an entity,
or a backslash before punctuation. `Nr. 1`, `Guten Tag!` and `E-Mail` stay as they are.

Every line becomes its own Markdown paragraph (a TextBlock needs a blank line to break a
line, AdaptiveCards issue 5538), so nothing spans lines: no setext heading, no table, no
hard break; leading spaces and tabs are dropped (four would start a code block). The rules
follow CommonMark as markdown-it implements it (what Adaptive Cards' own renderer uses); the
tests check them against markdown-it-py on arbitrary text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

from bot.kernel.markup import BOLD, tokens

Line = list[str | None]  # single characters and BOLD toggles, bold balanced within the line
_NEWLINE = re.compile(r"\r\n|\r|\n")  # what Markdown takes for a line ending, nothing else
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ORDERED = re.compile(r"[0-9]{1,9}[.)](?:[ \t]|$)")
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def lines(markup: str) -> list[Line]:
    """The markup's lines; bold closed at each line end and opened again on the next line,
    with the spaces at a bold span's edges moved outside it (`** x**` would not be bold)."""
    result: list[Line] = []
    current: Line = []
    bold = False
    for token in tokens(markup):
        if token is BOLD:
            bold = not bold
            current.append(BOLD)
            continue
        for index, piece in enumerate(_NEWLINE.split(token)):
            if index:
                result.append(_tidy([*current, BOLD] if bold else current))
                current = [BOLD] if bold else []
            current += list(piece)
    result.append(_tidy([*current, BOLD] if bold else current))
    return result


def _tidy(line: Line) -> Line:
    """Bold spans with their edge spaces outside, empty ones dropped; line edges stripped."""
    out: Line = []
    span: list[str] | None = None
    for item in line:
        if item is BOLD:
            if span is None:
                span = []
                continue
            core = "".join(span).strip(" \t")
            if core:
                lead = len(span) - len("".join(span).lstrip(" \t"))
                trail = len(span) - len("".join(span).rstrip(" \t"))
                out += [*span[:lead], BOLD, *core, BOLD, *span[len(span) - trail :]]
            else:
                out += span
            span = None
        elif span is not None:
            span.append(item)
        else:
            out.append(item)
    while out and out[0] in (" ", "\t"):
        out.pop(0)
    while out and out[-1] in (" ", "\t"):
        out.pop()
    return out


@lru_cache(maxsize=2048)  # the same catalogue texts and labels, turn after turn
def paragraphs(markup: str) -> tuple[tuple[str, ...], ...]:
    """Escaped lines, grouped into the paragraphs that blank lines separate."""
    groups: list[list[str]] = [[]]
    for line in lines(markup):
        if "".join(item for item in line if item is not None).strip():
            groups[-1].append(escape_line(line))
        elif groups[-1]:
            groups.append([])
    return tuple(tuple(group) for group in groups if group)


@lru_cache(maxsize=2048)
def to_markdown(markup: str) -> str:
    """The whole markup as Markdown: one paragraph per line, so every line break shows."""
    return "\n\n".join(line for group in paragraphs(markup) for line in group)


@lru_cache(maxsize=2048)
def escape_text(text: str) -> str:
    """Plain text (no markup) as Markdown that shows exactly this text."""
    lines = (escape_line(_tidy(list(line))) for line in _NEWLINE.split(text) if line.strip())
    return "\n\n".join(lines)


def escape_line(line: Sequence[str | None]) -> str:
    """One line as Markdown: the syntax characters escaped that would format there."""
    source: list[str] = []
    literal: list[bool] = []
    for item in line:
        source += ["*", "*"] if item is None else [item]
        literal += [False, False] if item is None else [True]
    escape = [False] * len(source)
    for index in _block_marker(source):
        escape[index] = True
    for index in _inline_syntax(source):
        escape[index] = True
    return "".join(
        "\\" + char if flag and is_literal else char
        for char, flag, is_literal in zip(source, escape, literal, strict=True)
    )


def _block_marker(source: list[str]) -> Iterator[int]:
    """The character that would open a block at the line's start (heading, quote, list,
    thematic break, code fence)."""
    text = "".join(source)
    if not text:
        return
    first, rest = text[0], text[1:]
    if first == ">" or (first in "-+*" and (not rest or rest[0] in " \t")) or _HEADING.match(text):
        yield 0
    elif first in "-*_" and len(text.replace(" ", "").replace("\t", "").strip(first)) == 0:
        if text.count(first) >= 3:
            yield 0
    elif first == "~" and text.startswith("~~~"):
        yield from range(len(text) - len(text.lstrip("~")))
    elif (ordered := _ORDERED.match(text)) is not None:
        yield ordered.end() - (2 if ordered.group().endswith((" ", "\t")) else 1)


def _inline_syntax(source: list[str]) -> Iterator[int]:
    """Characters that would start inline formatting: escapes, code, emphasis, links."""
    text = "".join(source)
    backticks = text.count("`") >= 2
    for index, char in enumerate(source):
        after = text[index + 1 :]
        if (
            (char == "\\" and after[:1] in _ASCII_PUNCTUATION and after)
            or (char == "`" and backticks)
            or (char == "[" and "]" in after)
            or (char == "<" and ">" in after)
            or (char == "&" and _ENTITY.match(text, index))
        ):
            yield index
    yield from _delimiters(text, "*")
    yield from _delimiters(text, "_")
    yield from _strike(text)


def _runs(text: str, char: str) -> Iterator[tuple[int, int]]:
    for match in re.finditer(re.escape(char) + "+", text):
        yield match.start(), match.end()


def _delimiters(text: str, char: str) -> Iterator[int]:
    """Every `char` in a delimiter run that could open or close emphasis, when the line has
    an opener followed by a closer; a lone or inert run never formats."""
    runs = []
    for start, end in _runs(text, char):
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        left = not _space(after) and (not _punct(after) or _space(before) or _punct(before))
        right = not _space(before) and (not _punct(before) or _space(after) or _punct(after))
        if char == "_":
            opens = left and (not right or _punct(before))
            closes = right and (not left or _punct(after))
        else:
            opens, closes = left, right
        if opens or closes:
            runs.append((start, end, opens, closes))
    first_opener = next((n for n, run in enumerate(runs) if run[2]), None)
    if first_opener is None or not any(run[3] for run in runs[first_opener + 1 :]):
        return
    for start, end, _, _ in runs:
        yield from range(start, end)


def _strike(text: str) -> Iterator[int]:
    """Tildes of `~~` runs when there are two of them (markdown-it's strike-through)."""
    doubled = [(start, end) for start, end in _runs(text, "~") if end - start >= 2]
    if len(doubled) >= 2:
        for start, end in doubled:
            yield from range(start, end)


def _space(char: str) -> bool:
    return char in "\t\n\x0b\x0c\r" or unicodedata.category(char) == "Zs"


def _punct(char: str) -> bool:
    return char in _ASCII_PUNCTUATION or unicodedata.category(char)[0] in "PS"
