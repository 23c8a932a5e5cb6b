"""Sub-topics in the intake dialog.

A topic with sub-topics asks for one (with "Allgemein" for the topic itself); a sub-topic is
chosen by number, label prefix or button, one of another parent is not understood, and a
request on a sub-topic goes to the sub-topic's own team.
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from dialogs.intake import OpenTicket
from dialogs.intake_states import (
    AskHelped,
    AskReference,
    AskSubtopic,
    AskTopic,
    IntakeState,
    PickAnswer,
)
from tests.unit.intake_support import (
    DESCRIPTION,
    NOT_UNDERSTOOD_DE,
    SRM_MENU_DE,
    choice_ids,
    de,
    facts,
    labels,
    say,
    texts,
)


def test_topic_with_subtopics_asks_for_one(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), de(config), action="topic:srm")
    assert result.state == AskSubtopic("kern", "srm")
    assert result.effects == ()
    (question,) = result.notices
    assert question.text == SRM_MENU_DE
    assert choice_ids(question) == [
        "topic:srm",
        "topic:srm.bestellung",
        "topic:srm.wareneingang",
        "back",
    ]
    assert labels(question) == [
        "Allgemein / etwas anderes",
        "Bestellung anlegen oder ändern",
        "Wareneingang / Leistungserfassung",
        "zurück",
    ]


@pytest.mark.parametrize(
    ("text", "action", "expected"),
    [
        ("1", None, PickAnswer("f4", "srm")),
        ("Allgemein", None, PickAnswer("f4", "srm")),
        ("2", None, AskHelped("f4", "srm.bestellung", "srm-genehmigungsstatus")),
        ("", "topic:srm.bestellung", AskHelped("f4", "srm.bestellung", "srm-genehmigungsstatus")),
        ("Wareneingang", None, PickAnswer("f4", "srm.wareneingang")),
        ("wareneingang.", None, PickAnswer("f4", "srm.wareneingang")),
    ],
)
def test_choosing_a_subtopic(
    config: OrgConfig, text: str, action: str | None, expected: IntakeState
) -> None:
    result = say(AskSubtopic("f4", "srm"), de(config), text, action)
    assert result.state == expected


def test_a_subtopic_of_another_parent_is_not_understood(config: OrgConfig) -> None:
    state = AskSubtopic("kern", "srm")
    result = say(state, de(config), action="topic:elkabu.abschluss")
    assert result.state == state
    assert texts(result) == [NOT_UNDERSTOOD_DE, SRM_MENU_DE]


def test_subtopic_routes_to_its_own_team(config: OrgConfig) -> None:
    result = say(AskReference("kern", "elkabu.abschluss", DESCRIPTION), de(config), "-")
    (confirm,) = result.notices
    assert facts(confirm) == [
        ("Kundengruppe", "Kernbereich Verwaltung (KERN)"),
        ("Thema", "Kassenbuch-Abschluss"),
        ("Team", "elKabu-Systemteam"),
    ]
    final = say(result.state, de(config), "ja")
    assert final.effects == (OpenTicket(NewRequest("elkabu.abschluss", "kern", DESCRIPTION, None)),)
