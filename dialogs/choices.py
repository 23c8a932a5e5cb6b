"""Matching what a user typed or pressed against the offered choices.

Every choice can be pressed (its id comes back), typed as its number, or typed as its word.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.kernel.actions import ButtonAction
from bot.kernel.notices import Choice

MAX_NUMBER_DIGITS = 9


def match_choice(
    choices: Sequence[Choice], *, text: str, action_id: str | None, prefix: bool = True
) -> Choice | None:
    """The chosen option, or None when the input matches none (or several) of them; with
    `prefix` False only a number, a whole label or an id counts (no "Fi" for "FiBu ...")."""
    if action_id is not None:
        return next((c for c in choices if c.id == action_id), None)
    typed = text.strip().rstrip(".").strip().casefold()
    if not typed:
        return None
    if typed.isdecimal():  # not isdigit(): "²" is a digit that int() rejects
        if len(typed) > MAX_NUMBER_DIGITS:
            return None  # no menu is that long; int() rejects more than 4300 digits
        index = int(typed) - 1
        return choices[index] if 0 <= index < len(choices) else None
    exact = [c for c in choices if typed in (c.label.casefold(), _short_id(c).casefold())]
    if len(exact) == 1 or not prefix:
        return exact[0] if len(exact) == 1 else None
    prefixed = [c for c in choices if c.label.casefold().startswith(typed)]
    return prefixed[0] if len(prefixed) == 1 else None


def numbered(choices: Sequence[Choice]) -> str:
    """The plain-text menu: "1. Budget" per line, for clients without buttons."""
    return "\n".join(choice.numbered(index) for index, choice in enumerate(choices, 1))


def _short_id(choice: Choice) -> str:
    """ "topic:haushalt" -> "haushalt", "back" -> "back": users may type the last word of a
    button's payload (bot/kernel/actions.py), its last argument or else its verb."""
    pressed = ButtonAction.decode(choice.id)
    if pressed is None:
        return choice.id
    return pressed.args[-1] if pressed.args else pressed.verb
