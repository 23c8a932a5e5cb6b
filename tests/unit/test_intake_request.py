"""The intake dialog from the greeting to a plain request's ticket.

Starting with and without a known customer group, choosing and changing the group, and the
path of a request without first-level answers: topic, description, optional reference and
the confirmation that opens the ticket (every way to say yes, or no to discard).
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from dialogs.intake import Effect, OpenTicket, RememberGroup, start
from dialogs.intake_states import AskDescription, AskGroup, AskReference, AskTopic, Confirm
from tests.unit.intake_support import (
    ASK_GROUP_DE,
    ASK_REFERENCE_DE,
    ASK_TOPIC_DE,
    CANCELLED_DE,
    DESCRIBE_DE,
    DESCRIPTION,
    YES_NO_BACK,
    assert_formatted,
    choice_ids,
    de,
    facts,
    labels,
    say,
    texts,
)

TOP_LEVEL_TOPICS = [
    "topic:haushalt",
    "topic:kontierung",
    "topic:belegstand",
    "topic:kreditoren",
    "topic:debitoren",
    "topic:srm",
    "topic:elkabu",
    "topic:anlagen",
    "topic:zahlungsverkehr",
    "topic:formulare",
    "topic:schulungen",
    "topic:beschwerde",
    "topic:idee",
    "topic:runder_tisch",
    "topic:sonstiges",
    "group:change",
]
GROUPS = [
    "group:f1-f3",
    "group:f4",
    "group:kern",
    "group:lieferanten",
    "group:vergabestellen",
    "group:stadtkaemmerei",
    "group:kassen-steueramt",
    "group:paed-fachabteilungen",
]


# German catalogue text, written out.
GREETING_DE = (
    "Guten Tag! Hier ist die Hotline der Abteilung Finanzen. Ich leite Ihr Anliegen an das "
    "richtige Team weiter. Mit „zurück“ gehen Sie einen Schritt zurück, mit „abbrechen“ "
    "verwerfen Sie die Eingabe."
)


# --- start -------------------------------------------------------------------------------


def test_start_without_known_group_asks_for_it(config: OrgConfig) -> None:
    result = start(de(config))
    assert result.state == AskGroup()
    assert result.effects == ()
    greeting, question = result.notices
    assert greeting.text == GREETING_DE
    assert greeting.choices == ()
    assert question.text == ASK_GROUP_DE
    assert choice_ids(question) == GROUPS
    assert question.choices[2].label == "Kernbereich Verwaltung (KERN)"
    assert_formatted(result)


def test_start_with_known_group_skips_the_group_question(config: OrgConfig) -> None:
    result = start(de(config, "f4"))
    assert result.state == AskTopic("f4")
    assert result.effects == ()
    greeting, question = result.notices
    assert greeting.text == GREETING_DE
    assert question.text == ASK_TOPIC_DE
    assert choice_ids(question) == TOP_LEVEL_TOPICS
    assert question.choices[-1].label == "Kundengruppe ändern"
    assert "back" not in choice_ids(question)


@pytest.mark.parametrize(
    ("text", "action"),
    [("kern", None), ("3", None), ("Kernbereich", None), ("", "group:kern"), ("KERN.", None)],
)
def test_the_group_is_chosen_and_remembered(
    config: OrgConfig, text: str, action: str | None
) -> None:
    result = say(AskGroup(), de(config), text, action)
    assert result.state == AskTopic("kern")
    assert result.effects == (RememberGroup("kern"),)
    (question,) = result.notices
    assert question.text == ASK_TOPIC_DE
    assert choice_ids(question) == TOP_LEVEL_TOPICS


@pytest.mark.parametrize(
    ("text", "action"),
    [("Kundengruppe ändern", None), ("kundengruppe", None), ("16", None), ("", "group:change")],
)
def test_change_group_returns_to_the_group_question(
    config: OrgConfig, text: str, action: str | None
) -> None:
    ctx = de(config, "kern")
    result = say(AskTopic("kern"), ctx, text, action)
    assert result.state == AskGroup()
    assert result.effects == ()
    (question,) = result.notices
    assert question.text == ASK_GROUP_DE
    assert choice_ids(question) == GROUPS
    after = say(AskGroup(), ctx, "f4")
    assert after.state == AskTopic("f4")
    assert after.effects == (RememberGroup("f4"),)


# --- a plain request without first-level answers -----------------------------------------


def test_sample_topics_debitoren_and_anlagen_have_no_knowledge(config: OrgConfig) -> None:
    # The happy paths below rely on this; if the sample gains entries, pick other topics.
    assert config.knowledge_for("debitoren") == ()
    assert config.knowledge_for("anlagen") == ()
    assert config.subtopics("debitoren") == ()
    assert config.subtopics("anlagen") == ()


def test_happy_path_creates_the_ticket(config: OrgConfig) -> None:
    ctx = de(config)
    effects: list[Effect] = []

    result = start(ctx)
    assert result.state == AskGroup()

    result = say(result.state, ctx, "kern")
    assert result.state == AskTopic("kern")
    effects += result.effects

    result = say(result.state, ctx, action="topic:debitoren")
    assert result.state == AskDescription("kern", "debitoren")
    assert texts(result) == [DESCRIBE_DE["request"]]
    assert result.effects == ()

    result = say(result.state, ctx, f"  {DESCRIPTION}  ")
    assert result.state == AskReference("kern", "debitoren", DESCRIPTION)
    assert texts(result) == [ASK_REFERENCE_DE]
    assert result.effects == ()

    result = say(result.state, ctx, " RE-2026-4711 ")
    assert result.state == Confirm("kern", "debitoren", DESCRIPTION, "RE-2026-4711")
    (confirm,) = result.notices
    assert confirm.text == (
        "Soll ich das so an Debitorenbuchhaltung weitergeben?\n\n" + DESCRIPTION
    )
    assert facts(confirm) == [
        ("Kundengruppe", "Kernbereich Verwaltung (KERN)"),
        ("Thema", "Debitoren / Forderungen, Einnahmen"),
        ("Team", "Debitorenbuchhaltung"),
        ("Referenz", "RE-2026-4711"),
    ]
    assert choice_ids(confirm) == YES_NO_BACK
    assert labels(confirm) == ["Ja, absenden", "Nein, verwerfen", "zurück"]
    assert confirm.channel_safe is False  # the summary carries the user's text
    assert_formatted(result)

    result = say(result.state, ctx, "ja")
    assert result.state is None
    assert result.notices == ()  # the service answers with the ticket number
    effects += result.effects

    assert effects == [
        RememberGroup("kern"),
        OpenTicket(NewRequest("debitoren", "kern", DESCRIPTION, "RE-2026-4711", False)),
    ]


def test_typed_topic_without_group_to_ticket_without_group(config: OrgConfig) -> None:
    ctx = de(config)
    result = say(AskTopic(None), ctx, "Anlagen")  # a unique prefix of the label
    assert result.state == AskDescription(None, "anlagen")
    result = say(result.state, ctx, DESCRIPTION)
    assert result.state == AskReference(None, "anlagen", DESCRIPTION)
    result = say(result.state, ctx, "-")
    assert result.state == Confirm(None, "anlagen", DESCRIPTION, None)
    (confirm,) = result.notices
    assert facts(confirm) == [
        ("Thema", "Anlagenbuchhaltung / Inventar"),
        ("Team", "Anlagenbuchhaltung"),
    ]
    result = say(result.state, ctx, action="confirm:yes")
    assert result.effects == (OpenTicket(NewRequest("anlagen", None, DESCRIPTION, None, False)),)


@pytest.mark.parametrize("text", ["-", " - ", "", "–", "keine", "Keine", "nein", "no", "none"])
def test_no_reference(config: OrgConfig, text: str) -> None:
    result = say(AskReference("kern", "debitoren", DESCRIPTION), de(config), text)
    assert result.state == Confirm("kern", "debitoren", DESCRIPTION, None)
    (confirm,) = result.notices
    assert "Referenz" not in [f.label for f in confirm.facts]
    final = say(result.state, de(config), "1")
    assert final.effects == (OpenTicket(NewRequest("debitoren", "kern", DESCRIPTION, None)),)


def test_long_reference_is_cut(config: OrgConfig) -> None:
    result = say(AskReference("kern", "debitoren", DESCRIPTION), de(config), "R1" * 150)
    assert isinstance(result.state, Confirm)
    assert result.state.reference == ("R1" * 150)[:255]


@pytest.mark.parametrize("text", ["vielleicht", "Rechnung vom Januar", "gibt es"])
def test_a_reference_without_digits_is_asked_again(config: OrgConfig, text: str) -> None:
    """Repro: "vielleicht" was accepted as a reference number."""
    state = AskReference("kern", "debitoren", DESCRIPTION)
    result = say(state, de(config), text)
    assert result.state == state and not result.effects
    assert "enthält Ziffern" in result.notices[0].text and "„-“" in result.notices[0].text


@pytest.mark.parametrize("text", ["weiß nicht", "Unbekannt.", "don't know"])
def test_an_unknown_reference_is_none(config: OrgConfig, text: str) -> None:
    result = say(AskReference("kern", "debitoren", DESCRIPTION), de(config), text)
    assert result.state == Confirm("kern", "debitoren", DESCRIPTION, None)


@pytest.mark.parametrize("text", ["4500012345", "RE-2026-17", "Bestellung 4711"])
def test_a_reference_with_digits_is_kept(config: OrgConfig, text: str) -> None:
    result = say(AskReference("kern", "debitoren", DESCRIPTION), de(config), text)
    assert result.state == Confirm("kern", "debitoren", DESCRIPTION, text)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("1", None),
        ("Ja, absenden", None),
        ("ja", None),
        ("Ja.", None),
        ("j", None),
        ("yes", None),
        ("", "confirm:yes"),
    ],
)
def test_every_way_to_say_yes(config: OrgConfig, text: str, action: str | None) -> None:
    state = Confirm("f4", "debitoren", DESCRIPTION, None)
    result = say(state, de(config), text, action)
    assert result.state is None
    assert result.effects == (OpenTicket(NewRequest("debitoren", "f4", DESCRIPTION, None)),)


@pytest.mark.parametrize(
    ("text", "action"),
    [("2", None), ("nein", None), ("n", None), ("Nein, verwerfen", None), ("", "confirm:no")],
)
def test_confirm_no_discards(config: OrgConfig, text: str, action: str | None) -> None:
    result = say(Confirm("kern", "debitoren", DESCRIPTION, "RE-1"), de(config), text, action)
    assert result.state is None
    assert result.effects == ()
    assert texts(result) == [CANCELLED_DE]
