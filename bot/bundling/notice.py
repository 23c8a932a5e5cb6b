"""The one message that stands for many sweep DMs of one kind to one person.

Pure: built from the held rows' payloads, each carrying its ticket's bundle entry (kind,
language, number, one line: number, topic, team, deadline; never a ticket's text) next to
the notice it would have been on its own. The first tickets are listed line by line, the
rest by number, so every ticket is named once in the message and it stays well below the
platforms' size limits (Matrix 64 KB, Teams 28 KB). Few tickets get one button each (the
first button their own notice had); more get the command that lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import t
from bot.kernel.notices import Choice, Notice

KINDS = ("remind", "breach", "escalation", "escalation_repeat", "lease")
LINES = 20  # tickets listed with their line; the rest by number
NUMBERS = 1500  # tickets listed by number (about 9 KB); beyond that only counted
BUTTONS = 5  # one button per ticket up to this many; a card with more is a wall


def entry(kind: str, locale: str, ticket_id: int, line: str) -> dict[str, Any]:
    """A ticket's bundle entry, stored with its held notice."""
    if kind not in KINDS:
        raise ValueError(f"unknown bundle kind {kind!r}")
    return {"kind": kind, "locale": locale, "ticket": ticket_id, "line": line}


def bundle_notice(payloads: Sequence[Mapping[str, Any]]) -> Notice:
    """The message for these held notices (all of one kind, to one person), oldest first."""
    entries = [payload["bundle"] for payload in payloads]
    kind, loc = str(entries[0]["kind"]), str(entries[0]["locale"])
    lines = [str(item["line"]) for item in entries[:LINES]]
    numbered = [str(item["ticket"]) for item in entries[LINES : LINES + NUMBERS]]
    if numbered:
        lines.append(t("bundle.more_numbers", loc, numbers=", ".join(numbered)))
    if len(entries) > LINES + NUMBERS:
        lines.append(t("bundle.more", loc, count=len(entries) - LINES - NUMBERS))
    choices: tuple[Choice, ...] = ()
    if len(entries) <= BUTTONS:
        choices = tuple(_button(payload, loc) for payload in payloads if payload.get("choices"))
    else:
        lines.append(t(f"bundle.hint.{kind}", loc, p="/"))
    return Notice(
        title=t(f"bundle.title.{kind}", loc, count=len(entries)),
        text="\n".join(lines),
        choices=choices,
        channel_safe=False,
    )


def _button(payload: Mapping[str, Any], locale: str) -> Choice:
    """The ticket's own first button, its label naming the ticket."""
    action, label = payload["choices"][0]
    number = payload["bundle"]["ticket"]
    return Choice(str(action), t("bundle.button", locale, id=number, label=str(label)))
