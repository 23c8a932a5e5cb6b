"""The local chat renderer: plain text, numbered choices, channel prefix, no markup leaks."""

from __future__ import annotations

from adapters.local.parse import parse_line
from adapters.local.render import render_text
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Image, Notice


def test_plain_rendering_with_facts_and_choices() -> None:
    notice = Notice(
        title="Anliegen #3",
        text="Ihr Anliegen ist **eingegangen**.",
        facts=(Fact("Team", "Team BK"), Fact("Antwort spätestens", "heute, 15:30 Uhr")),
        choices=(Choice("confirm:yes", "Ja"), Choice("confirm:no", "Nein")),
    )
    assert render_text(notice) == (
        "Anliegen #3\n"
        "Ihr Anliegen ist eingegangen.\n"
        "  Team                Team BK\n"
        "  Antwort spätestens  heute, 15:30 Uhr\n"
        "  1. Ja\n"
        "  2. Nein"
    )


def test_channel_posts_are_prefixed_and_indented() -> None:
    rendered = render_text(Notice(title="Neues Ticket Nr. 1", text="Text"), channel="bk")
    assert rendered == "[#bk] Neues Ticket Nr. 1\n  Text"


def test_user_text_renders_exactly_as_typed() -> None:
    typed = "**nicht fett** \\ <b>x</b>"
    assert render_text(Notice(text=literal(typed))) == typed


def test_colour_terminal_gets_ansi_bold() -> None:
    assert render_text(Notice(text="a **b**"), color=True) == "a \033[1mb\033[0m"


def test_parse_line_skips_empty_lines_and_makes_unique_events() -> None:
    assert parse_line("   ", user_id="u", display_name=None, locale="de") is None
    first = parse_line(" Hallo ", user_id="u", display_name="U", locale="en")
    second = parse_line("Hallo", user_id="u", display_name="U", locale="en")
    assert first is not None and second is not None
    assert (first.text, first.conversation_id, first.is_direct, first.locale) == (
        "Hallo",
        "user:u",
        True,
        "en",
    )
    assert first.event_id != second.event_id


def test_a_picture_is_named_with_its_size() -> None:
    chart = Image(b"x" * 10_000, "image/png", "wochenbericht.png", 800, 450, "KW 49: 2")
    text = render_text(Notice(title="Verlauf", text="KW 49: 2", image=chart), channel="leitung")
    lines = ["[#leitung] Verlauf", "  KW 49: 2", "    [wochenbericht.png, 10 KB]"]
    assert text.splitlines() == lines
