"""The welcome: a short greeting when the bot is added to a conversation.

Adapters report the platform's "added" events (a Teams install in personal scope or in a
team, a Matrix DM invite the bot accepted) as an `Inbound` of kind "joined"; the core
decides the words. Platforms send several such events for one install (installationUpdate
and conversationUpdate), redeliver them, and a restart sees pending invites again: the
welcome is keyed by the conversation, not by the event, in the same table that
deduplicates inbound events, so each conversation is greeted once, on every store and
across restarts, and two instances racing on it greet once (the insert decides).
"""

from __future__ import annotations

import hashlib

from bot.i18n import t
from bot.kernel import limits
from bot.kernel.notices import Inbound, Notice

KEY_PREFIX = "welcome|"


def welcome_key(inbound: Inbound) -> str:
    """The dedupe key of the welcome in this conversation (hashed when too long)."""
    key = f"{KEY_PREFIX}{inbound.conversation_id}"
    if len(key) > limits.limit("event_id"):
        key = KEY_PREFIX + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def welcome_notice(locale: str, *, direct: bool, locale_known: bool) -> Notice:
    """The greeting with /hilfe, in `locale`, and how to switch to the other language (in
    that language). Without a known locale (Matrix) the hint says to write in English."""
    other = "en" if locale == "de" else "de"
    key = "welcome.direct" if direct else "welcome.channel"
    hint_key = "welcome.language_hint" if locale_known or other == "de" else "welcome.write_en"
    return Notice(text=f"{t(key, locale)}\n\n{t(hint_key, other)}")
