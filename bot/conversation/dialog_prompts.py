"""The questions of a chat's running dialog as open prompts, so their buttons know their question.

A chat runs one dialog at a time in its slot (a request being written, a questionnaire, the
newsletter composer, the pick of the request a reply belongs to). Each question such a dialog
asks with buttons is recorded as an open prompt of kind "dialog", and its buttons carry that
prompt's id (`topic:haushalt@57`). When the dialog moves on (its stored version changes, or
it ends) the question is closed: a button or reaction on it later is answered as stale and
changes nothing, instead of being read as an answer to whatever the dialog asks now.

Buttons that run a command (`claim:12`, `enrol:3`) are not stamped: a command is checked when
it runs, whenever it is pressed. The rating question and the draft answer under "Erledigt"
have their own ids (kind "rating", the draft's version), so they stay open beside a dialog.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.card_actions import OWED_PREFIX
from bot.conversation.followup import QUIET_DIALOGS
from bot.kernel.actions import STALE, ButtonAction
from bot.kernel.notices import Choice, Notice
from dialogs.commands import command_from_action
from storage.models import OpenPromptRow
from storage.repositories import prompts
from storage.repositories.dialog_states import ConversationKey, load_dialog

DIALOG = "dialog"  # the open prompt's kind


@dataclass(frozen=True)
class Chat:
    """Whose dialog slot, and whether it is a direct chat (dialogs run only there)."""

    key: ConversationKey
    direct: bool


async def slot_version(session: AsyncSession, chat: Chat) -> int | None:
    """The dialog slot's version before the turn (None: no dialog stored, or not a DM)."""
    if not chat.direct:
        return None
    stored = await load_dialog(session, key=chat.key)
    return None if stored is None else stored.version


async def record_questions(
    session: AsyncSession,
    chat: Chat,
    answers: list[Notice],
    *,
    before: int | None,
    now: datetime,
    lasts: timedelta,
) -> list[Notice]:
    """Close the dialog's earlier question if the dialog moved on, and give the buttons of
    the question it asks now (if any) one prompt id. Returns the answers to send."""
    if not chat.direct:
        return answers
    stored = await load_dialog(session, key=chat.key)
    after = None if stored is None else stored.version
    platform, user = chat.key.platform, chat.key.user_id
    moved = after != before
    if moved:
        await prompts.close_all(
            session, platform=platform, user_id=user, kind=DIALOG, outcome="moved_on", at=now
        )
    asking = stored is not None and stored.dialog not in QUIET_DIALOGS
    if not asking or not any(_askable(c) for notice in answers for c in notice.choices):
        return answers
    prompt = None
    if not moved:  # the same question asked again (a typo, "Bitte eine Zahl"): same id
        prompt = await prompts.latest_open(session, platform=platform, user_id=user, kind=DIALOG)
    if prompt is None:
        prompt = await prompts.open_prompt(
            session,
            platform=platform,
            user_id=user,
            kind=DIALOG,
            ticket_id=None,
            at=now,
            typed_until=now + lasts,
        )
    return [_stamped(notice, prompt.id) for notice in answers]


def answers_open_question(prompt: OpenPromptRow | None, chat: Chat) -> bool:
    """Whether a button naming `prompt` answers a dialog question of this person still open."""
    return (
        prompt is not None
        and prompt.kind == DIALOG
        and prompt.closed_at is None
        and prompt.platform == chat.key.platform
        and prompt.user_id == chat.key.user_id
    )


def _stamped(notice: Notice, prompt_id: int) -> Notice:
    if not any(_askable(choice) for choice in notice.choices):
        return notice
    choices = tuple(
        replace(choice, id=_with_prompt(choice.id, prompt_id)) if _askable(choice) else choice
        for choice in notice.choices
    )
    return replace(notice, choices=choices)


def _with_prompt(raw: str, prompt_id: int) -> str:
    action = ButtonAction.decode(raw)
    return raw if action is None else replace(action, prompt=prompt_id).encode()


def _askable(choice: Choice) -> bool:
    """A button that answers the dialog's question (not a command, not already stamped)."""
    action = ButtonAction.decode(choice.id)
    return (
        action is not None
        and action.prompt is None
        and action.verb != STALE
        and not choice.id.startswith(OWED_PREFIX)
        and command_from_action(choice.id) is None
    )
