"""A reply while several of the requester's tickets wait for one: which ticket is it for?

The typed text is held in the conversation's dialog slot ("reply_pick": the text and the
waiting ticket numbers), with the same compare-and-set as every dialog, until the requester
picks a ticket: a button `reply:N` (`reply_button`, a `ButtonAction`), the menu position
("2" for the second line, as in every menu: `dialogs.choices.match_choice`), or a ticket
number written as one ("Nr. 5", "Nr 5", "No. 5", "#5"). Further free text meanwhile is
added to the held text (one text, the parts joined by a blank line). It expires like every
dialog; an expired held reply is still read (`stored_reply`) so that the requester can be
told it was not sent. `picked` and `names_a_number` are pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.actions import ButtonAction, button
from bot.kernel.notices import Choice
from dialogs.choices import match_choice
from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog

REPLY_PICK = "reply_pick"
IDLE = "idle"  # the slot after the held reply was sent, dropped or reported as not sent
VERB = "reply"  # the button of ticket N is "reply:N"
MAX_ID_DIGITS = 18
PARTS_JOINED_BY = "\n\n"
_NUMBER_WORDS = ("nr.", "nr", "no.", "no", "#")


@dataclass(frozen=True)
class HeldReply:
    """A reply waiting for the requester to say which ticket it answers."""

    text: str
    tickets: tuple[int, ...]
    version: int = 0  # the slot's version when read: the compare-and-set of every change
    expired: bool = False


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


async def add_to_reply(
    session: AsyncSession, *, key: ConversationKey, held: HeldReply, text: str, at: datetime
) -> HeldReply:
    """Append `text` to the held reply (a blank line between); the timeout starts anew.
    Compare-and-set against the version `held` was read at."""
    joined = f"{held.text}{PARTS_JOINED_BY}{text}"
    version = await save_dialog(
        session,
        key=key,
        seen_version=held.version,
        dialog=REPLY_PICK,
        state={"text": joined, "tickets": list(held.tickets)},
        at=at,
    )
    return HeldReply(joined, held.tickets, version)


async def release_reply(
    session: AsyncSession, *, key: ConversationKey, held: HeldReply, at: datetime
) -> None:
    """The held reply is done with (sent, cancelled or reported as not sent): the slot goes
    idle, compare-and-set against the version `held` was read at."""
    await save_dialog(session, key=key, seen_version=held.version, dialog=IDLE, state={}, at=at)


async def stored_reply(
    session: AsyncSession, *, key: ConversationKey, now: datetime, expires_after: timedelta
) -> HeldReply | None:
    """The reply this conversation holds, running or expired (then `expired` is set); None
    when the slot holds none."""
    stored = await load_dialog(session, key=key)
    if stored is None or stored.dialog != REPLY_PICK:
        return None
    text, tickets = stored.state.get("text"), stored.state.get("tickets")
    if not isinstance(text, str) or not isinstance(tickets, list):
        return None
    numbers = tuple(number for number in tickets if isinstance(number, int))
    expired = stored.expired(now, expires_after)
    return HeldReply(text, numbers, stored.version, expired) if numbers else None


def reply_button(ticket_id: int) -> str:
    """The payload of the "which request?" menu's button for `ticket_id`."""
    return button(VERB, ticket_id)


def is_reply_button(action_id: str) -> bool:
    """Whether a button is one of a "which request?" menu's, whichever number it names (any
    other is another dialog's)."""
    pressed = ButtonAction.decode(action_id)
    return pressed is not None and pressed.verb == VERB and bool(pressed.args)


def button_ticket(action_id: str) -> int | None:
    """The ticket number a `reply:N` button names; None for any other payload."""
    pressed = ButtonAction.decode(action_id)
    if pressed is None or pressed.verb != VERB or pressed.prompt is not None:
        return None
    if len(pressed.args) != 1 or not _is_number(pressed.args[0]):
        return None
    return int(pressed.args[0])


def ticket_number(text: str) -> int | None:
    """ "Nr. 5", "Nr 5", "No. 5", "#5" -> 5: a number written as a ticket number; a bare
    "5" is not one (it is a menu position)."""
    typed = text.strip().casefold()
    for word in _NUMBER_WORDS:
        rest = typed.removeprefix(word).strip()
        if typed.startswith(word) and _is_number(rest):
            return int(rest)
    return None


def names_a_number(text: str) -> bool:
    """Whether `text` is a menu position or a ticket number (a choice, right or wrong),
    rather than more words of the reply."""
    bare = text.strip().rstrip(".").strip()
    return bare.isdecimal() or ticket_number(text) is not None


def picked(
    held: HeldReply, choices: Sequence[Choice], *, text: str, action_id: str | None
) -> int | None:
    """The ticket chosen: a pressed `reply:N`, a typed ticket number ("Nr. 12", "#12") of
    a held ticket, a menu position ("2") or a word of a label; None when it names none."""
    if action_id is not None:
        pressed = button_ticket(action_id)
        return pressed if pressed in held.tickets else None
    written = ticket_number(text)
    if written is not None:
        return written if written in held.tickets else None
    choice = match_choice(choices, text=text, action_id=None)  # "2": the second line
    if choice is None:
        return None
    number = button_ticket(choice.id)
    return number if number in held.tickets else None


def _is_number(value: str) -> bool:
    return value.isdecimal() and len(value) <= MAX_ID_DIGITS
