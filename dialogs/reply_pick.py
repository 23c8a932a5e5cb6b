"""A reply while several of the requester's tickets wait for one: which ticket is it for?

The typed text is held in the conversation's dialog slot ("reply_pick": the text and the
waiting ticket numbers), with the same compare-and-set as every dialog, until the requester
picks a ticket (a button `reply:N`, the ticket number, or the menu number); it expires like
every dialog. `picked` is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.notices import Choice
from dialogs.choices import match_choice
from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog

REPLY_PICK = "reply_pick"
ACTION = "reply:"  # the button of ticket N is "reply:N"
MAX_ID_DIGITS = 18
_NUMBER_WORDS = ("nr.", "nr", "no.", "no", "#")


@dataclass(frozen=True)
class HeldReply:
    """A reply waiting for the requester to say which ticket it answers."""

    text: str
    tickets: tuple[int, ...]


async def hold_reply(
    session: AsyncSession, *, key: ConversationKey, text: str, tickets: Sequence[int], at: datetime
) -> None:
    """Keep `text` until the requester picks one of `tickets` (compare-and-set)."""
    stored = await load_dialog(session, key=key)
    await save_dialog(
        session,
        key=key,
        seen_version=None if stored is None else stored.version,
        dialog=REPLY_PICK,
        state={"text": text, "tickets": list(tickets)},
        at=at,
    )


async def held_reply(
    session: AsyncSession, *, key: ConversationKey, now: datetime, expires_after: timedelta
) -> HeldReply | None:
    """The reply this conversation holds, unless there is none or it has expired."""
    stored = await load_dialog(session, key=key)
    if stored is None or stored.dialog != REPLY_PICK or stored.updated_at + expires_after < now:
        return None
    text, tickets = stored.state.get("text"), stored.state.get("tickets")
    if not isinstance(text, str) or not isinstance(tickets, list):
        return None
    numbers = tuple(number for number in tickets if isinstance(number, int))
    return HeldReply(text, numbers) if numbers else None


def picked(
    held: HeldReply, choices: Sequence[Choice], *, text: str, action_id: str | None
) -> int | None:
    """The ticket chosen: a pressed `reply:N`, a typed "12", "Nr. 12" or "#12" of a held
    ticket, else a menu number or a word of a label; None when it names none of them."""
    if action_id is not None:
        number = action_id.removeprefix(ACTION)
        if action_id.startswith(ACTION) and _is_number(number) and int(number) in held.tickets:
            return int(number)
        return None
    typed = text.strip().casefold()
    for word in _NUMBER_WORDS:
        if typed.startswith(word) and _is_number(typed.removeprefix(word).strip()):
            typed = typed.removeprefix(word).strip()
            break
    if _is_number(typed) and int(typed) in held.tickets:
        return int(typed)  # the ticket number itself wins over the menu position
    choice = match_choice(choices, text=text, action_id=None)
    if choice is None:
        return None
    number = choice.id.removeprefix(ACTION)
    return int(number) if _is_number(number) and int(number) in held.tickets else None


def _is_number(value: str) -> bool:
    return value.isdecimal() and len(value) <= MAX_ID_DIGITS
