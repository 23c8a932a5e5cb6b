"""The team picker of "Weitergeben", answered by typing a team's number or name.

The picker's buttons carry the whole handoff (`handoff:N:TEAM`), so a press needs no
state. A plain-text client (Matrix without buttons, a terminal) has none to press: the
picker is remembered per person, in its own slot beside the owed answer of "Erledigt",
until it is answered, the person writes something else or runs a command, or it expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import t
from bot.kernel.notices import Choice, Notice
from bot.service.actors import Actor
from dialogs.choices import MAX_NUMBER_DIGITS, match_choice
from dialogs.commands import Command, command_from_action
from dialogs.control_words import is_cancel
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

PICK_DIALOG = "handoff_pick"
PICK_SLOT = "@staff-pick"  # per person; no platform conversation has this id


@dataclass(frozen=True)
class PendingPick:
    """A team picker shown to a staff member and not answered yet."""

    ticket_id: int
    since: datetime
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class PickReply:
    """What a typed message does to an open picker: hand off (`command`), or say something
    (`notice`: cancelled, a number outside the list, a name's beginning); `keep` leaves
    the picker open."""

    command: Command | None = None
    notice: Notice | None = None
    keep: bool = False


def read_pick(pick: PendingPick, text: str, locale: str) -> PickReply | None:
    """The typed answer to an open picker: a number, a whole team name or a team id (a
    handoff takes no confirmation, so no guessing from a word's beginning); None when the
    message is about something else (the caller forgets the picker and handles it as
    usual). A number outside the list, or a name's beginning, asks again; the picker keeps
    its first time."""
    if is_cancel(text):
        return PickReply(notice=Notice(text=t("card.pick_cancelled", locale, id=pick.ticket_id)))
    chosen = match_choice(pick.choices, text=text, action_id=None, prefix=False)
    if chosen is not None:
        return PickReply(command=command_from_action(chosen.id))
    guess = match_choice(pick.choices, text=text, action_id=None)
    typed = text.strip().rstrip(".").strip()
    if guess is not None or (typed.isdecimal() and len(typed) <= MAX_NUMBER_DIGITS):
        hint = (
            t("card.pick_whole_name", locale, id=pick.ticket_id, team=guess.label)
            if guess is not None
            else t("card.pick_out_of_range", locale, id=pick.ticket_id, count=len(pick.choices))
        )
        notice = Notice(
            text=hint, choices=pick.choices, ticket_id=pick.ticket_id, channel_safe=False
        )
        return PickReply(notice=notice, keep=True)
    return None


def pick_key(actor: Actor) -> ConversationKey:
    """Where a person's open team picker is kept, whichever conversation they type in."""
    return ConversationKey(actor.platform, PICK_SLOT, actor.user_id)


async def remember_pick(
    session: AsyncSession,
    actor: Actor,
    *,
    ticket_id: int,
    choices: Sequence[Choice],
    at: datetime,
) -> None:
    """Keep the picker as shown (ids and labels in their order, so "2" means what the
    person saw even if the configuration changes meanwhile); a newer picker replaces it."""
    stored = await load_dialog(session, key=pick_key(actor))
    await save_dialog(
        session,
        key=pick_key(actor),
        seen_version=None if stored is None else stored.version,
        dialog=PICK_DIALOG,
        state={"ticket": ticket_id, "choices": [[c.id, c.label] for c in choices]},
        at=at,
    )


async def pending_pick(
    session: AsyncSession, actor: Actor, *, now: datetime, lasts: timedelta
) -> PendingPick | None:
    """The person's open team picker, unless it expired or is unreadable."""
    stored = await load_dialog(session, key=pick_key(actor))
    if stored is None or stored.dialog != PICK_DIALOG or stored.expired(now, lasts):
        return None
    ticket, rows = stored.state.get("ticket"), stored.state.get("choices")
    if not isinstance(ticket, int) or not isinstance(rows, list):
        return None
    choices = tuple(
        Choice(str(row[0]), str(row[1])) for row in rows if isinstance(row, list) and len(row) == 2
    )
    return PendingPick(ticket, stored.updated_at, choices) if choices else None


async def drop_pick(session: AsyncSession, actor: Actor) -> None:
    """Forget the person's open team picker (answered, passed by, or cancelled)."""
    if await load_dialog(session, key=pick_key(actor)) is not None:  # the usual case: none
        await clear_dialog(session, key=pick_key(actor))


async def cancel_pick(
    session: AsyncSession, actor: Actor, *, now: datetime, lasts: timedelta
) -> int | None:
    """Drop an open picker (the /abbrechen command); the ticket it was for, if any."""
    pick = await pending_pick(session, actor, now=now, lasts=lasts)
    if pick is None:
        return None
    await drop_pick(session, actor)
    return pick.ticket_id
