"""Mention pills in a typed command become the Matrix ids they point at.

A client writes a mention of a person as a pill: the body shows a name ("Julia Weber"),
the formatted body links it to https://matrix.to/#/@julia.weber:stadt.example. The name
is whatever the person chose on their homeserver, which need not be the one the hotline's
config gives; the id is what the config knows. So in a command (`/zuweisen 3 Julia Weber`;
only there: a request's words stay as typed) each user pill's name in the body becomes its
id, pill by pill from left to right. The bot's own pill (the address of a channel
message, stripped before) and room pills stay as they are, and so do the pills of a reply's
quoted original (mx-reply), whose text the body no longer holds.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import unquote

from dialogs.commands import is_command

HTML = "org.matrix.custom.html"
_PILL = re.compile(r'<a\s[^>]*href="https://matrix\.to/#/([^"]+)"[^>]*>(.*?)</a>', re.I | re.S)
_REPLY = re.compile(r"<mx-reply>.*?</mx-reply>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def user_pills(formatted: str) -> list[tuple[str, str]]:
    """(shown name, user id) of each user pill, in order, outside a quoted reply."""
    found: list[tuple[str, str]] = []
    for href, label in _PILL.findall(_REPLY.sub("", formatted)):
        target = unquote(html.unescape(href)).split("?", 1)[0]
        name = html.unescape(_TAG.sub("", label)).strip()
        if target.startswith("@") and ":" in target and name:
            found.append((name, target))
    return found


def formatted_body(content: dict[str, Any]) -> str:
    """The HTML of a message's content (the new content's, for an edit), or ""."""
    new = content.get("m.new_content")
    source = new if isinstance(new, dict) else content
    formatted = source.get("formatted_body")
    return formatted if source.get("format") == HTML and isinstance(formatted, str) else ""


def with_user_ids(text: str, formatted: str, own_id: str) -> str:
    """`text` with each user pill's name replaced by the user's id, if `text` is a command."""
    if not formatted or not is_command(text):
        return text
    start = 0
    for name, user_id in user_pills(formatted):
        if user_id == own_id:
            continue
        where = text.find(name, start)
        if where < 0:
            continue
        text = text[:where] + user_id + text[where + len(name) :]
        start = where + len(user_id)
    return text
