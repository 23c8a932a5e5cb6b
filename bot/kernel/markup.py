"""The tiny markup of notice texts: **bold** and nothing else.

Catalogue texts may use **bold**. Text that users typed is inserted with `literal`, which
escapes the markup characters, so a requester can never inject formatting (or, through
the renderers, HTML or card markup) into what staff or other users see.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache

_ESCAPABLE = re.compile(r"([\\*])")
# An escaped \\ or * (group 1: the character itself), or a ** bold toggle.
_MARK = re.compile(r"\\([\\*])|\*\*")
BOLD = None  # a token that toggles bold; every other token is literal text


def literal(text: str) -> str:
    """User text, escaped so that it renders exactly as typed."""
    return _ESCAPABLE.sub(r"\\\1", text)


def tokens(markup: str) -> Iterator[str | None]:
    """Literal text pieces and BOLD toggles; an unpaired ** stays literal text."""
    if "*" not in markup and "\\" not in markup:  # most texts: one literal piece
        if markup:
            yield markup
        return
    raw: list[str | None] = []
    piece: list[str] = []
    last = 0
    for match in _MARK.finditer(markup):  # leftmost first, like reading character by character
        piece.append(markup[last : match.start()])
        escaped = match.group(1)
        if escaped is not None:
            piece.append(escaped)
        else:
            raw += ["".join(piece), BOLD]
            piece = []
        last = match.end()
    piece.append(markup[last:])
    raw.append("".join(piece))
    toggles = raw.count(BOLD)
    seen = 0
    for token in raw:
        if token is BOLD:
            seen += 1
            yield "**" if toggles % 2 and seen == toggles else BOLD
        elif token:
            yield token


@lru_cache(maxsize=1024)  # the same catalogue texts and choice labels, turn after turn
def to_plain(markup: str) -> str:
    """Plain text: bold markers dropped, escapes resolved."""
    return "".join(token for token in tokens(markup) if token is not BOLD)


def to_html(markup: str) -> str:
    """Safe HTML: everything escaped, **bold** as <strong>, newlines as <br/>."""
    parts: list[str] = []
    bold = False
    for token in tokens(markup):
        if token is BOLD:
            parts.append("</strong>" if bold else "<strong>")
            bold = not bold
        else:
            parts.append(html.escape(token).replace("\n", "<br/>"))
    return "".join(parts)
