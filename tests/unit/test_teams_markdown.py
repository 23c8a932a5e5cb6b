"""Teams card text escapes only what would format, checked against a real Markdown reader.

The reference is markdown-it-py in its "js-default" preset: the Python port of markdown-it,
which Microsoft's Adaptive Cards renderer uses for TextBlock Markdown. Whatever a user types,
the rendering must show exactly those characters (and nothing bold but the catalogue's bold).
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from adapters.teams.markdown import escape_text, paragraphs, to_markdown
from adapters.teams.render import card
from bot.kernel.markup import literal
from bot.kernel.notices import Fact, Notice

READER = MarkdownIt("js-default")
SETTINGS = settings(max_examples=400, deadline=None)
PIECES = [*"*_`~[]()<>&#!-+=.:|\\ \t\nab1ä", "1. ", "- ", "# ", "> ", "**", "~~", "&amp;"]
PIECES += ["```", "<http://x.y>", "[a](http://b)", "***", "_a_", "\r", "2) ", "&#35;"]
tricky = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
any_text = st.one_of(st.text(alphabet=st.characters(blacklist_characters="\x00")), tricky)


def shown(markdown: str) -> tuple[str, int]:
    """What a reader sees of one escaped line: its text, and how many bold spans it has.
    Fails when the line renders as anything but one paragraph of text and bold."""
    rendered = READER.render(markdown)
    if not rendered:
        return "", 0
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n"), (markdown, rendered)
    inner = rendered[3:-5]
    bold = inner.count("<strong>")
    assert inner.count("</strong>") == bold
    inner = inner.replace("<strong>", "").replace("</strong>", "")
    assert "<" not in inner, (markdown, rendered)  # no link, code, emphasis, break
    return html.unescape(inner).strip(TRIM), bold


TRIM = "\t\n\x0b\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    map(chr, range(0x2000, 0x200B))
)  # what JavaScript's trim() removes, as markdown-it does from a paragraph's edges


def expected_lines(text: str) -> list[str]:
    """The lines a reader should see: Markdown's line endings, edges trimmed, blank dropped."""
    return [line.strip(TRIM) for line in re.split(r"\r\n|\r|\n", text) if line.strip()]


def markdown_lines(markdown: str) -> list[str]:
    return markdown.split("\n\n") if markdown else []


@SETTINGS
@given(any_text)
def test_user_text_shows_exactly_as_typed(text: str) -> None:
    rendered = markdown_lines(to_markdown(literal(text)))
    assert [shown(markdown) for markdown in rendered] == [(ln, 0) for ln in expected_lines(text)]


@SETTINGS
@given(any_text)
def test_plain_labels_show_exactly_as_typed(text: str) -> None:
    escaped = markdown_lines(escape_text(text))
    assert [shown(m)[0] for m in escaped] == expected_lines(text)


@SETTINGS
@given(any_text, any_text)
def test_catalogue_bold_stays_bold_beside_any_user_text(before: str, inside: str) -> None:
    markup = literal(re.sub("[\r\n]", " ", before)) + " **Frist** " + literal(inside)
    first = to_markdown(markup).split("\n\n")[0]
    text, bold = shown(first)
    assert bold == 1 and "Frist" in text


INLINE = set("\\`*_~[<&")  # characters that can start formatting anywhere in a line
BLOCK = set("#>+-*_~")  # characters that can start a block, only as a line's first character
PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


@SETTINGS
@given(any_text)
def test_no_backslash_before_a_character_that_would_not_format(text: str) -> None:
    """Escapes stand only before inline syntax, before a block marker at a line's start,
    or after the number of an ordered-list marker ("2\\. Level")."""
    for markdown in markdown_lines(to_markdown(literal(text))):
        index = 0
        while index < len(markdown):
            if markdown[index] == "\\" and markdown[index + 1 : index + 2] in PUNCTUATION:
                char = markdown[index + 1]
                at_start = index == 0 and char in BLOCK
                ordered = char in ".)" and markdown[:index].isdecimal()
                assert char in INLINE or at_start or ordered, (markdown, index)
                index += 2
            else:
                index += 1


@pytest.mark.parametrize(
    ("typed", "markdown"),
    [
        ("Nr. 1", "Nr. 1"),
        ("Guten Tag!", "Guten Tag!"),
        ("E-Mail", "E-Mail"),
        ("2. Level (Fachteam)", "2\\. Level (Fachteam)"),
        ("GL 2.12 (FiBu)", "GL 2.12 (FiBu)"),
        ("snake_case_name", "snake_case_name"),
        ("a * b", "a * b"),
        ("- Punkt", "\\- Punkt"),
        ("# 1", "\\# 1"),
        ("#1", "#1"),
        ("> zitiert", "\\> zitiert"),
        ("*wichtig*", "\\*wichtig\\*"),
        ("[hier](http://x)", "\\[hier](http://x)"),
        ("`code`", "\\`code\\`"),
        ("C:\\Temp\\x", "C:\\Temp\\x"),
        ("Preis: 5 € (brutto)", "Preis: 5 € (brutto)"),
        ("&amp;", "\\&amp;"),
        ("A & B", "A & B"),
    ],
)
def test_escapes_only_what_formats(typed: str, markdown: str) -> None:
    assert escape_text(typed) == markdown


def test_every_line_break_shows_as_its_own_line() -> None:
    notice = Notice(title="T", text="Zeile eins\nZeile zwei\n\nNeuer Absatz", facts=())
    blocks = [b for b in card(notice)["body"] if b["type"] == "TextBlock"][1:]
    assert [(b["text"], b.get("spacing")) for b in blocks] == [
        ("Zeile eins", None),
        ("Zeile zwei", "None"),
        ("Neuer Absatz", None),
    ]
    facts = card(Notice(text="x", facts=(Fact("Kontakt", "Anna\n0123"),)))["body"][-1]
    assert facts["facts"][0]["value"] == "Anna\n\n0123"


def test_bold_across_a_line_break_is_bold_on_both_lines() -> None:
    assert paragraphs("**eins\nzwei** drei") == (("**eins**", "**zwei** drei"),)
    assert paragraphs("** x **y") == (("**x** y",),)  # spaces at a bold span's edges move out
