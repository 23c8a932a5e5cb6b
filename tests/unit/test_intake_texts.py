"""What the intake dialog says: in English, and with the user's text shown literally.

The English locale speaks English through a whole request (greeting, answers, menus,
confirmation, complaint and proposal questions); markup in a description, reference,
complaint or idea is escaped in the summary, rendered as text and stored exactly as typed.
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from bot.kernel.markup import to_html, to_plain
from dialogs.intake import OpenTicket, start, start_with_topic
from dialogs.intake_states import (
    AskDescription,
    AskHelped,
    AskReference,
    AskSubtopic,
    AskTopic,
    Confirm,
    PickAnswer,
)
from tests.unit.intake_support import (
    COMPLAINT,
    DESCRIPTION,
    MARKUP,
    assert_formatted,
    de,
    en,
    facts,
    labels,
    say,
    texts,
)

# --- English --------------------------------------------------------------------------------


def test_english_locale_speaks_english(config: OrgConfig) -> None:
    ctx = en(config)
    result = start(ctx)
    greeting, question = result.notices
    assert greeting.text.startswith("Hello! This is the finance department's hotline.")
    assert question.text == "Which customer group do you belong to? (I will remember it.)"
    assert question.choices[2].label == "Core administration (KERN)"

    result = say(AskTopic("kern"), ctx, "Budget")
    assert result.state == AskHelped("kern", "haushalt", "haushaltsmittel-verfuegbar")
    (answer,) = result.notices
    assert answer.text.startswith("SAP transaction FMAVCR01 (availability control) shows")
    assert answer.text.endswith("\n\nDid this help you?")

    result = say(result.state, ctx, "no")
    assert result.state == AskDescription("kern", "haushalt")
    assert texts(result) == [
        "Sorry about that. I will pass your request on to the responsible team.",
        "Please describe your request in a few sentences.",
    ]

    result = say(AskTopic("kern"), ctx, "nonsense")
    assert result.notices[0].text.startswith("I did not understand")
    assert result.notices[1].choices[-1].label == "Change customer group"

    result = say(AskSubtopic("kern", "srm"), ctx, "general")
    assert result.state == PickAnswer("kern", "srm")
    assert labels(result.notices[0])[-2:] == ["My question is not listed", "back"]

    result = say(AskReference("kern", "haushalt", DESCRIPTION), ctx, "-")
    (confirm,) = result.notices
    assert confirm.text == "Shall I pass this on to Budget?\n\n" + DESCRIPTION
    assert facts(confirm) == [
        ("Customer group", "Core administration (KERN)"),
        ("Topic", "Budget / budget funds"),
        ("Team", "Budget"),
    ]
    assert labels(confirm) == ["Yes, send", "No, discard", "back"]
    assert_formatted(result)

    result = say(Confirm("kern", "haushalt", DESCRIPTION, None), ctx, "no")
    assert result.state is None
    assert result.notices[0].text.startswith("All right, nothing was passed on.")

    result = say(AskDescription("kern", "beschwerde"), ctx, COMPLAINT)
    assert texts(result) == [
        "Would you like to stay anonymous towards the team concerned? Complaint management "
        "always knows your name so that it can answer you."
    ]
    result = start_with_topic(ctx, "runder_tisch", "")
    assert texts(result) == [
        'Which topic would you like to propose for the round table "Customer care and accounting"?'
    ]


# --- user text is shown literally -------------------------------------------------------------


def test_markup_in_the_description_is_escaped(config: OrgConfig) -> None:
    question = "Soll ich das so an Debitorenbuchhaltung weitergeben?"
    result = say(AskReference("kern", "debitoren", MARKUP), de(config), "*RE*\\1")
    (confirm,) = result.notices
    assert confirm.text == question + "\n\n" + "\\*\\*fett\\*\\* <b>x</b> \\\\"
    assert to_plain(confirm.text) == question + "\n\n" + MARKUP
    rendered = to_html(confirm.text)
    assert "<strong>" not in rendered
    assert "<b>" not in rendered
    assert "&lt;b&gt;x&lt;/b&gt;" in rendered
    (reference,) = [f.value for f in confirm.facts if f.label == "Referenz"]
    assert to_plain(reference) == "*RE*\\1"
    # What is stored is exactly what was typed.
    final = say(result.state, de(config), "ja")
    assert final.effects == (OpenTicket(NewRequest("debitoren", "kern", MARKUP, "*RE*\\1")),)


@pytest.mark.parametrize(
    ("topic", "question"),
    [
        ("beschwerde", "Soll ich Ihre Beschwerde vertraulich an das Beschwerdemanagement geben?"),
        ("idee", "Soll ich Ihre Idee an die Leitung weitergeben?"),
    ],
)
def test_markup_in_complaints_and_ideas_is_escaped(
    config: OrgConfig, topic: str, question: str
) -> None:
    state = Confirm("kern", topic, MARKUP)
    result = say(state, de(config), "huh?")  # not understood: the summary is shown again
    _, confirm = result.notices
    assert to_plain(confirm.text) == question + "\n\n" + MARKUP
    assert "<strong>" not in to_html(confirm.text)
