"""The tiny notice markup: **bold** only, user text escaped with `literal`."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kernel.markup import BOLD, literal, to_html, to_plain, tokens

SETTINGS = settings(max_examples=300, deadline=None)
# Text rich in the characters that matter: stars, backslashes, HTML, newlines.
PIECES = [*"*\\<>&\"' \nab", "**", "\\*", "🙂", "ä"]
tricky = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
any_text = st.one_of(st.text(), tricky)


# --- literal -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("", ""),
        ("plain text", "plain text"),
        ("**bold**", "\\*\\*bold\\*\\*"),
        ("a*b", "a\\*b"),
        ("C:\\Temp", "C:\\\\Temp"),
        ("\\*", "\\\\\\*"),
        ("<b>&</b>", "<b>&</b>"),  # HTML is the renderers' business, not literal's
    ],
)
def test_literal_escapes_stars_and_backslashes(text: str, escaped: str) -> None:
    assert literal(text) == escaped


@SETTINGS
@given(any_text)
def test_to_plain_of_literal_is_the_text(text: str) -> None:
    assert to_plain(literal(text)) == text


@SETTINGS
@given(any_text, any_text)
def test_literal_pieces_concatenate(first: str, second: str) -> None:
    assert to_plain(literal(first) + literal(second)) == first + second


@SETTINGS
@given(any_text)
def test_literal_text_has_no_bold_tokens(text: str) -> None:
    assert BOLD not in list(tokens(literal(text)))


# --- to_html --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("", ""),
        ("plain", "plain"),
        ("a < b & \"c\" > 'd'", "a &lt; b &amp; &quot;c&quot; &gt; &#x27;d&#x27;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("**x**", "<strong>x</strong>"),
        ("Nr. **12** ist **neu**", "Nr. <strong>12</strong> ist <strong>neu</strong>"),
        ("**<i>**", "<strong>&lt;i&gt;</strong>"),
        ("**a\nb**", "<strong>a<br/>b</strong>"),
        ("eins\nzwei\n\ndrei", "eins<br/>zwei<br/><br/>drei"),
        # an unpaired ** stays literal
        ("a **b", "a **b"),
        ("**", "**"),
        ("**a** **b", "<strong>a</strong> **b"),
        ("a*b", "a*b"),
        # escaped stars are never bold, and an escaped backslash is one backslash
        ("\\*\\*x\\*\\*", "**x**"),
        ("\\**x**", "**x**"),  # the escape takes the first star; one ** is left: literal
        ("\\\\", "\\"),
        ("a\\b", "a\\b"),
    ],
)
def test_to_html(markup: str, expected: str) -> None:
    assert to_html(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("**x**", "x"),
        ("a **b", "a **b"),
        ("**a** **b", "a **b"),
        ("\\*\\*x\\*\\*", "**x**"),
        ("zeile\nzeile", "zeile\nzeile"),
        ("<b>", "<b>"),
    ],
)
def test_to_plain(markup: str, expected: str) -> None:
    assert to_plain(markup) == expected


@SETTINGS
@given(any_text)
def test_literal_text_never_renders_as_markup(text: str) -> None:
    rendered = to_html(literal(text))
    assert "<strong>" not in rendered
    # The only tag is the line break; every other "<" is escaped.
    assert "<" not in rendered.replace("<br/>", "")
    assert rendered == html.escape(text).replace("\n", "<br/>")


@SETTINGS
@given(any_text)
def test_user_text_inside_catalogue_bold_cannot_break_out(text: str) -> None:
    markup = "Antwort: **" + literal(text) + "** Ende"
    rendered = to_html(markup)
    assert rendered == (
        "Antwort: <strong>" + html.escape(text).replace("\n", "<br/>") + "</strong> Ende"
    )
    assert to_plain(markup) == "Antwort: " + text + " Ende"


@SETTINGS
@given(any_text)
def test_to_html_of_anything_is_balanced_and_safe(markup: str) -> None:
    rendered = to_html(markup)
    assert rendered.count("<strong>") == rendered.count("</strong>")
    stripped = rendered.replace("<strong>", "").replace("</strong>", "").replace("<br/>", "")
    assert "<" not in stripped
    assert ">" not in stripped


def _tokens_by_character(markup: str) -> list[str | None]:
    """The character-by-character reading tokens() must match (its first implementation)."""
    raw: list[str | None] = []
    piece: list[str] = []
    index = 0
    while index < len(markup):
        char = markup[index]
        if char == "\\" and markup[index + 1 : index + 2] in ("\\", "*"):
            piece.append(markup[index + 1])
            index += 2
        elif markup.startswith("**", index):
            raw += ["".join(piece), BOLD]
            piece = []
            index += 2
        else:
            piece.append(char)
            index += 1
    raw.append("".join(piece))
    toggles = raw.count(BOLD)
    seen = 0
    out: list[str | None] = []
    for token in raw:
        if token is BOLD:
            seen += 1
            out.append("**" if toggles % 2 and seen == toggles else BOLD)
        elif token:
            out.append(token)
    return out


def test_tokens_match_the_character_reading_on_every_short_text() -> None:
    alphabet = ("\\", "*", "a")
    texts = [""]
    for _length in range(7):
        texts = [text + char for text in texts for char in alphabet]
        for text in texts:
            assert list(tokens(text)) == _tokens_by_character(text), text


@SETTINGS
@given(st.text(alphabet=st.sampled_from("\\*a\n ä<")))
def test_tokens_match_the_character_reading(markup: str) -> None:
    assert list(tokens(markup)) == _tokens_by_character(markup)
