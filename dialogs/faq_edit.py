"""Team BK edits an FAQ proposal before accepting it: question, answer, customer groups.

Pure like the phone note: `step(draft, input, ctx)` -> (draft, notices, effect). The
questions come in a fixed order (question, answer, groups, confirm); each offers to keep
what is there ("Beibehalten"), "zurück" goes one question back and "abbrechen" leaves the
proposal as it was, at every step. Only the confirmation's "Annehmen" has an effect: the
runner accepts the proposal with the edited texts (a compare-and-set: if a colleague
decided it meanwhile, nothing changes).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.i18n import t
from bot.kernel import limits
from bot.kernel.actions import ButtonAction, button
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Notice
from dialogs.choices import match_choice
from dialogs.control_words import is_back, is_cancel
from dialogs.intake_prompts import Context

QUESTIONS = ("question", "answer", "groups", "confirm")
MAX_QUESTION = 300
MAX_ANSWER = limits.limit("text")
FAQ_VERBS = frozenset({"fkeep", "fgroup", "fall", "faccept", "back"})
KEEP, ALL, ACCEPT, BACK = button("fkeep"), button("fall"), button("faccept"), button("back")
_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class FaqDraft:
    """The proposal being edited (`entry`), its texts and groups so far, and the question
    asked now (one of QUESTIONS)."""

    entry: int
    question: str
    answer: str
    groups: tuple[str, ...] = ()
    ask: str = "question"

    def to_state(self) -> dict[str, Any]:
        """As stored in the dialog slot."""
        return {**asdict(self), "groups": list(self.groups)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FaqDraft | None:
        """Back from the dialog slot; None for anything that is not this dialog's state."""
        if set(state) != {"entry", "question", "answer", "groups", "ask"}:
            return None
        entry, groups = state["entry"], state["groups"]
        if not isinstance(entry, int) or isinstance(entry, bool) or state["ask"] not in QUESTIONS:
            return None
        texts = (state["question"], state["answer"])
        if not all(isinstance(text, str) and text.strip() for text in texts):
            return None
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            return None
        return cls(entry, state["question"], state["answer"], tuple(groups), state["ask"])


@dataclass(frozen=True)
class FaqInput:
    """What the staff member sent: text, or a pressed button's id."""

    text: str = ""
    action_id: str | None = None


@dataclass(frozen=True)
class AcceptEdited:
    """Effect: accept proposal `entry` with these texts and customer groups."""

    entry: int
    question: str
    answer: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class FaqStep:
    """The draft to keep (None: the dialog is over), what to say, and what to do."""

    draft: FaqDraft | None
    notices: tuple[Notice, ...] = ()
    effect: AcceptEdited | None = None


def is_faq_action(action_id: str) -> bool:
    """Whether a button answers one of this dialog's questions."""
    pressed = ButtonAction.decode(action_id)
    return pressed is not None and pressed.verb in FAQ_VERBS


def start(entry: int, question: str, answer: str, groups: tuple[str, ...], ctx: Context) -> FaqStep:
    """The first question, about the proposal as it stands."""
    draft = FaqDraft(entry, question, answer, _known(groups, ctx))
    intro = _say("faq.edit_intro", ctx, id=entry)
    return FaqStep(draft, (intro, prompt(draft, ctx)))


def step(draft: FaqDraft, user: FaqInput, ctx: Context) -> FaqStep:
    """One answer to the question asked now."""
    if user.action_id is None and is_cancel(user.text):
        return FaqStep(None, (_say("faq.edit_cancelled", ctx, id=draft.entry),))
    if user.action_id is None:  # a button typed as its number or label ("1", "Beibehalten")
        typed = match_choice(
            prompt(draft, ctx).choices, text=user.text, action_id=None, prefix=False
        )
        user = user if typed is None else FaqInput(action_id=typed.id)
    if user.action_id == BACK or (user.action_id is None and is_back(user.text)):
        previous = replace(draft, ask=QUESTIONS[max(QUESTIONS.index(draft.ask) - 1, 0)])
        return FaqStep(previous, (prompt(previous, ctx),))
    answer = _READERS[draft.ask](draft, user, ctx)
    if isinstance(answer, str):  # what was wrong: say so, ask again
        return FaqStep(draft, (_say(answer, ctx), prompt(draft, ctx)))
    if isinstance(answer, AcceptEdited):
        return FaqStep(None, (), answer)
    return FaqStep(answer, (prompt(answer, ctx),))


def _on_question(draft: FaqDraft, user: FaqInput, ctx: Context) -> FaqDraft | str:
    if user.action_id == KEEP:
        return replace(draft, ask="answer")
    text = " ".join(user.text.split())[:MAX_QUESTION]  # a menu line: one line
    if user.action_id is not None or not text:
        return "faq.text_missing"
    return replace(draft, ask="answer", question=text)


def _on_answer(draft: FaqDraft, user: FaqInput, ctx: Context) -> FaqDraft | str:
    if user.action_id == KEEP:
        return replace(draft, ask="groups")
    text = user.text.strip()[:MAX_ANSWER]  # paragraphs stay
    if user.action_id is not None or not text:
        return "faq.text_missing"
    return replace(draft, ask="groups", answer=text)


