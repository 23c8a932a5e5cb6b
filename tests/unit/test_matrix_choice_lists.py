"""How the Matrix renderer lists choices: numbered once, reactions only where keycaps exist
(numbered once in the local chat and the plain-text menu too)."""

from __future__ import annotations

from adapters.local.render import render_text
from adapters.matrix.own_reactions import offered
from adapters.matrix.render import KEYCAPS, choice_list, message_content, reaction_keys
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.notices import Choice, Notice
from dialogs.choices import numbered

RATING = (
    *(Choice(f"csat:7:{n}", t(f"csat.score.{n}", "de")) for n in range(1, 6)),
    Choice("csat:7:reopen", "Wieder öffnen"),
)


def test_a_label_that_starts_with_its_number_is_not_numbered_again() -> None:
    content = message_content(Notice(text="Wie zufrieden?", choices=RATING))
    lines = content["body"].splitlines()
    assert lines[1:] == [
        "1 – gar nicht",
        "2 – wenig",
        "3 – teils",
        "4 – zufrieden",
        "5 – sehr zufrieden",
        "6. Wieder öffnen",
    ]
    html = content["formatted_body"]
    assert "<ol>" not in html  # Element would number it again
    assert "1 – gar nicht 1️⃣<br>" in html and "6. Wieder öffnen 6️⃣" in html
    assert "1. 1" not in content["body"] and "1. 1" not in html


def test_plain_labels_stay_an_ordered_list() -> None:
    _, html = choice_list((Choice("a", "Ja"), Choice("b", "Nein")))
    assert html == "<ol><li>Ja 1️⃣</li><li>Nein 2️⃣</li></ol>"


def test_sixteen_choices_get_ten_keycaps_and_the_text_says_to_type_the_rest() -> None:
    topics = tuple(Choice(f"topic:{n}", f"Thema {n}") for n in range(1, 17))
    hint = t("matrix.choices.typed_beyond", "de", first=11, last=16)
    assert reaction_keys(topics) == [*KEYCAPS, *[""] * 6]
    content = message_content(Notice(text="Worum geht es?", choices=topics), typed_hint=hint)
    body = content["body"].splitlines()
    assert body[-1] == "Für 11 bis 16 gibt es keine Reaktion: Schreiben Sie einfach die Nummer."
    assert body[11] == "11. Thema 11" and body[16] == "16. Thema 16"
    assert "<li>Thema 16</li>" in content["formatted_body"]  # no empty reaction after it
    assert "<em>Für 11 bis 16" in content["formatted_body"]
    assert t("matrix.choices.typed_beyond", "en", first=11, last=16).startswith("There is")


def test_ten_choices_need_no_hint() -> None:
    ten = tuple(Choice(str(n), f"Punkt {n}") for n in range(10))
    content = message_content(Notice(text="?", choices=ten), typed_hint="tippen")
    assert "tippen" not in content["body"]


def test_a_claimed_card_no_longer_offers_the_hand() -> None:
    queued = [button("claim", 3), button("handoff", 3), button("resolve", 3)]
    assert offered(queued) == {"✋", "↪️", "✅"}
    assert offered(queued[1:]) == {"↪️", "✅"}
    assert offered([]) == set()


def test_the_local_chat_and_the_text_menu_number_the_rating_once() -> None:
    local = render_text(Notice(text="Wie zufrieden?", choices=RATING)).splitlines()
    assert local[1:3] == ["  1 – gar nicht", "  2 – wenig"]
    assert local[-1] == "  6. Wieder öffnen"
    assert numbered(RATING).splitlines()[0] == "1 – gar nicht"
    assert numbered((Choice("a", "Ja"),)) == "1. Ja"
