"""The intake state as stored between messages.

Every state type round-trips through flat JSON, garbage loads as None, extra keys are
ignored; a stored state is current only while the config still knows the group, topic and
entry it names, and `restart` tells the user the menu changed and asks again.
"""

from __future__ import annotations

import json

import pytest

from bot.config.model import OrgConfig
from dialogs.intake import UserInput, is_current, restart, step
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
from tests.unit.intake_support import COMPLAINT, DESCRIPTION, MARKUP, de, en

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
    Confirm("kern", "debitoren", DESCRIPTION, "RE-1", description_event="$ev:1"),
    AskAnonymous("kern", "beschwerde", COMPLAINT, "$ev:2"),
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
        "description_event": None,
    }


def test_a_state_stored_before_description_events_loads_without_one() -> None:
    old = {"kind": "AskReference", "group": None, "topic": "debitoren", "description": "a b"}
    assert load_state(old) == AskReference(None, "debitoren", "a b")
    assert load_state({**old, "description_event": "$e1"}) == AskReference(
        None, "debitoren", "a b", "$e1"
    )


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


# --- a stored state after a config change -------------------------------------------------


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
