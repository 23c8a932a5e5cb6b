"""The feedback form after a workshop, one question at a time, and the trainer's summary.

The answers are stored without the person (anonymous towards the trainer); the person's
registration only records THAT they answered, so nobody answers twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, WorkshopQuestion
from bot.domain.errors import QuestionnaireClosed
from bot.i18n import SUPPORTED, t
from bot.kernel.actions import ButtonAction, button
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice
from bot.service.actors import Actor
from storage.models import WorkshopRow
from storage.repositories import workshops as repo

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


def window_open(config: OrgConfig, row: WorkshopRow, now: datetime) -> bool:
    """The form is open from the workshop's end for `feedback_days` days."""
    return row.ends_at <= now < row.ends_at + timedelta(days=config.workshops.feedback_days)


async def check_may_answer(
    session: AsyncSession, config: OrgConfig, actor: Actor, workshop_id: int, now: datetime
) -> WorkshopRow:
    """The workshop, if the actor attended it and has not answered yet, while it is open."""
    row = await repo.get(session, workshop_id=workshop_id)
    mine = (
        None
        if row is None
        else await repo.registration(
            session, workshop_id=workshop_id, platform=actor.platform, user_id=actor.user_id
        )
    )
    if row is None or mine is None or mine.status != "registered":
        raise QuestionnaireClosed("not a participant", id=workshop_id)
    if mine.feedback_done_at is not None or not window_open(config, row, now):
        raise QuestionnaireClosed("done or closed", id=workshop_id)
    return row


def ask(config: OrgConfig, row: WorkshopRow, index: int, locale: str) -> Notice:
    """Question number `index` with its buttons (1-5, or none for free text)."""
    questions = config.workshops.questions
    question = questions[index]
    choices: tuple[Choice, ...] = ()
    hint = t("questionnaire.text_hint", locale)
    if question.kind == "scale":
        choices = tuple(
            Choice(button(FORM_BUTTON, row.id, value), t(f"questionnaire.scale.{value}", locale))
            for value in SCALE
        )
        hint = t("questionnaire.scale_hint", locale)
    return Notice(
        title=t(
            "questionnaire.title",
            locale,
            title=literal(row.title),
            number=index + 1,
            count=len(questions),
        ),
        text=f"{question.text.get(locale)}\n{hint}",
        choices=choices,
        channel_safe=False,
    )


def answer_of(question: WorkshopQuestion, text: str, action_id: str | None) -> object:
    """The answer a message gives to `question`; `...` (Ellipsis) when it gives none. A
    button carries its value last ("wsq:<workshop>:<value>")."""
    value = text.strip()
    if action_id:
        pressed = ButtonAction.decode(action_id)
        value = pressed.args[-1] if pressed is not None and pressed.args else ""
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


def summary(
    config: OrgConfig, row: WorkshopRow, forms: list[dict[str, Any]], invited: int, locale: str
) -> Notice:
    """For the trainer: answers per question (means for scales, texts without names)."""
    lines = [t("questionnaire.answered", locale, count=len(forms), invited=invited)]
    for question in config.workshops.questions:
        values = [form.get(question.id) for form in forms]
        given = [v for v in values if v is not None]
        label = question.text.get(locale)
        if question.kind == "scale":
            numbers = [int(v) for v in given if isinstance(v, int)]
            mean = f"{sum(numbers) / len(numbers):.1f}".replace(".", ",") if numbers else "-"
            lines.append(
                t("questionnaire.mean", locale, question=label, mean=mean, count=len(numbers))
            )
        else:
            lines.append(f"{label}:")
            lines += [f"– {literal(str(v))}" for v in given]
    return Notice(
        title=t("questionnaire.summary_title", locale, id=row.id, title=literal(row.title)),
        text="\n".join(lines),
        channel_safe=False,
    )
