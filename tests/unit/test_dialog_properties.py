"""Properties of the intake dialog under arbitrary input (hypothesis).

Whatever a user types or presses, in whatever state: no exception escapes `step`, every
input gets an answer (a notice, or an effect that the runner or service answers), and the
next state survives the dialog store (dump_state/load_state, through JSON) and names only
ids the configuration knows, so the next turn cannot trip over it either.
"""

from __future__ import annotations

import json
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.kernel.notices import Choice
from dialogs import intake_prompts as p
from dialogs.intake import (
    Context,
    OpenTicket,
    RecordAnswerFeedback,
    RecordProposal,
    RememberGroup,
    StepResult,
    UserInput,
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

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def sample() -> OrgConfig:
    """The sample organisation, loaded once (hypothesis and function fixtures do not mix)."""
    return load_config(None)


CONFIG = sample()
GROUP_IDS = [group.id for group in CONFIG.customer_groups]
TOPIC_IDS = [topic.id for topic in CONFIG.topics]
ENTRY_IDS = [entry.id for entry in CONFIG.knowledge]
KINDS = {topic.id: topic.kind for topic in CONFIG.topics}
PARENTS = [topic.id for topic in CONFIG.topics if CONFIG.subtopics(topic.id)]
REQUESTS = [topic for topic, kind in KINDS.items() if kind == "request"]
COMPLAINTS = [topic for topic, kind in KINDS.items() if kind == "complaint"]
PROPOSALS = [topic for topic, kind in KINDS.items() if kind in ("idea", "round_table")]


def _entries(topic: str) -> list[str]:
    return [entry.id for entry in p.knowledge_for(topic, Context(CONFIG, "de"))]


# What the dialog can show: the answer of an entry under a topic; a menu of several.
SHOWN = [(topic, entry) for topic in REQUESTS for entry in _entries(topic)]
MENUS = [topic for topic in REQUESTS if len(_entries(topic)) > 1]

# Every choice id the sample offers somewhere, plus the dialog's fixed ones.
CHOICE_IDS = sorted(
    {"back", "cancel", "confirm:yes", "confirm:no", "group:change", p.NOT_LISTED}
    | {f"group:{group}" for group in GROUP_IDS}
    | {f"topic:{topic}" for topic in TOPIC_IDS}
    | {f"answer:{entry}" for entry in ENTRY_IDS}
)


def test_the_sample_offers_what_the_strategies_need() -> None:
    # Guards against vacuous strategies if the sample config shrinks.
    assert len(GROUP_IDS) == 8
    assert PARENTS == ["kreditoren", "srm", "elkabu"]
    assert COMPLAINTS == ["beschwerde"]
    assert PROPOSALS == ["idee", "runder_tisch"]
    assert MENUS == ["kontierung", "belegstand", "srm", "srm.wareneingang", "elkabu.abschluss"]
    assert ("srm.bestellung", "srm-genehmigungsstatus") in SHOWN
    assert len(CHOICE_IDS) == 6 + 8 + 19 + 12


groups = st.sampled_from([None, *GROUP_IDS])
words = st.text(max_size=80)
descriptions = st.text(min_size=1, max_size=300).filter(lambda text: len(text.split()) >= 2)

states: st.SearchStrategy[IntakeState] = st.one_of(
    st.just(AskGroup()),
    st.builds(AskTopic, groups),
    st.builds(AskSubtopic, groups, st.sampled_from(PARENTS)),
    st.builds(PickAnswer, groups, st.sampled_from(MENUS)),
    st.builds(lambda group, shown: AskHelped(group, *shown), groups, st.sampled_from(SHOWN)),
    st.builds(AskDescription, groups, st.sampled_from(TOPIC_IDS)),
    st.builds(AskReference, groups, st.sampled_from(REQUESTS), descriptions),
    st.builds(AskAnonymous, groups, st.sampled_from(COMPLAINTS), descriptions),
    st.builds(
        Confirm,
        groups,
        st.sampled_from(TOPIC_IDS),
        descriptions,
        st.none() | words,
        st.booleans(),
    ),
)

# What users send: anything, the dialog's own words and numbers, huge texts and numbers.
MEANINGFUL = [
    "ja",
    "Ja.",
    "nein",
    "yes",
    "no",
    "j",
    "n",
    "-",
    "zurück",
    "back",
    "abbrechen",
    "cancel",
    "stop",
    "Allgemein",
    "Meine Frage ist nicht dabei",
    "Kundengruppe ändern",
    "Beschwerde",
    "kern",
    "f4",
    "srm",
    "²",
    "٣",
    "0",
    "-1",
    "1.",
    "🙂 🙂",
    "**fett** <b>x</b> \\",
    "{team}",
    "\x00",
    "\n\n",
]
texts = st.one_of(
    st.sampled_from(MEANINGFUL),
    st.integers(min_value=-3, max_value=25).map(str),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=3000),
    st.text(alphabet="0123456789", min_size=1, max_size=3000),
    st.integers(min_value=4000, max_value=20000).map(lambda n: "7" * n),  # int() refuses
    st.text(alphabet=" \t\n\u00a0\u2003", max_size=20),
    st.lists(st.sampled_from(["Rechnung", "🙂", "4711", "bitte", "prüfen"]), max_size=8).map(
        " ".join
    ),
)
actions = st.one_of(st.none(), st.sampled_from(CHOICE_IDS), st.text(max_size=30))
inputs = st.builds(UserInput, texts, actions)
contexts = st.builds(Context, st.just(CONFIG), st.sampled_from(["de", "en", "fr"]), groups)


