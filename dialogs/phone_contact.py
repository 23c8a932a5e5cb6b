"""How a caller can be reached, as Team BK types it into /telefon: a phone number, an
e-mail address, or a chat user the hotline knows (looked up by the runner, not here).

Pure: the dialog (dialogs/phone_note.py) and the tests read a typed line the same way.
Phone numbers are kept in one form ("+49 30 1234-567" and "+4930 1234567" are the same
number), so a privacy request by number finds every ticket of that caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.kernel import limits

MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 5, 15  # an extension inside the city .. E.164
MAX_CONTACT = limits.limit("user_id")  # stored as the ticket's requester id
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()/.\-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")

ContactKind = Literal["phone", "email", "chat"]


@dataclass(frozen=True)
class Contact:
    """Where the callback goes: `address` is the number ("+49301234567"), the e-mail
    address, or for a chat user their user id on `platform`."""

    kind: ContactKind
    address: str
    platform: str | None = None
    name: str | None = None  # a chat user's name as the hotline knows it


@dataclass(frozen=True)
class KnownUser:
    """A chat user the hotline has met (their profile), found by id or name."""

    platform: str
    user_id: str
    name: str | None
    locale: str


Reading = Contact | Literal["bad_phone", "bad_email", "other"]


def read_contact(text: str) -> Reading:
    """A phone number or an e-mail address; "bad_phone"/"bad_email" for one that looks like
    it but is not valid; "other" for anything else (perhaps a chat user)."""
    typed = text.strip()
    if not typed or len(typed) > MAX_CONTACT:
        return "other" if not typed else "bad_email" if "@" in typed[1:] else "bad_phone"
    if _PHONE_CHARS.match(typed) and any(char.isdigit() for char in typed):
        digits = "".join(char for char in typed if char.isdigit())
        if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
            return "bad_phone"
        return Contact("phone", ("+" if typed.startswith("+") else "") + digits)
    if "@" in typed[1:] and ":" not in typed:  # "@anna:stadt.example" is a Matrix id
        return Contact("email", typed.casefold()) if _EMAIL.match(typed) else "bad_email"
    return "other"


def chat_contact(user: KnownUser) -> Contact:
    """The contact of a known chat user: their status messages reach them in the chat."""
    return Contact("chat", user.user_id, user.platform, user.name)
