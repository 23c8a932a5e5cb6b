"""The intake dialog as a pure function: states, notices and effects, without a database."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.notices import Notice
from bot.service.tickets import NewRequest
from dialogs.intake import (
    MAX_DESCRIPTION,
    Context,
    Effect,
    OpenTicket,
    RememberGroup,
    StepResult,
    UserInput,
    start,
    step,
)
from dialogs.intake_states import (
    AskDescription,
    AskGroup,
    AskReference,
    AskSubtopic,
    AskTopic,
    Confirm,
    IntakeState,
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
DESCRIPTION = "Die Rechnung 4711 wurde noch nicht bezahlt, bitte prüfen."


def de(config: OrgConfig, group: str | None = None) -> Context:
    return Context(config, "de", group)


def en(config: OrgConfig, group: str | None = None) -> Context:
    return Context(config, "en", group)


def say(state: IntakeState, ctx: Context, text: str = "", action: str | None = None) -> StepResult:
    return step(state, UserInput(text=text, action_id=action), ctx)


def choice_ids(notice: Notice) -> list[str]:
    return [c.id for c in notice.choices]


def all_texts(notices: Iterable[Notice]) -> list[str]:
    texts: list[str] = []
    for notice in notices:
        texts.append(notice.text)
        texts += [f.label for f in notice.facts] + [f.value for f in notice.facts]
        texts += [c.label for c in notice.choices]
    return texts


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
    assert greeting.text == t("intake.greeting", "de")
    assert greeting.text.startswith("Guten Tag!")
    assert question.text == t("intake.ask_group", "de")
    assert choice_ids(question) == GROUPS
    assert question.choices[2].label == "Kernbereich Verwaltung (KERN)"
    assert_formatted(result)


def test_start_with_known_group_skips_the_group_question(config: OrgConfig) -> None:
    result = start(de(config, "f4"))
    assert result.state == AskTopic("f4")
    assert result.effects == ()
    greeting, question = result.notices
    assert greeting.text == t("intake.greeting", "de")
    assert question.text == t("intake.ask_topic", "de")
    assert choice_ids(question) == TOP_LEVEL_TOPICS
    assert question.choices[-1].label == "Kundengruppe ändern"


# --- the happy path ----------------------------------------------------------------------


def test_happy_path_creates_the_ticket(config: OrgConfig) -> None:
    ctx = de(config)
    effects: list[Effect] = []

    result = start(ctx)
    assert isinstance(result.state, AskGroup)

    result = say(result.state, ctx, "kern")
    assert result.state == AskTopic("kern")
    effects += result.effects
    (question,) = result.notices
    assert choice_ids(question) == TOP_LEVEL_TOPICS

    result = say(result.state, ctx, action="topic:kreditoren")
    # Kreditoren has a sub-topic; "1" takes the general topic itself.
    assert result.state == AskSubtopic("kern", "kreditoren")
    result = say(result.state, ctx, "1")
    assert result.state == AskDescription("kern", "kreditoren")
    assert [n.text for n in result.notices] == [t("intake.ask_description", "de")]

    result = say(result.state, ctx, f"  {DESCRIPTION}  ")
    assert result.state == AskReference("kern", "kreditoren", DESCRIPTION)
    assert [n.text for n in result.notices] == [t("intake.ask_reference", "de")]

    result = say(result.state, ctx, " RE-2026-4711 ")
    assert result.state == Confirm("kern", "kreditoren", DESCRIPTION, "RE-2026-4711")
    (confirm,) = result.notices
    assert confirm.text.startswith("Soll ich das so an FiBu – Kreditorenbuchhaltung (GL 2.12)")
    assert DESCRIPTION in confirm.text
    assert [(f.label, f.value) for f in confirm.facts] == [
        ("Kundengruppe", "Kernbereich Verwaltung (KERN)"),
        ("Thema", "Kreditoren / Rechnungen, Zahlungen an Lieferanten"),
        ("Team", "FiBu – Kreditorenbuchhaltung (GL 2.12)"),
        ("Referenz", "RE-2026-4711"),
    ]
    assert choice_ids(confirm) == ["confirm:yes", "confirm:no"]
    assert_formatted(result)

    result = say(result.state, ctx, "ja")
    assert result.state is None
    assert result.notices == ()
    effects += result.effects

    assert effects == [
        RememberGroup("kern"),
        OpenTicket(NewRequest("kreditoren", "kern", DESCRIPTION, "RE-2026-4711")),
    ]


@pytest.mark.parametrize(
    ("text", "action"), [("1", None), ("Ja, absenden", None), ("", "confirm:yes"), ("yes", None)]
)
def test_every_way_to_say_yes(config: OrgConfig, text: str, action: str | None) -> None:
    state = Confirm("f4", "haushalt", DESCRIPTION, None)
    result = say(state, de(config), text, action)
    assert result.state is None
    assert result.effects == (OpenTicket(NewRequest("haushalt", "f4", DESCRIPTION, None)),)


def test_pressing_a_topic_without_subtopics_asks_for_the_description(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), de(config), "Budget")
    assert result.state == AskDescription("kern", "haushalt")
    assert result.effects == ()


def test_group_by_button(config: OrgConfig) -> None:
    result = say(AskGroup(), de(config), action="group:lieferanten")
    assert result.state == AskTopic("lieferanten")
    assert result.effects == (RememberGroup("lieferanten"),)


# --- sub-topics --------------------------------------------------------------------------


def test_topic_with_subtopics_asks_for_one(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), de(config), action="topic:srm")
    assert result.state == AskSubtopic("kern", "srm")
    (question,) = result.notices
    assert question.text == t("intake.ask_subtopic", "de", topic="SAP SRM / Bestellungen")
    assert "SAP SRM / Bestellungen" in question.text
    assert choice_ids(question) == [
        "topic:srm",
        "topic:srm.bestellung",
        "topic:srm.wareneingang",
        "back",
    ]
    assert [c.label for c in question.choices][-1] == "zurück"


@pytest.mark.parametrize(
    ("text", "action", "topic"),
    [
        ("2", None, "srm.bestellung"),
        ("Wareneingang", None, "srm.wareneingang"),
        ("", "topic:srm.bestellung", "srm.bestellung"),
        ("1", None, "srm"),
    ],
)
def test_choosing_a_subtopic(config: OrgConfig, text: str, action: str | None, topic: str) -> None:
    result = say(AskSubtopic("f4", "srm"), de(config), text, action)
    assert result.state == AskDescription("f4", topic)


@pytest.mark.parametrize(("text", "action"), [("zurück", None), ("4", None), ("", "back")])
def test_back_returns_to_the_topic_menu(config: OrgConfig, text: str, action: str | None) -> None:
    result = say(AskSubtopic("f4", "srm"), de(config), text, action)
    assert result.state == AskTopic("f4")
    (question,) = result.notices
    assert choice_ids(question) == TOP_LEVEL_TOPICS
    assert result.effects == ()


def test_subtopic_routes_to_its_own_team(config: OrgConfig) -> None:
    result = say(AskReference("kern", "elkabu.abschluss", DESCRIPTION), de(config), "-")
    (confirm,) = result.notices
    assert ("Team", "elKabu-Systemteam (ZIB)") in [(f.label, f.value) for f in confirm.facts]


# --- changing the group ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action"),
    [("Kundengruppe ändern", None), ("kundengruppe", None), ("16", None), ("", "group:change")],
)
def test_change_group_returns_to_the_group_question(
    config: OrgConfig, text: str, action: str | None
) -> None:
    result = say(AskTopic("kern"), de(config, "kern"), text, action)
    assert result.state == AskGroup()
    (question,) = result.notices
    assert choice_ids(question) == GROUPS
    assert result.effects == ()
    after = say(result.state, de(config, "kern"), "f4")
    assert after.state == AskTopic("f4")
    assert after.effects == (RememberGroup("f4"),)


# --- not understood ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "question_key"),
    [
        (AskGroup(), "intake.ask_group"),
        (AskTopic("kern"), "intake.ask_topic"),
        (AskSubtopic("kern", "srm"), "intake.ask_subtopic"),  # with topic=the parent's name
        (Confirm("kern", "haushalt", DESCRIPTION, None), None),
    ],
    ids=["group", "topic", "subtopic", "confirm"],
)
@pytest.mark.parametrize("text", ["Quatsch", "99", "", "0"])
def test_not_understood_keeps_the_state_and_asks_again(
    config: OrgConfig, state: IntakeState, question_key: str | None, text: str
) -> None:
    result = say(state, de(config), text)
    assert result.state == state
    assert result.effects == ()
    assert len(result.notices) == 2
    complaint, question = result.notices
    assert complaint.text == t("intake.not_understood", "de")
    assert question.choices, "the question is asked again, with its choices"
    if question_key is not None:
        assert question.text == t(question_key, "de", topic="SAP SRM / Bestellungen")
    else:
        assert choice_ids(question) == ["confirm:yes", "confirm:no"]


def test_unknown_button_is_not_understood(config: OrgConfig) -> None:
    result = say(AskTopic("kern"), de(config), "Budget", "topic:kreditoren.mahnung")
    assert result.state == AskTopic("kern")
    assert result.notices[0].text == t("intake.not_understood", "de")


# --- description and reference -----------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "Hilfe", "  Rechnung!  "])
def test_too_short_description_keeps_the_state(config: OrgConfig, text: str) -> None:
    state = AskDescription("kern", "haushalt")
    result = say(state, de(config), text)
    assert result.state == state
    assert [n.text for n in result.notices] == [t("intake.too_short", "de")]
    assert result.effects == ()


def test_two_words_are_enough(config: OrgConfig) -> None:
    result = say(AskDescription("kern", "haushalt"), de(config), "Budget fehlt")
    assert result.state == AskReference("kern", "haushalt", "Budget fehlt")


def test_long_description_is_cut(config: OrgConfig) -> None:
    text = "wort " * 2000
    result = say(AskDescription("kern", "haushalt"), de(config), text)
    assert isinstance(result.state, AskReference)
    assert len(result.state.description) == MAX_DESCRIPTION
    assert result.state.description == text.strip()[:MAX_DESCRIPTION]


@pytest.mark.parametrize("text", ["-", " - ", "", "–", "keine", "nein", "no", "none"])
def test_no_reference(config: OrgConfig, text: str) -> None:
    result = say(AskReference("kern", "haushalt", DESCRIPTION), de(config), text)
    assert result.state == Confirm("kern", "haushalt", DESCRIPTION, None)
    (confirm,) = result.notices
    assert "Referenz" not in [f.label for f in confirm.facts]


def test_long_reference_is_cut(config: OrgConfig) -> None:
    result = say(AskReference("kern", "haushalt", DESCRIPTION), de(config), "R" * 300)
    assert isinstance(result.state, Confirm)
    assert result.state.reference == "R" * 255


# --- confirmation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action"), [("2", None), ("nein", None), ("Nein, verwerfen", None), ("", "confirm:no")]
)
def test_confirm_no_discards(config: OrgConfig, text: str, action: str | None) -> None:
    result = say(Confirm("kern", "haushalt", DESCRIPTION, "RE-1"), de(config), text, action)
    assert result.state is None
    assert result.effects == ()
    assert [n.text for n in result.notices] == [t("intake.cancelled", "de")]


def test_complaint_confirmation_never_goes_into_a_channel(config: OrgConfig) -> None:
    assert config.topic("beschwerde").confidential
    ctx = de(config, "kern")
    result = say(AskTopic("kern"), ctx, "Beschwerde")
    assert result.state == AskDescription("kern", "beschwerde")
    result = say(result.state, ctx, "Ich wurde am Telefon unfreundlich behandelt.")
    assert isinstance(result.state, AskReference)
    result = say(result.state, ctx, "-")
    assert isinstance(result.state, Confirm)
    (confirm,) = result.notices
    assert "unfreundlich" in confirm.text
    assert confirm.channel_safe is False
    final = say(result.state, ctx, "1")
    assert final.effects == (
        OpenTicket(
            NewRequest("beschwerde", "kern", "Ich wurde am Telefon unfreundlich behandelt.", None)
        ),
    )


# --- English -----------------------------------------------------------------------------


def test_english_locale_speaks_english(config: OrgConfig) -> None:
    ctx = en(config)
    result = start(ctx)
    greeting, question = result.notices
    assert greeting.text == t("intake.greeting", "en")
    assert greeting.text.startswith("Hello!")
    assert question.choices[2].label == "Core administration (KERN)"

    result = say(AskTopic("kern"), ctx, "Budget")
    assert result.state == AskDescription("kern", "haushalt")
    assert result.notices[0].text == "Please describe your request in a few sentences."

    result = say(AskTopic("kern"), ctx, "nonsense")
    assert result.notices[0].text.startswith("I did not understand")
    assert result.notices[1].choices[-1].label == "change customer group"

    result = say(AskSubtopic("kern", "srm"), ctx, "back")
    assert result.state == AskTopic("kern")

    result = say(AskReference("kern", "haushalt", DESCRIPTION), ctx, "-")
    (confirm,) = result.notices
    assert confirm.text.startswith("Shall I pass this on to Budget?")
    assert [f.label for f in confirm.facts] == ["Customer group", "Topic", "Team"]
    assert [c.label for c in confirm.choices] == ["Yes, send", "No, discard"]
    assert_formatted(result)

    result = say(Confirm("kern", "haushalt", DESCRIPTION, None), ctx, "no")
    assert result.state is None
    assert result.notices[0].text.startswith("All right, nothing was passed on.")


@pytest.mark.parametrize("locale", ["de", "en"])
def test_no_notice_shows_a_raw_placeholder(config: OrgConfig, locale: str) -> None:
    ctx = Context(config, locale, None)
    results = [
        start(ctx),
        say(AskGroup(), ctx, "x"),
        say(AskTopic("kern"), ctx, "x"),
        say(AskTopic("kern"), ctx, action="topic:srm"),
        say(AskSubtopic("kern", "srm"), ctx, "x"),
        say(AskDescription("kern", "srm"), ctx, "x"),
        say(AskDescription("kern", "srm"), ctx, "zwei Worte"),
        say(AskReference("kern", "srm", "zwei Worte"), ctx, "R-1"),
        say(Confirm("kern", "srm", "zwei Worte", None), ctx, "x"),
        say(Confirm("kern", "srm", "zwei Worte", None), ctx, action="confirm:no"),
    ]
    for result in results:
        assert_formatted(result)


# --- (de)serialising the state -----------------------------------------------------------

ALL_STATES: list[IntakeState] = [
    AskGroup(),
    AskTopic("kern"),
    AskSubtopic("f4", "srm"),
    AskDescription("kern", "haushalt"),
    AskReference("kern", "haushalt", DESCRIPTION),
    Confirm("kern", "haushalt", DESCRIPTION, "RE-1"),
    Confirm("kern", "haushalt", DESCRIPTION, None),
]


@pytest.mark.parametrize("state", ALL_STATES, ids=lambda s: type(s).__name__)
def test_state_round_trip_through_json(state: IntakeState) -> None:
    data = json.loads(json.dumps(dump_state(state)))
    assert data["kind"] == type(state).__name__
    restored = load_state(data)
    assert restored == state
    assert type(restored) is type(state)


def test_every_state_type_is_covered() -> None:
    kinds = {type(s) for s in ALL_STATES}
    assert kinds == {AskGroup, AskTopic, AskSubtopic, AskDescription, AskReference, Confirm}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "Nope"},
        {"kind": None},
        {"kind": "askgroup"},
        {"group": "kern"},
        {"kind": "AskTopic"},
        {"kind": "AskTopic", "groupp": "kern"},
        {"kind": "AskTopic", "group": 5},
        {"kind": "AskTopic", "group": None},
        {"kind": "AskSubtopic", "group": "kern"},
        {"kind": "AskReference", "group": "kern", "topic": "haushalt"},
        {"kind": "Confirm", "group": "kern", "topic": "haushalt", "description": "x"},
        {
            "kind": "Confirm",
            "group": "kern",
            "topic": "haushalt",
            "description": "x",
            "reference": 1,
        },
        {"kind": "AskDescription", "group": ["kern"], "topic": "haushalt"},
        [],
        ["AskGroup"],
        "AskGroup",
        None,
        42,
    ],
)
def test_load_state_of_garbage_is_none(data: object) -> None:
    assert load_state(data) is None


def test_load_state_ignores_extra_keys() -> None:
    data = {"kind": "AskTopic", "group": "kern", "version": 2}
    assert load_state(data) == AskTopic("kern")
