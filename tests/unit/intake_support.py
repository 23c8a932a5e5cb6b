"""Shared pieces of the intake dialog tests (tests/unit/test_intake_*.py).

The sample inputs, the German catalogue texts that several test modules expect, and small
helpers that drive the dialog as a pure function (`say`) and read its notices. Expected texts
are written out by hand (not looked up with t()), so a changed catalogue or sample config
shows up in the tests as a failure to review.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.config.model import OrgConfig
from bot.kernel.notices import Notice
from dialogs.intake import Context, StepResult, UserInput, step
from dialogs.intake_states import AskHelped, IntakeState

YES_NO_BACK = ["confirm:yes", "confirm:no", "back"]
DESCRIPTION = "Die Forderung 4711 wurde doppelt gebucht, bitte prüfen."
COMPLAINT = "Ich wurde am Telefon unfreundlich behandelt."
IDEA = "Bitte bietet mehr Schulungen zu SAP SRM an."


# German catalogue texts, written out.
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


# The first-level answer of knowledge entry srm-genehmigungsstatus for group F4.
SRM_STATUS_F4_DE = (
    "Bei den Einrichtungen F4 genehmigen die Budgetverantwortlichen des Fachbereichs F4. Den "
    "Status sehen Sie in SAP SRM unter „Einkaufswagen prüfen“ (Handbuch F4, Kapitel "
    "„Bestellen“)."
)


# The question after that answer: did it help?
HELPED_STATE = AskHelped("f4", "srm.bestellung", "srm-genehmigungsstatus")


# User text with markup characters, which must be shown literally.
MARKUP = "**fett** <b>x</b> \\"


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
