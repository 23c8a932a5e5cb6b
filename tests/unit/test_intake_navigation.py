"""Back, cancel and input the intake dialog does not understand, from every state.

"zurück" (typed, as a menu number or pressed) leads to the previous question of every state
type, "abbrechen" ends the dialog from every state, unknown input keeps the state and asks
again, a too short description is asked for again, and no notice of these answers (German or
English) shows a raw catalogue placeholder.
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from dialogs.intake import Context, start
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
)
from tests.unit.intake_support import (
    ASK_ANONYMOUS_DE,
    ASK_GROUP_DE,
    ASK_REFERENCE_DE,
    ASK_TOPIC_DE,
    CANCELLED_DE,
    COMPLAINT,
    DESCRIBE_DE,
    DESCRIPTION,
    HELPED_DE,
    HELPED_STATE,
    IDEA,
    NOT_UNDERSTOOD_DE,
    PICK_ANSWER_DE,
    SRM_MENU_DE,
    SRM_STATUS_F4_DE,
    TOO_SHORT_DE,
    assert_formatted,
    de,
    en,
    labels,
    say,
    texts,
)

# German catalogue texts, written out.
KREDITOREN_MENU_DE = "Worum genau geht es bei „Kreditoren / Rechnungen, Zahlungen an Lieferanten“?"
ELKABU_MENU_DE = "Worum genau geht es bei „Elektronisches Kassenbuch (elKabu)“?"


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
    assert labels(question) == ["Yes, stay anonymous", "No, with my name", "back"]


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
        "Soll ich das so an Debitorenbuchhaltung weitergeben?\n\n" + DESCRIPTION,
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


# --- no raw placeholders ------------------------------------------------------------------


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
