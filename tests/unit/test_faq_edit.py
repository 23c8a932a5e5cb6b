"""The FAQ edit dialog (dialogs/faq_edit.py) and the merge of accepted entries, pure.

Walked by hand for the ordinary paths, and under arbitrary input (hypothesis): whatever a
reviewer types or presses, no exception escapes `step`, every input is answered, the draft
survives the dialog store, names only customer groups the configuration knows, keeps
non-blank texts, and only "Annehmen" has an effect.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.service.faq import as_entry, merged
from dialogs import faq_edit as d
from dialogs.intake_prompts import Context, knowledge_for
from storage.models import FaqEntryRow

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def sample() -> OrgConfig:
    return load_config(None)


def ctx(locale: str = "de") -> Context:
    return Context(sample(), locale)


def begun() -> d.FaqDraft:
    started = d.start(7, "Frage?", "Antwort.", ("f4",), ctx())
    assert started.draft is not None and started.effect is None
    return started.draft


def test_keep_everything_and_accept() -> None:
    draft = begun()
    for press in (d.KEEP, d.KEEP, d.KEEP):
        result = d.step(draft, d.FaqInput(action_id=press), ctx())
        assert result.draft is not None and result.effect is None
        draft = result.draft
    assert draft.ask == "confirm"
    done = d.step(draft, d.FaqInput(action_id=d.ACCEPT), ctx())
    assert done.draft is None
    assert done.effect == d.AcceptEdited(7, "Frage?", "Antwort.", ("f4",))


def test_new_texts_and_several_groups_by_number() -> None:
    draft = begun()
    for typed in ("  Wie   bekomme ich Geld? ", "Mit Formular HH-7.\n\nDanke.", "3, 1"):
        result = d.step(draft, d.FaqInput(text=typed), ctx())
        assert result.draft is not None, typed
        draft = result.draft
    assert draft.question == "Wie bekomme ich Geld?"
    assert draft.answer == "Mit Formular HH-7.\n\nDanke."
    assert draft.groups == ("f1-f3", "kern")  # in config order
    done = d.step(draft, d.FaqInput(text="ja"), ctx())
    assert done.effect is not None and done.effect.groups == ("f1-f3", "kern")


def test_all_groups_one_group_and_bad_numbers() -> None:
    draft = d.FaqDraft(1, "Q", "A", ("f4",), ask="groups")
    every = d.step(draft, d.FaqInput(action_id=d.ALL), ctx()).draft
    assert every is not None and every.groups == () and every.ask == "confirm"
    one = d.step(draft, d.FaqInput(text="2"), ctx()).draft  # the menu's second line
    assert one is not None and one.groups == ("f4",)
    wrong = d.step(draft, d.FaqInput(text="1, 99"), ctx())
    assert wrong.draft == draft and "nicht verstanden" in wrong.notices[0].text


def test_back_and_cancel() -> None:
    draft = d.FaqDraft(1, "Q", "A", (), ask="answer")
    back = d.step(draft, d.FaqInput(text="zurück"), ctx()).draft
    assert back is not None and back.ask == "question"
    first = d.step(back, d.FaqInput(action_id=d.BACK), ctx()).draft
    assert first is not None and first.ask == "question"  # stays at the first question
    for ask in d.QUESTIONS:
        gone = d.step(d.FaqDraft(1, "Q", "A", (), ask=ask), d.FaqInput(text="Abbrechen"), ctx())
        assert gone.draft is None and gone.effect is None
        assert "wartet weiter auf Prüfung" in gone.notices[0].text


def test_a_blank_text_is_asked_again() -> None:
    draft = begun()
    again = d.step(draft, d.FaqInput(text="   "), ctx())
    assert again.draft == draft and len(again.notices) == 2


def test_foreign_states_are_not_read() -> None:
    assert d.FaqDraft.from_state({"ask": "caller"}) is None
    bad = {**begun().to_state(), "groups": "f4"}
    assert d.FaqDraft.from_state(bad) is None
    assert d.FaqDraft.from_state({**begun().to_state(), "question": " "}) is None


def _row(number: int, topic: str, groups: list[str]) -> FaqEntryRow:
    return FaqEntryRow(
        id=number,
        status="accepted",
        topic_id=topic,
        groups=groups,
        question=f"Frage {number}",
        answer=f"Antwort {number}",
        proposed_by="hh.weber",
        proposed_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def test_accepted_entries_join_the_seed_for_their_groups() -> None:
    config = sample()
    rows = [_row(1, "haushalt", ["f4"]), _row(2, "haushalt", []), _row(3, "gone", [])]
    for_f4 = merged(config, rows, "f4")
    assert [e.id for e in knowledge_for("haushalt", Context(for_f4, "de"))] == [
        "haushaltsmittel-verfuegbar",  # the seed first, unchanged
        "faq-1",
        "faq-2",
    ]
    for_kern = merged(config, rows, "kern")
    assert [e.id for e in for_kern.knowledge_for("haushalt")] == [
        "haushaltsmittel-verfuegbar",
        "faq-2",
    ]
    assert merged(config, [], "f4") is config
    everything = merged(config, rows, None, every_group=True)
    assert {"faq-1", "faq-2"} <= {e.id for e in everything.knowledge}
    f4 = config.customer_group("f4")
    assert as_entry(rows[0]).answer_for(f4).get("de") == "Antwort 1"


# --- arbitrary input ------------------------------------------------------------------
def _offered(draft: d.FaqDraft) -> list[str]:
    return [choice.id for choice in d.prompt(draft, ctx()).choices]


TYPED = st.one_of(
    st.sampled_from(["", " ", "ja", "nein", "zurück", "1", "2, 3", "1 9", "0", "99", "Keep"]),
    st.text(max_size=40),
)


@SETTINGS
@given(
    st.lists(st.tuples(st.booleans(), TYPED, st.integers(0, 20)), max_size=25),
    st.sampled_from(["de", "en"]),
)
def test_any_input_keeps_a_valid_draft(moves: list[tuple[bool, str, int]], locale: str) -> None:
    context = ctx(locale)
    known = [group.id for group in sample().customer_groups]
    result = d.start(3, "Frage?", "Antwort.", ("f4", "unbekannt"), context)
    draft = result.draft
    assert draft is not None and draft.groups == ("f4",)  # a group gone from the config: dropped
    for press, typed, pick in moves:
        offered = _offered(draft)
        action = offered[pick % len(offered)] if press and offered else None
        result = d.step(draft, d.FaqInput(text=typed, action_id=action), context)
        assert result.notices or result.effect is not None  # always answered
        if result.effect is not None:
            assert draft.ask == "confirm" and result.draft is None
            assert result.effect.question.strip() and result.effect.answer.strip()
        if result.draft is None:
            return
        draft = result.draft
        assert draft.ask in d.QUESTIONS
        assert draft.question.strip() and draft.answer.strip()
        assert list(draft.groups) == [g for g in known if g in draft.groups]  # known, ordered
        stored = json.loads(json.dumps(draft.to_state()))
        assert d.FaqDraft.from_state(stored) == draft


def test_a_button_typed_as_its_number_or_label() -> None:
    draft = begun()
    kept = d.step(draft, d.FaqInput(text="1"), ctx()).draft  # "1. Beibehalten" in a text chat
    assert kept is not None and (kept.ask, kept.question) == ("answer", "Frage?")
    kept = d.step(kept, d.FaqInput(text="beibehalten"), ctx()).draft
    assert kept is not None and (kept.ask, kept.answer) == ("groups", "Antwort.")
