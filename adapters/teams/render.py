"""Teams rendering: neutral notices become Adaptive Cards (schema 1.5) with a text fallback.

Card text is Markdown in Teams; everything a user typed is escaped here (bot.markup marks
it), so a requester cannot inject links, formatting or mentions. Buttons are
Action.Submit carrying the stable choice id, so a press comes back like a typed answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.markup import BOLD, to_plain, tokens
from bot.notices import Notice

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # the newest version Teams renders everywhere
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every character Teams' Markdown could interpret."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@lru_cache(maxsize=1024)  # the same catalogue texts and choice labels, turn after turn
def to_markdown(markup: str) -> str:
    """Notice markup to Teams Markdown: **bold** kept, all literal text escaped."""
    return "".join("**" if token is BOLD else escape_markdown(token) for token in tokens(markup))


def card(notice: Notice) -> dict[str, Any]:
    """The Adaptive Card for a notice."""
    body: list[dict[str, Any]] = []
    if notice.title:
        body.append(
            {
                "type": "TextBlock",
                "text": to_markdown(notice.title),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            }
        )
    for paragraph in notice.text.split("\n\n"):
        if paragraph.strip():
            body.append({"type": "TextBlock", "text": to_markdown(paragraph), "wrap": True})
    if notice.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": escape_markdown(to_plain(f.label)), "value": to_markdown(f.value)}
                    for f in notice.facts
                ],
            }
        )
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if notice.choices:
        content["actions"] = [
            {"type": "Action.Submit", "title": to_plain(c.label), "data": {"action": c.id}}
            for c in notice.choices
        ]
    return content


def plain_text(notice: Notice) -> str:
    """The text fallback (notifications, clients without cards): title and text, plain."""
    parts = [to_plain(notice.title)] if notice.title else []
    parts.append(to_plain(notice.text))
    parts += [f"{n}. {to_plain(c.label)}" for n, c in enumerate(notice.choices, 1)]
    return "\n".join(part for part in parts if part)


def activity(notice: Notice) -> dict[str, Any]:
    """A message activity (Bot Connector JSON) carrying the card and its fallback; a notice
    with a picture becomes its text with the picture attached inline (a data: URI, which
    Teams shows in chats and channels alike; the picture must stay small, see
    bot/reports/chart.py)."""
    fallback = plain_text(notice)
    if notice.image is not None:
        return {
            "type": "message",
            "text": fallback,
            "textFormat": "plain",  # the caption is plain text, not Markdown
            "summary": fallback[:250],
            "attachments": [
                {
                    "contentType": notice.image.mime,
                    "contentUrl": notice.image.data_uri(),
                    "name": notice.image.name,
                }
            ],
        }
    return {
        "type": "message",
        "text": fallback if not (notice.facts or notice.choices) else "",
        "summary": fallback[:250],
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card(notice)}],
    }
