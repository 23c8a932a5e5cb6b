"""Complaints, ideas and round-table topics in the intake dialog.

A complaint asks about anonymity and goes to complaint management without a team; ideas and
round-table proposals skip the reference question and are recorded as proposals; both can be
started directly with their topic (and text), too short complaints are asked for again.
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from dialogs.intake import OpenTicket, RecordProposal, start_with_topic
from dialogs.intake_states import AskAnonymous, AskDescription, AskTopic, Confirm
from tests.unit.intake_support import (
    ASK_ANONYMOUS_DE,
    CANCELLED_DE,
    COMPLAINT,
    DESCRIBE_DE,
    IDEA,
    NOT_UNDERSTOOD_DE,
    TOO_SHORT_DE,
    YES_NO_BACK,
    choice_ids,
    de,
    facts,
    labels,
    say,
    texts,
)

# --- complaints --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action", "anonymous"),
    [
        ("ja", None, True),
        ("1", None, True),
        ("Ja, anonym bleiben", None, True),
        ("", "confirm:yes", True),
        ("nein", None, False),
        ("2", None, False),
        ("Nein, mit Namen", None, False),
        ("", "confirm:no", False),
    ],
)
def test_complaint_path(config: OrgConfig, text: str, action: str | None, anonymous: bool) -> None:
    assert config.topic("beschwerde").kind == "complaint"
    ctx = de(config, "kern")
    result = say(AskTopic("kern"), ctx, "Beschwerde")
    assert result.state == AskDescription("kern", "beschwerde")
    assert texts(result) == [DESCRIBE_DE["complaint"]]

    result = say(result.state, ctx, COMPLAINT)
    assert result.state == AskAnonymous("kern", "beschwerde", COMPLAINT)
    (question,) = result.notices
    assert question.text == ASK_ANONYMOUS_DE
    assert choice_ids(question) == YES_NO_BACK
    assert labels(question) == ["Ja, anonym bleiben", "Nein, mit Namen", "zurück"]

    result = say(result.state, ctx, text, action)
    assert result.state == Confirm("kern", "beschwerde", COMPLAINT, None, anonymous)
    (confirm,) = result.notices
    assert confirm.text == (
        "Soll ich Ihre Beschwerde vertraulich an das Beschwerdemanagement geben?\n\n" + COMPLAINT
    )
    assert confirm.channel_safe is False
    # No team for a complaint: it goes to complaint management.
    assert facts(confirm) == [
        ("Kundengruppe", "Kernbereich Verwaltung (KERN)"),
        ("Thema", "Beschwerde"),
    ]
    assert result.effects == ()

    final = say(result.state, ctx, "ja")
    assert final.state is None
    assert final.notices == ()
    assert final.effects == (
        OpenTicket(NewRequest("beschwerde", "kern", COMPLAINT, None, anonymous=anonymous)),
    )


def test_anonymity_not_understood(config: OrgConfig) -> None:
    state = AskAnonymous("kern", "beschwerde", COMPLAINT)
    result = say(state, de(config), "vielleicht")
    assert result.state == state
    assert texts(result) == [NOT_UNDERSTOOD_DE, ASK_ANONYMOUS_DE]
    assert result.effects == ()


@pytest.mark.parametrize("group", [None, "lieferanten"])
def test_start_with_complaint_topic_asks_for_the_complaint(
    config: OrgConfig, group: str | None
) -> None:
    result = start_with_topic(de(config, group), "beschwerde", "")
    assert result.state == AskDescription(group, "beschwerde")
    assert texts(result) == [DESCRIBE_DE["complaint"]]  # no greeting
    assert result.effects == ()
    result = start_with_topic(de(config, group), "beschwerde", "   ")
    assert result.state == AskDescription(group, "beschwerde")


def test_start_with_complaint_text_asks_about_anonymity(config: OrgConfig) -> None:
    result = start_with_topic(de(config, "f4"), "beschwerde", f" {COMPLAINT} ")
    assert result.state == AskAnonymous("f4", "beschwerde", COMPLAINT)
    assert texts(result) == [ASK_ANONYMOUS_DE]
    assert result.effects == ()


def test_start_with_a_too_short_complaint(config: OrgConfig) -> None:
    result = start_with_topic(de(config), "beschwerde", "Ärger")
    assert result.state == AskDescription(None, "beschwerde")
    assert texts(result) == [TOO_SHORT_DE]


# --- ideas and round-table topics ---------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "kind", "label", "question"),
    [
        ("idee", "idea", "Idee / Anregung", "Soll ich Ihre Idee an die Leitung weitergeben?"),
        (
            "runder_tisch",
            "round_table",
            "Thema für den Runden Tisch",
            "Soll ich Ihren Themenvorschlag für den Runden Tisch einreichen?",
        ),
    ],
)
@pytest.mark.parametrize("group", [None, "f1-f3"])
def test_proposal_path(
    config: OrgConfig, topic: str, kind: str, label: str, question: str, group: str | None
) -> None:
    assert config.topic(topic).kind == kind
    ctx = de(config, group)
    result = say(AskTopic(group), ctx, label)
    assert result.state == AskDescription(group, topic)
    assert texts(result) == [DESCRIBE_DE[kind]]

    result = say(result.state, ctx, IDEA)
    assert result.state == Confirm(group, topic, IDEA)  # no reference question
    (confirm,) = result.notices
    assert confirm.text == question + "\n\n" + IDEA
    expected_facts = [("Thema", label)]
    if group is not None:
        expected_facts.insert(
            0, ("Kundengruppe", "Dezentrale Einrichtungen F1–F3 (Schulen, Kitas, Horte)")
        )
    assert facts(confirm) == expected_facts
    assert choice_ids(confirm) == YES_NO_BACK
    assert confirm.channel_safe is False

    final = say(result.state, ctx, "ja")
    assert final.state is None
    assert final.notices == ()  # the runner answers with the proposal number
    assert final.effects == (RecordProposal(kind, topic, group, IDEA),)

    discarded = say(result.state, ctx, "nein")
    assert discarded.state is None
    assert discarded.effects == ()
    assert texts(discarded) == [CANCELLED_DE]


@pytest.mark.parametrize(("topic", "kind"), [("idee", "idea"), ("runder_tisch", "round_table")])
def test_start_with_a_proposal_topic(config: OrgConfig, topic: str, kind: str) -> None:
    result = start_with_topic(de(config, "kern"), topic, "")
    assert result.state == AskDescription("kern", topic)
    assert texts(result) == [DESCRIBE_DE[kind]]
    result = start_with_topic(de(config, "kern"), topic, IDEA)
    assert result.state == Confirm("kern", topic, IDEA)
    final = say(result.state, de(config, "kern"), action="confirm:yes")
    assert final.effects == (RecordProposal(kind, topic, "kern", IDEA),)
