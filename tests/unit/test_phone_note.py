"""The phone note (/telefon) as pure steps (dialogs/phone_note.py): named cases for each
question, the contact reader, and properties over any sequence of messages (hypothesis)."""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.domain.requests import PhoneCall
from bot.kernel.actions import button
from dialogs import phone_prompts as p
from dialogs.intake_prompts import Context
from dialogs.phone_contact import Contact, KnownUser, read_contact
from dialogs.phone_note import (
    QUESTIONS,
    PhoneInput,
    PhoneNote,
    PhoneStep,
    RecordCall,
    start,
    step,
)

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def sample() -> OrgConfig:
    return load_config(None)


CTX = Context(sample(), "de")
ANNA = KnownUser("matrix", "@anna:stadt.example", "Anna Schule", "de")


def run(*messages: str | PhoneInput) -> PhoneStep:
    """Feed typed texts or inputs to a fresh note."""
    result = start(CTX)
    for message in messages:
        assert result.note is not None, "the note ended early"
        user = PhoneInput(text=message) if isinstance(message, str) else message
        result = step(result.note, user, CTX)
    return result


def said(result: PhoneStep) -> str:
    return "\n".join(n.text for n in result.notices)


FULL = ("Frau Sommer", "1", "haushalt", "Mittel für Lehrmittel reichen nicht", "0221 1234567")


def test_a_whole_note_becomes_one_call_to_file() -> None:
    result = run(*FULL, PhoneInput(action_id=p.OPEN), "ja")
    assert result.note is None
    assert result.effect == RecordCall(
        PhoneCall(
            caller="Frau Sommer",
            customer_group_id="f1-f3",
            topic_id="haushalt",
            description="Mittel für Lehrmittel reichen nicht",
            contact_kind="phone",
            contact="02211234567",
            solved=False,
        )
    )


def test_solved_on_the_spot_is_part_of_the_call() -> None:
    result = run(*FULL, PhoneInput(action_id=p.SOLVED), PhoneInput(action_id=p.YES))
    assert isinstance(result.effect, RecordCall) and result.effect.call.solved


def test_a_known_chat_user_is_the_contact() -> None:
    result = run(*FULL[:4], PhoneInput(text="Anna Schule", known=ANNA))
    assert result.note is not None and result.note.contact == Contact(
        "chat", "@anna:stadt.example", "matrix", "Anna Schule"
    )
    assert "Anfrage an das Team" in "\n".join(c.label for n in result.notices for c in n.choices)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("niemand", "kennt die Hotline nicht"),
        ("12", "Telefonnummer scheint nicht"),
        ("+49 1234 5678 9012 3456", "Telefonnummer scheint nicht"),
        ("a@b", "E-Mail-Adresse scheint nicht"),
        ("", "Bitte geben Sie eine Telefonnummer"),
    ],
)
def test_bad_contacts_are_answered_politely_and_asked_again(typed: str, answer: str) -> None:
    result = run(*FULL[:4], typed)
    assert result.note is not None and result.note.ask == "contact"
    assert answer in said(result)
    assert result.effect is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+49 221 123-4567", Contact("phone", "+492211234567")),
        ("(0221) 12 34 56", Contact("phone", "0221123456")),
        ("Anna.Berger@Stadt.Example", Contact("email", "anna.berger@stadt.example")),
        ("@anna:stadt.example", "other"),
        ("anna.berger", "other"),
        ("1234", "bad_phone"),
        ("anna@stadt", "bad_email"),
    ],
)
def test_the_contact_reader(typed: str, expected: object) -> None:
    assert read_contact(typed) == expected


def test_back_goes_one_question_back_and_keeps_the_answers() -> None:
    result = run("Frau Sommer", "1", "zurück")
    assert result.note is not None and result.note.ask == "group"
    assert result.note.caller == "Frau Sommer"
    result = run("Frau Sommer", "zurück", "zurück")
    assert result.note is not None and result.note.ask == "caller"  # stays at the first