def assert_valid(state: IntakeState) -> None:
    """Only ids the configuration knows: the next turn can use the state as it is."""
    data = dump_state(state)
    assert data.get("group") in (None, *GROUP_IDS)
    if isinstance(state, AskSubtopic):
        assert state.parent in PARENTS
    if "topic" in data:
        assert data["topic"] in TOPIC_IDS
    if isinstance(state, AskHelped):
        assert (state.topic, state.entry) in SHOWN
    if isinstance(state, AskAnonymous | AskReference):
        assert len(state.description.split()) >= 2
    assert type(state) in STATE_TYPES


def assert_answered(result: StepResult) -> None:
    assert result.notices or result.effects, "every input gets an answer"
    for notice in result.notices:
        assert notice.text.strip()
    if result.state is not None:
        assert_valid(result.state)
        stored = json.loads(json.dumps(dump_state(result.state)))
        assert load_state(stored) == result.state


@SETTINGS
@given(state=states, user=inputs, ctx=contexts)
def test_every_input_in_every_state_is_answered(
    state: IntakeState, user: UserInput, ctx: Context
) -> None:
    result = step(state, user, ctx)
    assert_answered(result)
    for effect in result.effects:
        # Each effect comes only from the step that may cause it.
        if isinstance(effect, RememberGroup):
            assert isinstance(state, AskGroup)
            assert effect.group in GROUP_IDS
        elif isinstance(effect, OpenTicket):
            assert isinstance(state, Confirm)
            assert KINDS[state.topic] in ("request", "complaint")
            assert effect.request.topic_id == state.topic
            assert effect.request.description == state.description
            assert effect.request.anonymous is state.anonymous
        elif isinstance(effect, RecordProposal):
            assert isinstance(state, Confirm)
            assert effect.kind == KINDS[state.topic]
            assert effect.text == state.description
        elif isinstance(effect, RecordAnswerFeedback):
            assert isinstance(state, AskHelped)
            assert (effect.topic, effect.entry) == (state.topic, state.entry)
    if result.state is None and not result.effects:
        assert len(result.notices) == 1  # cancelled or discarded: one message


@SETTINGS
@given(state=states, ctx=contexts, text=texts)
def test_cancel_and_back_always_work(state: IntakeState, ctx: Context, text: str) -> None:
    cancelled = step(state, UserInput(text=text, action_id="cancel"), ctx)
    assert cancelled.state is None
    assert cancelled.effects == ()
    assert len(cancelled.notices) == 1
    went_back = step(state, UserInput(text=text, action_id="back"), ctx)
    assert went_back.state is not None
    assert went_back.effects == ()
    assert len(went_back.notices) == 1
    assert_answered(went_back)


@SETTINGS
@given(ctx=contexts, turns=st.lists(inputs, min_size=1, max_size=12))
def test_whole_conversations_never_get_stuck(ctx: Context, turns: list[UserInput]) -> None:
    """From the greeting on, a sequence of inputs; an ended dialog starts again."""
    result = start(ctx)
    assert_answered(result)
    for user in turns:
        state = result.state
        result = start(ctx) if state is None else step(state, user, ctx)
        assert_answered(result)


@SETTINGS
@given(
    ctx=contexts,
    topic=st.sampled_from([*COMPLAINTS, *PROPOSALS, *REQUESTS]),
    text=texts,
)
def test_start_with_topic_is_answered(ctx: Context, topic: str, text: str) -> None:
    result = start_with_topic(ctx, topic, text)
    assert_answered(result)
    assert not any(isinstance(effect, OpenTicket | RecordProposal) for effect in result.effects)


@SETTINGS
@given(ctx=contexts)
def test_start_is_answered(ctx: Context) -> None:
    result = start(ctx)
    assert_answered(result)
    assert len(result.notices) == 2
    expected = AskGroup() if ctx.known_group is None else AskTopic(ctx.known_group)
    assert result.state == expected


def every_state() -> list[IntakeState]:
    """Every valid state of the sample (for one description), with and without group."""
    found: list[IntakeState] = [AskGroup()]
    for group in (None, "kern", "lieferanten"):
        found.append(AskTopic(group))
        found += [AskSubtopic(group, parent) for parent in PARENTS]
        found += [PickAnswer(group, topic) for topic in MENUS]
        found += [AskHelped(group, topic, entry) for topic, entry in SHOWN]
        found += [AskDescription(group, topic) for topic in TOPIC_IDS]
        found += [AskReference(group, topic, "zwei Worte") for topic in REQUESTS]
        found += [AskAnonymous(group, topic, "zwei Worte") for topic in COMPLAINTS]
        found += [Confirm(group, topic, "zwei Worte", "R-1") for topic in TOPIC_IDS]
        found += [Confirm(group, topic, "zwei Worte", None, True) for topic in COMPLAINTS]
    return found


def test_every_offered_choice_of_every_state_works_typed_and_pressed() -> None:
    """Exhaustive: each button of each menu pressed, typed by number, label and prefix."""
    checked = 0
    for locale in ("de", "en"):
        ctx = Context(CONFIG, locale, None)
        for state in every_state():
            menu: tuple[Choice, ...] = ()
            if not isinstance(state, AskDescription | AskReference):  # free text there
                again = step(state, UserInput(text="???"), ctx)
                assert again.state == state
                menu = again.notices[-1].choices
                assert menu
            typed = [str(number) for number in range(len(menu) + 3)]
            typed += [choice.label for choice in menu]
            typed += [choice.label[:4] for choice in menu]
            for text in typed:
                assert_answered(step(state, UserInput(text=text), ctx))
                checked += 1
            for choice in menu:
                result = step(state, UserInput(text=choice.label, action_id=choice.id), ctx)
                assert_answered(result)
                if choice.id == "back":
                    assert result == step(state, UserInput(text="zurück"), ctx)
                checked += 1
    assert checked > 1000
