"""The feedback form after a workshop as a pure step: (progress, input) -> (progress, effect).

Like the intake, the form never touches the database: the runner
(bot/conversation/workshop_flow.py) checks that the person may still answer, steps, saves the
new progress with compare-and-set and carries out the effect (ask a question, store the
answers, say it was cancelled), all in the turn's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config.model import WorkshopQuestion
from bot.i18n import SUPPORTED, t
from bot.kernel.actions import ButtonAction
from dialogs.control_words import is_back, is_cancel

FORM_BUTTON = "wsq"  # a form answer: wsq:<workshop>:<value>
SCALE = range(1, 6)
SKIP_WORDS = frozenset({"-", "nein", "no", "nichts", "nothing"})


@dataclass(frozen=True)
class Progress:
    """Where a person is in the form: the workshop, the next question, the answers so far."""

    workshop_id: int
    index: int
    answers: dict[str, Any]

    def to_state(self) -> dict[str, Any]:
        """As stored in the dialog slot."""
        return {"workshop": self.workshop_id, "index": self.index, "answers": self.answers}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Progress | None:
        """Back from the dialog slot; None when it is not a form's state."""
        workshop, index, answers = state.get("workshop"), state.get("index"), state.get("answers")
        if not isinstance(workshop, int) or not isinstance(index, int):
            return None
        return cls(workshop, index, answers if isinstance(answers, dict) else {})


@dataclass(frozen=True)
class Ask:
    """Ask question `index` (again, after `invalid`: the kind of answer that was wanted)."""

    index: int
    invalid: str | None = None


@dataclass(frozen=True)
class Submit:
    """Every question is answered: store these answers (without the person)."""

    answers: dict[str, Any]


@dataclass(frozen=True)
class Cancelled:
    """The person discarded the form."""


Effect = Ask | Submit | Cancelled


@dataclass(frozen=True)
class FormStep:
    """The progress to save (None: the form is over) and what the runner does."""

    progress: Progress | None
    effect: Effect


def is_form_button(progress: Progress, action_id: str) -> bool:
    """Whether a button answers this form ("wsq:<workshop>:<value>"); others are not its."""
    pressed = ButtonAction.decode(action_id)
    return (
        pressed is not None
        and pressed.verb == FORM_BUTTON
        and pressed.arg(0) == str(progress.workshop_id)
        and len(pressed.args) == 2
    )


def start(workshop_id: int) -> FormStep:
    """A fresh form at its first question."""
    return FormStep(Progress(workshop_id, 0, {}), Ask(0))


def step(
    progress: Progress,
    questions: tuple[WorkshopQuestion, ...],
    text: str,
    action_id: str | None,
) -> FormStep:
    """One message to the form: "abbrechen" discards, "zurück" goes one question back (and
    forgets its answer), anything else answers the current question or asks it again."""
    if action_id is None and is_cancel(text):
        return FormStep(None, Cancelled())
    if action_id is None and is_back(text):
        index = max(progress.index - 1, 0)  # at the first question: ask it again
        kept = {k: v for k, v in progress.answers.items() if k != questions[index].id}
        return FormStep(Progress(progress.workshop_id, index, kept), Ask(index))
    question = questions[progress.index]
    answer = answer_of(question, text, action_id)
    if answer is ...:
        return FormStep(progress, Ask(progress.index, invalid=question.kind))
    answers = {**progress.answers, question.id: answer}
    if progress.index + 1 < len(questions):
        following = Progress(progress.workshop_id, progress.index + 1, answers)
        return FormStep(following, Ask(following.index))
    return FormStep(None, Submit(answers))


def answer_of(question: WorkshopQuestion, text: str, action_id: str | None) -> object:
    """The answer a message gives to `question`; `...` (Ellipsis) when it gives none."""
    pressed = None if action_id is None else ButtonAction.decode(action_id)
    value = (pressed.arg(1) or "") if pressed is not None else text.strip()
    if question.kind == "scale":
        if value.isdecimal() and len(value) < 3:
            return int(value) if int(value) in SCALE else ...
        return _scale_word(value)
    if not value:
        return ...
    return None if value.casefold() in SKIP_WORDS else value


def _scale_word(typed: str) -> object:
    """A point of the scale typed as its label ("4 – überwiegend") or word ("überwiegend")."""
    wanted = typed.strip().rstrip(".").casefold()
    for value in SCALE:
        for locale in SUPPORTED:
            label = t(f"questionnaire.scale.{value}", locale)
            if wanted in (label.casefold(), label.split("–", 1)[-1].strip().casefold()):
                return value
    return ...