def test_cancel_ends_the_note_at_every_question() -> None:
    for answered in range(len(FULL) + 1):
        result = run(*FULL[:answered], "abbrechen")
        assert result.note is None and result.effect is None
        assert "verworfen" in said(result)


def test_no_at_the_summary_discards_and_nothing_is_filed() -> None:
    result = run(*FULL, PhoneInput(action_id=p.OPEN), "nein")
    assert result.note is None and result.effect is None


def test_the_summary_shows_the_contact_and_the_outcome() -> None:
    result = run(*FULL, PhoneInput(action_id=p.OPEN))
    (summary,) = result.notices
    facts = {fact.label: fact.value for fact in summary.facts}
    assert facts["Erreichbar"] == "02211234567"
    assert facts["Ergebnis"] == "Nein, Rückruf nötig"
    assert not summary.channel_safe


# --- properties --------------------------------------------------------------------------

GROUPS = [g.id for g in CTX.config.customer_groups]
TOPICS = [t.id for t in CTX.config.top_level_topics() if t.kind == "request"]
BUTTONS = [
    p.BACK,
    p.SOLVED,
    p.OPEN,
    p.YES,
    p.NO,
    "cancel",
    "claim:3",
    *(button("pgroup", g) for g in [*GROUPS, "none", "gibtsnicht"]),
    *(button("ptopic", t) for t in [*TOPICS, "beschwerde", "gibtsnicht"]),
]
WORDS = ["ja", "nein", "zurück", "abbrechen", "1", "99", "", "Frau Sommer", "0221 123456"]
inputs = st.one_of(
    st.builds(PhoneInput, text=st.sampled_from(WORDS) | st.text(max_size=30)),
    st.builds(PhoneInput, action_id=st.sampled_from(BUTTONS)),
    st.builds(PhoneInput, text=st.text(max_size=20), known=st.sampled_from([ANNA])),
)


@given(messages=st.lists(inputs, max_size=25))
@SETTINGS
def test_any_messages_keep_the_note_valid_and_every_input_answered(
    messages: list[PhoneInput],
) -> None:
    result = start(CTX)
    for user in messages:
        if result.note is None:
            break
        before = result.note
        result = step(before, user, CTX)
        assert result.notices or result.effect is not None  # every input is answered
        if result.note is not None:
            note = result.note
            assert note.ask in QUESTIONS
            stored = json.loads(json.dumps(note.to_state()))
            assert PhoneNote.from_state(stored) == note  # survives the dialog store
            assert note.group is None or note.group in GROUPS
            assert note.topic is None or note.topic in TOPICS
            # every question before the one asked now has its answer (the group may be
            # "not known")
            for question in QUESTIONS[: QUESTIONS.index(note.ask)]:
                if question != "group":
                    assert getattr(note, question) is not None, (question, note)
        if isinstance(result.effect, RecordCall):
            call = result.effect.call
            assert call.topic_id in TOPICS and call.caller and len(call.description.split()) >= 2
            assert call.contact_kind in ("phone", "email", "chat")
            assert result.note is None


def test_garbage_in_the_dialog_store_is_no_note() -> None:
    assert PhoneNote.from_state({}) is None
    assert PhoneNote.from_state({**PhoneNote().to_state(), "ask": "nope"}) is None
    assert PhoneNote.from_state({**PhoneNote().to_state(), "contact": {"kind": "fax"}}) is None
    assert PhoneNote.from_state({**PhoneNote().to_state(), "solved": "ja"}) is None


def test_the_note_speaks_english_to_english_staff() -> None:
    english = Context(sample(), "en")
    first = start(english)
    assert "Phone note" in said(first) and "Who called?" in said(first)
    assert first.note is not None
    asked = step(first.note, PhoneInput(text="Mrs Summer"), english)
    assert "customer group" in said(asked)
    assert "Not known" in [c.label for n in asked.notices for c in n.choices]
