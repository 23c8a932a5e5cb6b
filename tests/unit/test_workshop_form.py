"""The workshop feedback form as a pure step (dialogs/workshop_form.py): named cases, and
properties over any sequence of messages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.loader import load_config
from dialogs.workshop_form import (
    Ask,
    Cancelled,
    FormStep,
    Progress,
    Submit,
    is_form_button,
    start,
    step,
)

QUESTIONS = load_config(None).workshops.questions
WORKSHOP = 7


def run(*messages: str | tuple[str, str]) -> FormStep:
    """Feed typed texts (str) or presses ((label, action)) to a fresh form."""
    result = start(WORKSHOP)
    for message in messages:
        assert result.progress is not None, "the form ended early"
        text, action = (message, None) if isinstance(message, str) else message
        result = step(result.progress, QUESTIONS, text, action)
    return result


def test_a_fresh_form_asks_the_first_question() -> None:
    assert start(WORKSHOP) == FormStep(Progress(WORKSHOP, 0, {}), Ask(0))


def test_five_points_and_a_comment_submit_the_answers() -> None:
    result = run("5", "4", ("3 – teils", f"wsq:{WORKSHOP}:3"), "überwiegend", "2", "Mehr Pausen")
    assert result.progress is None
    assert result.effect == Submit(
        {
            "inhalte": 5,
            "vermittlung": 4,
            "praxis": 3,
            "rahmen": 4,
            "gesamt": 2,
            "anmerkungen": "Mehr Pausen",
        }
    )


def test_a_skipped_comment_is_stored_as_none() -> None:
    assert run("5", "5", "5", "5", "5", "-").effect == Submit(
        {"inhalte": 5, "vermittlung": 5, "praxis": 5, "rahmen": 5, "gesamt": 5, "anmerkungen": None}
    )


def test_a_number_outside_the_scale_asks_again_and_keeps_the_answers() -> None:
    result = run("4", "9")
    assert result.effect == Ask(1, invalid="scale")
    assert result.progress == Progress(WORKSHOP, 1, {"inhalte": 4})


def test_back_forgets_the_answer_of_the_question_it_returns_to() -> None:
    result = run("4", "3", "zurück")
    assert result.effect == Ask(1)
    assert result.progress == Progress(WORKSHOP, 1, {"inhalte": 4})
    assert run("zurück").effect == Ask(0)  # at the first question: asked again


def test_cancel_ends_the_form_without_answers() -> None:
    assert run("4", "abbrechen") == FormStep(None, Cancelled())


def test_only_this_forms_buttons_are_its_own() -> None:
    progress = Progress(WORKSHOP, 0, {})
    assert is_form_button(progress, f"wsq:{WORKSHOP}:4")
    assert not is_form_button(progress, "wsq:8:4")
    assert not is_form_button(progress, "topic:haushalt")
    assert not is_form_button(progress, f"wsq:{WORKSHOP}")


MESSAGES = st.one_of(
    st.sampled_from(["1", "5", "0", "9", "überwiegend", "-", "zurück", "abbrechen", "", "Gut"]),
    st.integers(0, 7).map(lambda value: ("", f"wsq:{WORKSHOP}:{value}")),
    st.text(max_size=12),
)


@settings(max_examples=300)
@given(st.lists(MESSAGES, max_size=20))
def test_the_form_never_loses_its_place_or_invents_answers(
    messages: list[str | tuple[str, str]],
) -> None:
    result = start(WORKSHOP)
    for message in messages:
        if result.progress is None:
            break
        before = result.progress
        text, action = (message, None) if isinstance(message, str) else message
        result = step(before, QUESTIONS, text, action)
        after, effect = result.progress, result.effect
        if after is None:
            assert isinstance(effect, Submit | Cancelled)
            if isinstance(effect, Submit):  # every question answered, nothing else
                assert set(effect.answers) == {q.id for q in QUESTIONS}
                assert before.index == len(QUESTIONS) - 1
            continue
        assert isinstance(effect, Ask) and effect.index == after.index
        assert 0 <= after.index < len(QUESTIONS)
        assert abs(after.index - before.index) <= 1
        assert set(after.answers) == {q.id for q in QUESTIONS[: after.index]}
        for question in QUESTIONS[: after.index]:
            if question.kind == "scale":
                assert after.answers[question.id] in range(1, 6)