def _on_groups(draft: FaqDraft, user: FaqInput, ctx: Context) -> FaqDraft | str:
    ids = [g.id for g in ctx.config.customer_groups]
    picked = _numbers(user.text)
    if user.action_id is None and len(picked) > 1:  # "1, 3": several groups by number
        if not all(1 <= n <= len(ids) for n in picked):
            return "faq.not_understood"
        chosen = {ids[n - 1] for n in picked}
        return replace(draft, ask="confirm", groups=tuple(i for i in ids if i in chosen))
    choice = match_choice(group_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return "faq.not_understood"
    if choice.id == KEEP:
        return replace(draft, ask="confirm")
    if choice.id == ALL:
        return replace(draft, ask="confirm", groups=())
    if choice.id == BACK:
        return replace(draft, ask="answer")
    pressed = ButtonAction.decode(choice.id)
    group = pressed.arg(0) if pressed is not None else None
    return replace(draft, ask="confirm", groups=(group,) if group in ids else draft.groups)


def _on_confirm(draft: FaqDraft, user: FaqInput, ctx: Context) -> FaqDraft | AcceptEdited | str:
    choice = match_choice(confirm_choices(ctx), text=user.text, action_id=user.action_id)
    typed = user.text.strip().casefold().rstrip(".!")
    if choice is None and user.action_id is None and typed in ("ja", "j", "yes", "y"):
        choice = confirm_choices(ctx)[0]
    if choice is None:
        return "faq.not_understood"
    if choice.id == BACK:
        return replace(draft, ask="groups")
    return AcceptEdited(draft.entry, draft.question, draft.answer, draft.groups)


def _numbers(text: str) -> list[int]:
    """ "1, 3" or "1 3" -> [1, 3]; [] unless the text is numbers and separators only."""
    parts = [part for part in _SEPARATORS.split(text) if part]
    if not parts or not all(part.isdecimal() and len(part) <= 3 for part in parts):
        return []
    return [int(part) for part in parts]


_READERS = {
    "question": _on_question,
    "answer": _on_answer,
    "groups": _on_groups,
    "confirm": _on_confirm,
}


# --- the questions ---------------------------------------------------------------------
def _say(key: str, ctx: Context, **args: object) -> Notice:
    return Notice(text=t(key, ctx.locale, **args), channel_safe=False)


def _known(groups: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
    """The groups the configuration still knows, in config order."""
    return tuple(g.id for g in ctx.config.customer_groups if g.id in groups)


def groups_text(groups: tuple[str, ...], ctx: Context) -> str:
    """ "F4, KERN" or "alle Kundengruppen"."""
    names = [g.name.get(ctx.locale) for g in ctx.config.customer_groups if g.id in groups]
    return ", ".join(names) if names else t("faq.all_groups", ctx.locale)


def _back(ctx: Context) -> Choice:
    return Choice(BACK, t("choice.back", ctx.locale))


def group_choices(ctx: Context) -> tuple[Choice, ...]:
    """One button per group (so that "1, 3" typed names groups 1 and 3), all groups, keep,
    back."""
    groups = tuple(
        Choice(button("fgroup", g.id), g.name.get(ctx.locale)) for g in ctx.config.customer_groups
    )
    keep = Choice(KEEP, t("faq.keep", ctx.locale))
    every = Choice(ALL, t("faq.every_group", ctx.locale))
    return (*groups, every, keep, _back(ctx))


def confirm_choices(ctx: Context) -> tuple[Choice, ...]:
    """Annehmen, back."""
    return (Choice(ACCEPT, t("faq.accept_edited", ctx.locale)), _back(ctx))


def prompt(draft: FaqDraft, ctx: Context) -> Notice:
    """The question asked now, with its buttons."""
    loc = ctx.locale
    keep = Choice(KEEP, t("faq.keep", loc))
    if draft.ask == "question":
        text = t("faq.ask_question", loc, text=literal(draft.question))
        return Notice(text=text, choices=(keep,), channel_safe=False)
    if draft.ask == "answer":
        text = t("faq.ask_answer", loc, text=literal(draft.answer))
        return Notice(text=text, choices=(keep, _back(ctx)), channel_safe=False)
    if draft.ask == "groups":
        text = t("faq.ask_groups", loc, groups=groups_text(draft.groups, ctx))
        return Notice(text=text, choices=group_choices(ctx), channel_safe=False)
    facts = (
        Fact(t("faq.fact_question", loc), literal(draft.question)),
        Fact(t("faq.fact_answer", loc), literal(draft.answer)),
        Fact(t("faq.fact_groups", loc), groups_text(draft.groups, ctx)),
    )
    return Notice(
        title=t("faq.review_title", loc, id=draft.entry),
        text=t("faq.ask_confirm", loc),
        facts=facts,
        choices=confirm_choices(ctx),
        channel_safe=False,
    )
