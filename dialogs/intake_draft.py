"""A first message kept as the start of the request.

Someone who opens the chat with their question ("Hallo, unsere Rechnung 4711 ist doppelt
gebucht") is first asked for customer group and topic; the message is not thrown away:
the runner carries it as a draft, and when the description is asked for, the question
offers it ("Übernehmen", or "ja") while any other text is the description as usual. The
description keeps the first message's event id, so an edit of that message still counts.
"""

from __future__ import annotations

from dataclasses import replace

from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.notices import Choice, Notice
from dialogs.intake_prompts import Context
from dialogs.intake_states import AskDescription

USE_DRAFT = button("confirm", "draft")
MIN_DRAFT_WORDS = 3  # "Hallo" or "Guten Tag" is a greeting, not a request
SHOWN_CHARS = 300  # the offer quotes this much of the draft
# "1": the button's number where buttons are a numbered list (Matrix)
TAKE_WORDS = frozenset({"ja", "j", "yes", "y", "übernehmen", "use it", "1"})


def is_draft(text: str, action_id: str | None) -> bool:
    """Whether a message that starts an intake is worth keeping as its description."""
    return action_id is None and len(text.split()) >= MIN_DRAFT_WORDS


def offer(
    state: AskDescription, ask: Notice, draft: str, event_id: str | None, ctx: Context
) -> tuple[AskDescription, Notice]:
    """The description question, offering the draft; the state holds the draft."""
    shown = draft if len(draft) <= SHOWN_CHARS else draft[: SHOWN_CHARS - 1].rstrip() + "…"
    text = f"{ask.text}\n\n{t('intake.draft_offer', ctx.locale, text=shown)}"
    choices = (Choice(USE_DRAFT, t("choice.use_draft", ctx.locale)),)  # the question has none
    held = replace(state, draft=draft, draft_event=event_id)
    return held, replace(ask, text=text, choices=choices)


def taken(state: AskDescription, text: str, action_id: str | None) -> bool:
    """Whether the answer accepts the offered draft (its button, or "ja")."""
    if state.draft is None:
        return False
    if action_id is not None:
        return action_id == USE_DRAFT
    return text.strip().casefold().rstrip(".!") in TAKE_WORDS
