"""Complaint pseudonyms as people type them: "B-4711" (bot/service/complaint_relay.py).

Pure, so the command parser reads "/rueckfrage B-4711 Frage" as a question through the
complaint relay, and "/rueckfrage 12 Frage" stays the question back on ticket 12.
"""

from __future__ import annotations

import re

PSEUDONYM = re.compile(r"^[Bb]-(\d{1,6})$")


def read_pseudonym(word: str) -> str | None:
    """ "B-4711" (any case, leading zeros dropped) as stored, or None when `word` is none."""
    match = PSEUDONYM.match(word.strip())
    return None if match is None else f"B-{int(match.group(1))}"


def starts_with_pseudonym(text: str) -> bool:
    """Whether the first word of `text` is a pseudonym."""
    words = text.split(maxsplit=1)
    return bool(words) and read_pseudonym(words[0]) is not None
