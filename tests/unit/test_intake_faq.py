"""First level first: the intake dialog shows configured answers before a ticket.

One knowledge entry is shown at once in the variant for the user's customer group (or the
default), with its links as facts; several entries offer a menu; "did this help?" ends the
dialog with feedback or goes on to the description; sub-topics without entries of their own
use their parent's entries.
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from dialogs.intake import OpenTicket, RecordAnswerFeedback
from dialogs.intake_prompts import show_answer
from dialogs.intake_states import (
    AskDescription,
    AskHelped,
    AskSubtopic,
    AskTopic,
    IntakeState,
    PickAnswer,
)
from tests.unit.intake_support import (
    DESCRIBE_DE,
    DESCRIPTION,
    HELPED_DE,
    HELPED_STATE,
    NOT_UNDERSTOOD_DE,
    PICK_ANSWER_DE,
    SRM_STATUS_F4_DE,
    YES_NO_BACK,
    choice_ids,
    de,
    en,
    facts,
    labels,
    say,
    texts,
)

# First-level answers of the sample (knowledge entry srm-genehmigungsstatus and others).
SRM_STATUS_QUESTION_DE = "Wie sehe ich, ob meine Bestellung schon genehmigt ist?"
SRM_STATUS_DEFAULT_DE = (
    "Öffnen Sie in SAP SRM „Einkaufswagen prüfen“. Der Status zeigt, ob Ihr Einkaufswagen "
    "noch auf Genehmigung wartet, genehmigt oder abgelehnt wurde; im Reiter „Genehmigung“ "
    "sehen Sie, bei wem er gerade liegt. Bei einer Ablehnung steht der Grund im Kommentar."
)
SRM_STATUS_KERN_EN = (
    "In the core administration, the cost centre managers approve; above the procurement "
    "guideline's threshold, the procurement office checks as well. You can see the status in "
    'SAP SRM under "Check shopping cart" (handbook KERN, chapter "Ordering").'
)
FORMS_LINKS_DE = [
    ("Formulare (Übersicht)", "https://intranet.stadt.example/finanzen/formulare/"),
    (
        "Anlage oder Änderung eines Kreditors",
        "https://intranet.stadt.example/finanzen/formulare/kreditor-stammdaten.pdf",
    ),
    (
        "Auszahlungsanordnung",
        "https://intranet.stadt.example/finanzen/formulare/auszahlungsanordnung.pdf",
    ),
    (
        "Annahmeanordnung",
        "https://intranet.stadt.example/finanzen/formulare/annahmeanordnung.pdf",
    ),
]
KONTIERUNG_LINKS_F4_DE = [  # the overview and the F4 user's own handbook only
    ("Kontierungsleitfaden (Übersicht)", "https://intranet.stadt.example/finanzen/kontierung/"),
    ("Handbuch F4", "https://intranet.stadt.example/finanzen/handbuecher/f4/"),
]


GLAD_DE = (
    "Schön, dass ich helfen konnte! Mit /neu können Sie jederzeit ein weiteres Anliegen stellen."
)
SORRY_DE = "Schade. Dann gebe ich Ihr Anliegen an das zuständige Team weiter."


def test_one_knowledge_entry_shows_the_answer_in_the_group_variant(config: OrgConfig) -> None:
    result = say(AskSubtopic("f4", "srm"), de(config), action="topic:srm.bestellung")
    assert result.state == AskHelped("f4", "srm.bestellung", "srm-genehmigungsstatus")
    assert result.effects == ()
    (answer,) = result.notices
    assert answer.title == SRM_STATUS_QUESTION_DE
    assert answer.text == SRM_STATUS_F4_DE + "\n\n" + HELPED_DE
    assert answer.facts == ()  # this entry has no links
    assert choice_ids(answer) == YES_NO_BACK
    assert labels(answer) == ["Ja, danke", "Nein, ich brauche Hilfe", "zurück"]


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("f4", SRM_STATUS_F4_DE),  # the F4 handbook variant
        ("lieferanten", SRM_STATUS_DEFAULT_DE),  # suppliers have no handbook: the default
        ("stadtkaemmerei", SRM_STATUS_DEFAULT_DE),
        (None, SRM_STATUS_DEFAULT_DE),
    ],
)
def test_answer_variant_per_group(config: OrgConfig, group: str | None, expected: str) -> None:
    result = say(AskSubtopic(group, "srm"), de(config), "2")  # "Bestellung anlegen oder ändern"
    assert result.state == AskHelped(group, "srm.bestellung", "srm-genehmigungsstatus")
    assert texts(result) == [expected + "\n\n" + HELPED_DE]


@pytest.mark.parametrize(
    ("group", "beginning"),
    [
        # rechnung-nicht-bezahlt has an answer for the customer group "lieferanten" itself
        ("lieferanten", "Vielen Dank für Ihre Nachricht. Bitte nennen Sie uns Rechnungsnummer,"),
        ("f4", "Eine Rechnung wird bezahlt, sobald ihre sachliche und rechnerische Richtigkeit"),
        ("kern", "Eine Rechnung wird bezahlt, sobald ihre sachliche und rechnerische Richtigkeit"),
    ],
)
def test_answer_for_a_customer_group_id(config: OrgConfig, group: str, beginning: str) -> None:
    # "Allgemein" of Kreditoren: the topic itself, which has exactly one entry.
    result = say(AskSubtopic(group, "kreditoren"), de(config), "1")
    assert result.state == AskHelped(group, "kreditoren", "rechnung-nicht-bezahlt")
    (answer,) = result.notices
    assert answer.title == "Eine Rechnung ist noch nicht bezahlt – was kann ich tun?"
    assert answer.text.startswith(beginning)
    assert answer.text.endswith("\n\n" + HELPED_DE)


def test_the_answer_links_are_facts(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), de(config), "Formulare")
    assert result.state == AskHelped("kern", "formulare", "formulare")
    (answer,) = result.notices
    assert answer.title == "Wo finde ich Formulare und Vordrucke der Abteilung Finanzen?"
    assert answer.text.startswith("Alle aktuellen Formulare finden Sie im Intranet unter Finanzen")
    assert facts(answer) == FORMS_LINKS_DE


def test_the_answer_in_english(config: OrgConfig) -> None:
    result = say(AskSubtopic("kern", "srm"), en(config), "2")
    (answer,) = result.notices
    assert answer.title == "How can I see whether my order has been approved?"
    assert answer.text == SRM_STATUS_KERN_EN + "\n\nDid this help you?"
    assert labels(answer) == ["Yes, thank you", "No, I need help", "back"]
    result = say(AskTopic("kern"), en(config), action="topic:formulare")
    (answer,) = result.notices
    assert facts(answer)[0] == (
        "Forms (overview)",
        "https://intranet.stadt.example/finanzen/formulare/",
    )


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("ja", None),
        ("Ja", None),
        ("1", None),
        ("Ja, danke", None),
        ("yes", None),
        ("", "confirm:yes"),
    ],
)
def test_the_answer_helped(config: OrgConfig, text: str, action: str | None) -> None:
    result = say(HELPED_STATE, de(config), text, action)
    assert result.state is None
    assert texts(result) == [GLAD_DE]
    assert result.effects == (
        RecordAnswerFeedback("srm.bestellung", "f4", "srm-genehmigungsstatus", helped=True),
    )
    assert not any(isinstance(effect, OpenTicket) for effect in result.effects)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("nein", None),
        ("2", None),
        ("Nein, ich brauche Hilfe", None),
        ("no", None),
        ("", "confirm:no"),
    ],
)
def test_the_answer_did_not_help(config: OrgConfig, text: str, action: str | None) -> None:
    ctx = de(config)
    result = say(HELPED_STATE, ctx, text, action)
    assert result.state == AskDescription("f4", "srm.bestellung")
    assert texts(result) == [SORRY_DE, DESCRIBE_DE["request"]]
    assert result.effects == (
        RecordAnswerFeedback("srm.bestellung", "f4", "srm-genehmigungsstatus", helped=False),
    )
    # ... and the request goes on to the sub-topic's own team.
    result = say(result.state, ctx, DESCRIPTION)
    result = say(result.state, ctx, "BANF 10004711")
    (confirm,) = result.notices
    assert ("Team", "SRM-Kompetenzcenter") in facts(confirm)
    result = say(result.state, ctx, "ja")
    assert result.effects == (
        OpenTicket(NewRequest("srm.bestellung", "f4", DESCRIPTION, "BANF 10004711")),
    )


def test_several_entries_offer_a_menu(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), de(config), action="topic:kontierung")
    assert result.state == PickAnswer("kern", "kontierung")
    assert result.effects == ()
    (menu,) = result.notices
    assert menu.text == PICK_ANSWER_DE
    assert choice_ids(menu) == [
        "answer:kontierungsleitfaden",
        "answer:sachkonto-unklar",
        "answer:none",
        "back",
    ]
    assert labels(menu) == [
        "Wo finde ich den Kontierungsleitfaden?",
        "Ich weiß nicht, welches Sachkonto ich verwenden soll.",
        "Meine Frage ist nicht dabei",
        "zurück",
    ]


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("1", None),
        ("Wo finde ich den Kontierungsleitfaden?", None),
        ("", "answer:kontierungsleitfaden"),
    ],
)
def test_picking_an_answer_shows_it(config: OrgConfig, text: str, action: str | None) -> None:
    result = say(PickAnswer("f4", "kontierung"), de(config), text, action)
    assert result.state == AskHelped("f4", "kontierung", "kontierungsleitfaden")
    assert result.effects == ()
    (answer,) = result.notices
    assert answer.title == "Wo finde ich den Kontierungsleitfaden?"
    assert answer.text == (
        "Für die Einrichtungen F4 gilt das Handbuch F4, Kapitel „Kontierung“, mit den "
        "Sachkonten und Innenaufträgen Ihres Bereichs.\n\n" + HELPED_DE
    )
    assert facts(answer) == KONTIERUNG_LINKS_F4_DE


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Meine Frage ist nicht dabei", None),
        ("meine frage", None),
        ("3", None),
        ("", "answer:none"),
    ],
)
def test_question_not_listed_asks_for_the_description(
    config: OrgConfig, text: str, action: str | None
) -> None:
    result = say(PickAnswer("kern", "kontierung"), de(config), text, action)
    assert result.state == AskDescription("kern", "kontierung")
    assert texts(result) == [DESCRIBE_DE["request"]]
    assert result.effects == ()


def test_an_entry_of_another_topic_is_not_understood(config: OrgConfig) -> None:
    state = PickAnswer("kern", "kontierung")
    result = say(state, de(config), action="answer:formulare")
    assert result.state == state
    assert texts(result) == [NOT_UNDERSTOOD_DE, PICK_ANSWER_DE]


@pytest.mark.parametrize(
    ("subtopic", "expected"),
    [
        # no entry of its own: the parent's single entry
        ("kreditoren.mahnung", AskHelped("kern", "kreditoren.mahnung", "rechnung-nicht-bezahlt")),
        # no entry of its own: the parent's two entries
        ("srm.wareneingang", PickAnswer("kern", "srm.wareneingang")),
        # its own two entries
        ("elkabu.abschluss", PickAnswer("kern", "elkabu.abschluss")),
    ],
)
def test_subtopic_answers(config: OrgConfig, subtopic: str, expected: IntakeState) -> None:
    parent = config.topic(subtopic).parent
    assert parent is not None
    result = say(AskSubtopic("kern", parent), de(config), action=f"topic:{subtopic}")
    assert result.state == expected


def test_the_menu_of_a_subtopic_lists_the_parents_entries(config: OrgConfig) -> None:
    result = say(AskSubtopic("kern", "srm"), de(config), "Wareneingang")
    (menu,) = result.notices
    assert choice_ids(menu) == [
        "answer:srm-genehmigungsstatus",
        "answer:srm-zugang-gesperrt",
        "answer:none",
        "back",
    ]
    result = say(result.state, de(config), "2")
    assert result.state == AskHelped("kern", "srm.wareneingang", "srm-zugang-gesperrt")
    (answer,) = result.notices
    assert facts(answer) == [("IT-Serviceportal", "https://servicedesk.stadt.example/")]


@pytest.mark.parametrize(
    ("group", "handbooks"),
    [
        ("f1-f3", ["Handbuch F1–F3"]),
        ("f4", ["Handbuch F4"]),
        ("kern", ["Handbuch KERN"]),
        ("lieferanten", []),  # no handbook of their own: only the links meant for everyone
    ],
)
def test_handbook_links_follow_the_customer_group(
    config: OrgConfig, group: str, handbooks: list[str]
) -> None:
    """The answer's links are the group's own, as its text is: an F4 school is not sent to
    the F1-F3 handbook."""
    notice = show_answer("kontierungsleitfaden", group, de(config))
    assert [title for title, _ in facts(notice)] == [
        "Kontierungsleitfaden (Übersicht)",
        *handbooks,
    ]


def test_without_a_known_group_every_link_is_shown(config: OrgConfig) -> None:
    notice = show_answer("kontierungsleitfaden", None, de(config))
    assert len(facts(notice)) == 4
