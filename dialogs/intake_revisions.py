"""The requester edits or deletes the message that gave the description while the intake
still runs: the dialog follows (pure, like `dialogs.intake.step`).

An edit replaces the description (if it still has a few words; a shorter one is refused and
the old one kept); a deletion discards it and asks for it again. Either way the question
the dialog waits for is asked again, since the stored state moved on (its earlier buttons
are stale then). Edits of other messages are not the dialog's business: None.
"""

from __future__ import annotations

from dataclasses import replace

from bot.kernel.notices import Notice
from dialogs import intake_prompts as p
from dialogs.intake import MIN_DESCRIPTION_WORDS, StepResult, ask_anonymous, confirm_notice
from dialogs.intake_prompts import Context
from dialogs.intake_states import AskAnonymous, AskDescription, AskReference, Confirm, IntakeState

Described = AskReference | AskAnonymous | Confirm


def revise_description(
    state: IntakeState, event_id: str, text: str | None, ctx: Context
) -> StepResult | None:
    """The message `event_id` was edited to `text` (None: deleted). A StepResult if it gave
    the description this state holds, else None."""
    if not isinstance(state, Described) or state.description_event != event_id:
        return None
    if text is None:
        topic = ctx.config.topic(state.topic)
        asked = AskDescription(state.group, state.topic)
        return StepResult(
            asked, (p.say("intake.description_deleted", ctx), p.ask_description(topic, ctx))
        )
    text = text.strip()
    if len(text.split()) < MIN_DESCRIPTION_WORDS:
        return StepResult(
            state, (p.say("intake.description_edit_too_short", ctx), _question(state, ctx))
        )
    edited = replace(state, description=text)
    return StepResult(edited, (p.say("intake.description_edited", ctx), _question(edited, ctx)))


def _question(state: Described, ctx: Context) -> Notice:
    """The question the state waits for, as the dialog asked it."""
    if isinstance(state, AskReference):
        return p.say("intake.ask_reference", ctx)
    if isinstance(state, AskAnonymous):
        return ask_anonymous(ctx)
    return confirm_notice(state, ctx)
