"""The intake dialog as a pure function: states, notices and effects, without a database.

Expected texts are written out by hand (not looked up with t()), so a changed catalogue or
sample config shows up here as a failure to review.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from bot.config.model import OrgConfig
from bot.markup import to_html, to_plain
from bot.notices import Notice
from bot.service.tickets import NewRequest
from dialogs.intake import (
    Context,
    Effect,
    OpenTicket,
    RecordAnswerFeedback,
    RecordProposal,
    RememberGroup,
    StepResult,
    UserInput,
    is_current,
    restart,
    start,
    start_with_topic,
    step,
)
from dialogs.intake_states import (
    STATE_TYPES,
    AskAnonymous,
    AskDescription,
    AskGroup,
    AskHelped,
    AskReference,
    AskSubtopic,
    AskTopic,
    Confirm,
    IntakeState,
    PickAnswer,
    dump_state,
    load_state,
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
YES_NO_BACK = ["confirm:yes", "confirm:no", "back"]
DESCRIPTION = "Die Forderung 4711 wurde doppelt gebucht, bitte prüfen."
COMPLAINT = "Ich wurde am Telefon unfreundlich behandelt."
IDEA = "Bitte bietet mehr Schulungen zu SAP SRM an."

# German catalogue texts, written out.
GREETING_DE = (
    "Guten Tag! Hier ist die Hotline der Abteilung Finanzen. Ich leite Ihr Anliegen an das "
    "richtige Team weiter. Mit „zurück“ gehen Sie einen Schritt zurück, mit „abbrechen“ "
    "verwerfen Sie die Eingabe."
)
ASK_GROUP_DE = "Zu welcher Kundengruppe gehören Sie? (Ich merke mir das.)"
ASK_TOPIC_DE = "Worum geht es?"
ASK_REFERENCE_DE = (
    "Gibt es eine Beleg-, Bestell- oder Rechnungsnummer? Sonst antworten Sie mit „-“."
)
CANCELLED_DE = (
    "In Ordnung, ich habe nichts weitergegeben. Mit /neu beginnen Sie ein neues Anliegen."
)
TOO_SHORT_DE = (
    "Das ist etwas knapp. Bitte beschreiben Sie Ihr Anliegen mit mindestens ein paar Worten."
)
NOT_UNDERSTOOD_DE = (
    "Das habe ich nicht verstanden. Bitte wählen Sie eine Nummer aus der Liste oder tippen "
    "Sie das Wort."
)
PICK_ANSWER_DE = "Dazu gibt es Antworten auf häufige Fragen. Ist Ihre Frage dabei?"
HELPED_DE = "Hat Ihnen das geholfen?"
GLAD_DE = (
    "Schön, dass ich helfen konnte! Mit /neu können Sie jederzeit ein weiteres Anliegen stellen."
)
SORRY_DE = "Schade. Dann gebe ich Ihr Anliegen an das zuständige Team weiter."
ASK_ANONYMOUS_DE = (
    "Möchten Sie gegenüber dem betroffenen Team anonym bleiben? Das Beschwerdemanagement "
    "kennt Ihren Namen in jedem Fall, damit es Ihnen antworten kann."
)
DESCRIBE_DE = {
    "request": "Bitte beschreiben Sie Ihr Anliegen in ein paar Sätzen.",
    "complaint": (
        "Bitte schildern Sie, worüber Sie sich beschweren möchten. Ihre Beschwerde wird "
        "grundsätzlich vertraulich behandelt."
    ),
    "idea": "Welche Idee oder Anregung haben Sie? Wir freuen uns darüber.",
    "round_table": (
        "Welches Thema möchten Sie für den Runden Tisch „Kundenbetreuung und Buchhaltung“ "
        "vorschlagen?"
    ),
}
SRM_MENU_DE = "Worum genau geht es bei „SAP SRM / Bestellungen“?"
KREDITOREN_MENU_DE = "Worum genau geht es bei „Kreditoren / Rechnungen, Zahlungen an Lieferanten“?"
ELKABU_MENU_DE = "Worum genau geht es bei „Elektronisches Kassenbuch (elKabu)“?"

# First-level answers of the sample (knowledge entry srm-genehmigungsstatus and others).
SRM_STATUS_QUESTION_DE = "Wie sehe ich, ob meine Bestellung schon genehmigt ist?"
SRM_STATUS_DEFAULT_DE = (
    "Öffnen Sie in SAP SRM „Einkaufswagen prüfen“. Der Status zeigt, ob Ihr Einkaufswagen "
    "noch auf Genehmigung wartet, genehmigt oder abgelehnt wurde; im Reiter „Genehmigung“ "
    "sehen Sie, bei wem er gerade liegt. Bei einer Ablehnung steht der Grund im Kommentar."
)
SRM_STATUS_F4_DE = (
    "Bei den Einrichtungen F4 genehmigen die Budgetverantwortlichen des Fachbereichs F4. Den "
    "Status sehen Sie in SAP SRM unter „Einkaufswagen prüfen“ (Handbuch F4, Kapitel "
    "„Bestellen“)."
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
KONTIERUNG_LINKS_DE = [
    ("Kontierungsleitfaden (Übersicht)", "https://intranet.stadt.example/finanzen/kontierung/"),
    ("Handbuch F1–F3", "https://intranet.stadt.example/finanzen/handbuecher/f1-f3/"),
    ("Handbuch F4", "https://intranet.stadt.example/finanzen/handbuecher/f4/"),
    ("Handbuch KERN", "https://intranet.stadt.example/finanzen/handbuecher/kern/"),
]


def de(config: OrgConfig, group: str | None = None) -> Context:
    return Context(config, "de", group)


def en(config: OrgConfig, group: str | None = None) -> Context:
    return Context(config, "en", group)


def say(
    state: IntakeState | None, ctx: Context, text: str = "", action: str | None = None
) -> StepResult:
    assert state is not None, "the dialog has ended"
    return step(state, UserInput(text=text, action_id=action), ctx)


def choice_ids(notice: Notice) -> list[str]:
    return [c.id for c in notice.choices]


def labels(notice: Notice) -> list[str]:
    return [c.label for c in notice.choices]


def facts(notice: Notice) -> list[tuple[str, str]]:
    return [(f.label, f.value) for f in notice.facts]


def texts(result: StepResult) -> list[str]:
    return [n.text for n in result.notices]


def all_texts(notices: Iterable[Notice]) -> list[str]:
    found: list[str] = []
    for notice in notices:
        found.append(notice.text)
        found += [f.label for f in notice.facts] + [f.value for f in notice.facts]
        found += [c.label for c in notice.choices]
    return found


def assert_formatted(result: StepResult) -> None:
    """No raw catalogue placeholder such as "{team}" reaches the user."""
    for text in all_texts(result.notices):
        assert text
        assert "{" not in text, text


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
        "Soll ich das so an FiBu – Debitorenbuchhaltung (GL 2.12) weitergeben?\n\n" + DESCRIPTION
    )
    assert facts(confirm) == [
        ("Kundengruppe", "Kernbereich Verwaltung (KERN)"),
        ("Thema", "Debitoren / Forderungen, Einnahmen"),
        ("Team", "FiBu – Debitorenbuchhaltung (GL 2.12)"),
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
    result = say(AskReference("kern", "debitoren", DESCRIPTION), de(config), "R" * 300)
    assert isinstance(result.state, Confirm)
    assert result.state.reference == "R" * 255


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


# --- first level first: configured answers before a ticket -------------------------------


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


HELPED_STATE = AskHelped("f4", "srm.bestellung", "srm-genehmigungsstatus")


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
    assert ("Team", "SRM-Kompetenzcenter (CCC)") in facts(confirm)
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
    assert facts(answer) == KONTIERUNG_LINKS_DE


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


# --- sub-topics --------------------------------------------------------------------------


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
        ("Team", "elKabu-Systemteam (ZIB)"),
    ]
    final = say(result.state, de(config), "ja")
    assert final.effects == (OpenTicket(NewRequest("elkabu.abschluss", "kern", DESCRIPTION, None)),)


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
        ("Nein, Name darf genannt werden", None, False),
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
    assert labels(question) == ["Ja, anonym bleiben", "Nein, Name darf genannt werden", "zurück"]

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
        ("idee", "idea", "Idee / Anregung", "Soll ich Ihre Idee an die Leitungen weitergeben?"),
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


# --- back ---------------------------------------------------------------------------------

# (state, the state "zurück" leads to, the text of the question asked there); by hand from
# `back`: at the first question stay there; a sub-topic menu goes to the topic menu; an
# answer of a topic with several entries goes to their menu; answers, menus and the
# description go to the topic's sub-topic menu (a sub-topic's, or a topic's own when it was
# chosen as "Allgemein") or else to the topic menu; the reference and anonymity questions go
# to the description; the confirmation to the question before it (by kind).
BACK_TABLE: list[tuple[IntakeState, IntakeState, str]] = [
    (AskGroup(), AskGroup(), ASK_GROUP_DE),
    (AskTopic("kern"), AskGroup(), ASK_GROUP_DE),
    (AskTopic(None), AskGroup(), ASK_GROUP_DE),
    (AskSubtopic("kern", "srm"), AskTopic("kern"), ASK_TOPIC_DE),
    (AskSubtopic(None, "elkabu"), AskTopic(None), ASK_TOPIC_DE),
    (PickAnswer("kern", "kontierung"), AskTopic("kern"), ASK_TOPIC_DE),
    (PickAnswer(None, "belegstand"), AskTopic(None), ASK_TOPIC_DE),
    (PickAnswer("kern", "srm.wareneingang"), AskSubtopic("kern", "srm"), SRM_MENU_DE),
    (PickAnswer("kern", "srm"), AskSubtopic("kern", "srm"), SRM_MENU_DE),
    (PickAnswer("f4", "elkabu.abschluss"), AskSubtopic("f4", "elkabu"), ELKABU_MENU_DE),
    (AskHelped("kern", "formulare", "formulare"), AskTopic("kern"), ASK_TOPIC_DE),
    (
        AskHelped("kern", "kontierung", "sachkonto-unklar"),
        PickAnswer("kern", "kontierung"),
        PICK_ANSWER_DE,
    ),
    (
        AskHelped(None, "srm.bestellung", "srm-genehmigungsstatus"),
        AskSubtopic(None, "srm"),
        SRM_MENU_DE,
    ),
    (
        AskHelped("kern", "kreditoren", "rechnung-nicht-bezahlt"),
        AskSubtopic("kern", "kreditoren"),
        KREDITOREN_MENU_DE,
    ),
    (
        AskHelped("kern", "elkabu.abschluss", "elkabu-kassendifferenz"),
        PickAnswer("kern", "elkabu.abschluss"),
        PICK_ANSWER_DE,
    ),
    (AskDescription("kern", "debitoren"), AskTopic("kern"), ASK_TOPIC_DE),
    (AskDescription(None, "beschwerde"), AskTopic(None), ASK_TOPIC_DE),
    (AskDescription("kern", "idee"), AskTopic("kern"), ASK_TOPIC_DE),
    (AskDescription("kern", "srm.bestellung"), AskSubtopic("kern", "srm"), SRM_MENU_DE),
    (AskDescription("kern", "kreditoren"), AskSubtopic("kern", "kreditoren"), KREDITOREN_MENU_DE),
    (
        AskReference("kern", "debitoren", DESCRIPTION),
        AskDescription("kern", "debitoren"),
        DESCRIBE_DE["request"],
    ),
    (
        AskAnonymous(None, "beschwerde", COMPLAINT),
        AskDescription(None, "beschwerde"),
        DESCRIBE_DE["complaint"],
    ),
    (
        Confirm("kern", "debitoren", DESCRIPTION, "RE-1"),
        AskReference("kern", "debitoren", DESCRIPTION),
        ASK_REFERENCE_DE,
    ),
    (
        Confirm("kern", "beschwerde", COMPLAINT, None, anonymous=True),
        AskAnonymous("kern", "beschwerde", COMPLAINT),
        ASK_ANONYMOUS_DE,
    ),
    (Confirm("kern", "idee", IDEA), AskDescription("kern", "idee"), DESCRIBE_DE["idea"]),
    (
        Confirm(None, "runder_tisch", IDEA),
        AskDescription(None, "runder_tisch"),
        DESCRIBE_DE["round_table"],
    ),
]
BACK_INPUTS = [
    ("zurück", None),
    ("Zurück", None),
    (" ZURÜCK ", None),
    ("zurueck", None),
    ("back", None),
    ("", "back"),
    ("egal was", "back"),  # the pressed button wins over the text
]


def test_the_back_table_covers_every_state_type() -> None:
    assert {type(row[0]) for row in BACK_TABLE} == set(STATE_TYPES)


@pytest.mark.parametrize(("state", "expected", "question"), BACK_TABLE, ids=repr)
@pytest.mark.parametrize(("text", "action"), BACK_INPUTS)
def test_back_from_every_state(
    config: OrgConfig,
    state: IntakeState,
    expected: IntakeState,
    question: str,
    text: str,
    action: str | None,
) -> None:
    result = say(state, de(config), text, action)
    assert result.state == expected
    assert texts(result) == [question]
    assert result.effects == ()


@pytest.mark.parametrize(
    ("state", "typed", "expected"),
    [
        # the "zurück" entry of a menu, typed as its number or as a prefix of its label
        (AskSubtopic("kern", "srm"), "4", AskTopic("kern")),
        (AskSubtopic("kern", "kreditoren"), "3", AskTopic("kern")),
        (AskSubtopic("kern", "kreditoren"), "zur", AskTopic("kern")),
        (PickAnswer("kern", "kontierung"), "4", AskTopic("kern")),
        (PickAnswer("kern", "srm.wareneingang"), "zurü", AskSubtopic("kern", "srm")),
        (
            AskHelped("kern", "formulare", "formulare"),
            "3",
            AskTopic("kern"),
        ),
        (
            AskAnonymous("kern", "beschwerde", COMPLAINT),
            "3",
            AskDescription("kern", "beschwerde"),
        ),
        (
            Confirm("kern", "debitoren", DESCRIPTION, None),
            "3",
            AskReference("kern", "debitoren", DESCRIPTION),
        ),
    ],
)
def test_back_typed_as_its_menu_number(
    config: OrgConfig, state: IntakeState, typed: str, expected: IntakeState
) -> None:
    result = say(state, de(config), typed)
    assert result.state == expected
    assert len(result.notices) == 1
    assert result.effects == ()


def test_back_in_english(config: OrgConfig) -> None:
    result = say(Confirm("kern", "beschwerde", COMPLAINT, None), en(config), "back")
    assert result.state == AskAnonymous("kern", "beschwerde", COMPLAINT)
    (question,) = result.notices
    assert question.text.startswith("Would you like to stay anonymous towards the team concerned?")
    assert labels(question) == ["Yes, stay anonymous", "No, my name may be given", "back"]


# --- cancel -------------------------------------------------------------------------------

ALL_STATES: list[IntakeState] = [row[0] for row in BACK_TABLE]


@pytest.mark.parametrize("state", ALL_STATES, ids=repr)
@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("abbrechen", None),
        ("Abbrechen", None),
        (" ABBRUCH ", None),
        ("cancel", None),
        ("stop", None),
        ("Stopp", None),
        ("", "cancel"),
        ("Ja", "cancel"),
    ],
)
def test_cancel_from_every_state(
    config: OrgConfig, state: IntakeState, text: str, action: str | None
) -> None:
    result = say(state, de(config), text, action)
    assert result.state is None
    assert texts(result) == [CANCELLED_DE]
    assert result.effects == ()


def test_cancel_in_english(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), en(config), "cancel")
    assert result.state is None
    assert texts(result) == ["All right, nothing was passed on. Start a new request with /new."]


# --- not understood, too short ---------------------------------------------------------------

NOT_UNDERSTOOD_CASES: list[tuple[IntakeState, str]] = [
    (AskGroup(), ASK_GROUP_DE),
    (AskTopic("kern"), ASK_TOPIC_DE),
    (AskSubtopic("kern", "srm"), SRM_MENU_DE),
    (PickAnswer("kern", "kontierung"), PICK_ANSWER_DE),
    (HELPED_STATE, SRM_STATUS_F4_DE + "\n\n" + HELPED_DE),
    (AskAnonymous("kern", "beschwerde", COMPLAINT), ASK_ANONYMOUS_DE),
    (
        Confirm("kern", "debitoren", DESCRIPTION, None),
        "Soll ich das so an FiBu – Debitorenbuchhaltung (GL 2.12) weitergeben?\n\n" + DESCRIPTION,
    ),
]


@pytest.mark.parametrize(("state", "question"), NOT_UNDERSTOOD_CASES, ids=repr)
@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Quatsch", None),
        ("99", None),
        ("0", None),
        ("", None),
        ("   ", None),
        ("1" * 5000, None),  # a huge number: int() would refuse it
        ("", "topic:nope"),
        ("1", "nope"),  # an unknown button: the text does not count
    ],
)
def test_not_understood_keeps_the_state_and_asks_again(
    config: OrgConfig, state: IntakeState, question: str, text: str, action: str | None
) -> None:
    result = say(state, de(config), text, action)
    assert result.state == state
    assert result.effects == ()
    assert len(result.notices) == 2
    complaint, asked = result.notices
    assert complaint.text == NOT_UNDERSTOOD_DE
    assert asked.text == question
    assert asked.choices, "the question is asked again, with its choices"


@pytest.mark.parametrize("text", ["", "   ", "Hilfe", "  Rechnung!  ", "🙂"])
def test_too_short_description_keeps_the_state(config: OrgConfig, text: str) -> None:
    state = AskDescription("kern", "debitoren")
    result = say(state, de(config), text)
    assert result.state == state
    assert texts(result) == [TOO_SHORT_DE]
    assert result.effects == ()


def test_two_words_are_enough(config: OrgConfig) -> None:
    result = say(AskDescription("kern", "debitoren"), de(config), "Forderung fehlt")
    assert result.state == AskReference("kern", "debitoren", "Forderung fehlt")


def test_a_long_description_is_kept_whole(config: OrgConfig) -> None:
    text = "wort " * 600  # the runner limits the message length, the dialog does not cut
    result = say(AskDescription("kern", "debitoren"), de(config), text)
    assert result.state == AskReference("kern", "debitoren", text.strip())


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
    assert result.notices[1].choices[-1].label == "change customer group"

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


@pytest.mark.parametrize("locale", ["de", "en"])
def test_no_notice_shows_a_raw_placeholder(config: OrgConfig, locale: str) -> None:
    ctx = Context(config, locale, None)
    results = [start(ctx), start(Context(config, locale, "kern"))]
    results += [say(state, ctx, "x") for state, _ in NOT_UNDERSTOOD_CASES]
    results += [say(state, ctx, "zurück") for state, _, _ in BACK_TABLE]
    results += [
        say(AskDescription("kern", "srm"), ctx, "zwei Worte"),
        say(AskReference("kern", "srm", "zwei Worte"), ctx, "R-1"),
        say(AskDescription("kern", "idee"), ctx, "zwei Worte"),
        say(AskAnonymous("kern", "beschwerde", "zwei Worte"), ctx, "1"),
        say(Confirm("kern", "srm", "zwei Worte", None), ctx, action="confirm:no"),
    ]
    for result in results:
        assert_formatted(result)


# --- user text is shown literally -------------------------------------------------------------

MARKUP = "**fett** <b>x</b> \\"


def test_markup_in_the_description_is_escaped(config: OrgConfig) -> None:
    question = "Soll ich das so an FiBu – Debitorenbuchhaltung (GL 2.12) weitergeben?"
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
        ("idee", "Soll ich Ihre Idee an die Leitungen weitergeben?"),
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


# --- (de)serialising the state ---------------------------------------------------------------

SERIAL_STATES: list[IntakeState] = [
    AskGroup(),
    AskTopic(None),
    AskTopic("kern"),
    AskSubtopic(None, "srm"),
    AskSubtopic("f4", "srm"),
    PickAnswer(None, "kontierung"),
    PickAnswer("kern", "kontierung"),
    AskHelped(None, "formulare", "formulare"),
    AskHelped("f4", "srm.bestellung", "srm-genehmigungsstatus"),
    AskDescription(None, "debitoren"),
    AskDescription("kern", "debitoren"),
    AskReference(None, "debitoren", DESCRIPTION),
    AskReference("kern", "debitoren", MARKUP),
    AskAnonymous(None, "beschwerde", COMPLAINT),
    AskAnonymous("kern", "beschwerde", COMPLAINT),
    Confirm(None, "debitoren", DESCRIPTION, None),
    Confirm("kern", "debitoren", DESCRIPTION, "RE-1"),
    Confirm("kern", "beschwerde", COMPLAINT, None, anonymous=True),
    Confirm(None, "beschwerde", COMPLAINT, None, anonymous=False),
    Confirm("kern", "idee", "Ideen mit Ümlauten und 🙂 Emoji"),
]


@pytest.mark.parametrize("state", SERIAL_STATES, ids=repr)
def test_state_round_trip_through_json(state: IntakeState) -> None:
    data = json.loads(json.dumps(dump_state(state)))
    assert data["kind"] == type(state).__name__
    restored = load_state(data)
    assert restored == state
    assert type(restored) is type(state)


def test_dump_state_is_flat_json() -> None:
    assert dump_state(AskGroup()) == {"kind": "AskGroup"}
    assert dump_state(AskTopic(None)) == {"kind": "AskTopic", "group": None}
    assert dump_state(Confirm("kern", "beschwerde", "a b", None, anonymous=True)) == {
        "kind": "Confirm",
        "group": "kern",
        "topic": "beschwerde",
        "description": "a b",
        "reference": None,
        "anonymous": True,
    }


def test_every_state_type_is_covered() -> None:
    assert len(STATE_TYPES) == 9
    assert {type(s) for s in SERIAL_STATES} == set(STATE_TYPES)
    dumped = [(type(s), dump_state(s)) for s in SERIAL_STATES]
    without_group = {cls for cls, data in dumped if "group" in data and data["group"] is None}
    with_group = {cls for cls, data in dumped if data.get("group") is not None}
    assert without_group == with_group == set(STATE_TYPES) - {AskGroup}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "Nope"},
        {"kind": None},
        {"kind": "askgroup"},
        {"kind": "IntakeState"},
        {"group": "kern"},
        {"kind": "AskTopic"},
        {"kind": "AskTopic", "groupp": "kern"},
        {"kind": "AskTopic", "group": 5},
        {"kind": "AskTopic", "group": True},
        {"kind": "AskSubtopic", "group": "kern"},
        {"kind": "AskSubtopic", "group": "kern", "parent": None},
        {"kind": "PickAnswer", "group": "kern", "topic": ["kontierung"]},
        {"kind": "AskHelped", "group": "kern", "topic": "formulare"},
        {"kind": "AskHelped", "group": "kern", "topic": "formulare", "entry": None},
        {"kind": "AskDescription", "group": ["kern"], "topic": "haushalt"},
        {"kind": "AskDescription", "group": "kern", "topic": 1.5},
        {"kind": "AskReference", "group": "kern", "topic": "haushalt"},
        {"kind": "AskReference", "group": "kern", "topic": "haushalt", "description": None},
        {"kind": "AskAnonymous", "group": "kern", "topic": "beschwerde", "description": {}},
        # Confirm without one of its fields, or with a field of the wrong type
        {"kind": "Confirm", "group": "kern", "topic": "haushalt", "description": "x"},
        {
            "kind": "Confirm",
            "group": "kern",
            "topic": "haushalt",
            "description": "x",
            "reference": 1,
            "anonymous": False,
        },
        {
            "kind": "Confirm",
            "group": "kern",
            "topic": "haushalt",
            "description": "x",
            "reference": None,
            "anonymous": "yes",
        },
        {
            "kind": "Confirm",
            "group": "kern",
            "topic": "haushalt",
            "description": "x",
            "reference": None,
            "anonymous": 1,
        },
        {
            "kind": "Confirm",
            "group": "kern",
            "topic": "haushalt",
            "description": "x",
            "reference": None,
            "anonymous": None,
        },
        [],
        ["AskGroup"],
        "AskGroup",
        None,
        42,
    ],
    ids=repr,
)
def test_load_state_of_garbage_is_none(data: object) -> None:
    assert load_state(data) is None


def test_load_state_ignores_extra_keys() -> None:
    data = {"kind": "AskTopic", "group": "kern", "version": 2}
    assert load_state(data) == AskTopic("kern")
    assert load_state({"kind": "AskTopic", "group": None}) == AskTopic(None)


@pytest.mark.parametrize(
    ("state", "current"),
    [
        (AskHelped("f4", "haushalt", "srm-genehmigungsstatus"), True),
        (AskHelped("f4", "haushalt", "removed-entry"), False),
        (AskDescription(None, "removed-topic"), False),
        (AskSubtopic(None, "removed-topic"), False),
        (AskTopic("removed-group"), False),
        (AskTopic(None), True),
        (AskGroup(), True),
    ],
)
def test_a_state_is_current_while_the_config_knows_what_it_names(
    config: OrgConfig, state: IntakeState, current: bool
) -> None:
    assert is_current(state, config) is current


def test_show_answer_of_a_removed_entry_raises_a_key_error(config: OrgConfig) -> None:
    with pytest.raises(KeyError):
        step(AskHelped(None, "haushalt", "removed-entry"), UserInput("vielleicht"), de(config))


@pytest.mark.parametrize(("group", "asked"), [(None, AskGroup()), ("f4", AskTopic("f4"))])
def test_restart_says_the_menu_changed_and_asks_again(
    config: OrgConfig, group: str | None, asked: IntakeState
) -> None:
    result = restart(de(config, group))
    assert result.state == asked and result.effects == ()
    assert result.notices[0].text == "Das Menü hat sich geändert, bitte wählen Sie neu."
    assert result.notices[1].choices
    assert restart(en(config, group)).notices[0].text.startswith("The menu has changed")
