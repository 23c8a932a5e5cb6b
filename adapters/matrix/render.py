"""Matrix rendering: neutral notices become m.notice events with a plain body and safe HTML.

User text is already escaped in the notice markup (bot.kernel.markup.literal), and everything is
HTML-escaped here, so nothing a requester types can inject markup. Every event the bot sends
sets `m.mentions` (empty, or the people a notice names on purpose), so nothing a requester
types can ping the team room ("@room") or a person (their name or id) either. Choices become a
numbered list plus reactions the bot adds itself, so users can tap or type. A notice with a
picture becomes an m.image event with the notice as its caption.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.kernel.actions import ButtonAction
from bot.kernel.markup import to_html, to_plain
from bot.kernel.notices import Choice, FileData, Image, Notice, Table

KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
CLAIM_REACTION = "✋"
# The team card's actions keep their own reaction, whichever buttons the card shows now.
# 📖 on a resolved card proposes its answer as an FAQ entry (issue 17).
ACTION_REACTIONS = {"claim": CLAIM_REACTION, "handoff": "↪️", "resolve": "✅", "faq": "📖"}


@dataclass(frozen=True)
class Mention:
    """A person named in a notice: the display name to find and the Matrix id to link."""

    display_name: str
    user_id: str


def reaction_keys(choices: Sequence[Choice]) -> list[str]:
    """The reaction that stands for each choice: ✋ claims, ↪️ hands off, ✅ resolves a card's
    ticket; other choices get 1️⃣, 2️⃣, ..."""
    keys: list[str] = []
    for index, choice in enumerate(choices):
        pressed = ButtonAction.decode(choice.id)
        action = "" if pressed is None else pressed.verb
        number = "" if pressed is None or len(pressed.args) != 1 else pressed.args[0]
        if action in ACTION_REACTIONS and number.isdecimal():
            keys.append(ACTION_REACTIONS[action])
        elif index < len(KEYCAPS):
            keys.append(KEYCAPS[index])
        else:
            keys.append("")
    return keys


def is_choice_reaction(key: str) -> bool:
    """Whether a reaction is one the bot offers as a choice (a keycap, ✋, ↪️, ✅), not a 👍."""
    normalised = key.replace("\ufe0f", "")
    offered = (*KEYCAPS, *ACTION_REACTIONS.values())
    return any(normalised == choice.replace("\ufe0f", "") for choice in offered)


def choice_for_reaction(choice_ids: Sequence[str], key: str) -> str | None:
    """The choice id a reaction stands for, or None."""
    normalised = key.replace("\ufe0f", "")
    for choice_id, reaction in zip(
        choice_ids, reaction_keys([Choice(c, "") for c in choice_ids]), strict=True
    ):
        if reaction and reaction.replace("\ufe0f", "") == normalised:
            return choice_id
    return None


def message_content(
    notice: Notice, mentions: Sequence[Mention] = (), typed_hint: str = ""
) -> dict[str, Any]:
    """The content of an m.notice event for this notice; `typed_hint` ends a list with more
    choices than keycaps (that the numbers beyond are typed)."""
    plain: list[str] = []
    markup: list[str] = []
    if notice.title:
        plain.append(to_plain(notice.title))
        markup.append(f"<strong>{to_html(notice.title)}</strong>")
    if notice.text:
        plain.append(to_plain(notice.text))
        markup.append(f"<p>{_with_pills(to_html(notice.text), mentions)}</p>")
    if notice.facts:
        plain += [f"{to_plain(f.label)}: {to_plain(f.value)}" for f in notice.facts]
        rows = "".join(
            f"<tr><td><strong>{to_html(f.label)}</strong></td><td>{to_html(f.value)}</td></tr>"
            for f in notice.facts
        )
        markup.append(f"<table>{rows}</table>")
    for table in notice.tables:
        plain += ["", *table.lines()]
        markup.append(table_html(table))
    if notice.choices:
        plain_list, html_list = choice_list(notice.choices, typed_hint)
        plain += plain_list
        markup.append(html_list)
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": "\n".join(plain),
        "format": "org.matrix.custom.html",
        "formatted_body": "".join(markup),
    }
    # Always set (Matrix 1.7 intentional mentions): only the people named on purpose are
    # pinged, never a room or a person a requester's text happens to name ("@room", ids).
    named = sorted({m.user_id for m in mentions})
    content["m.mentions"] = {"user_ids": named} if named else {}
    return content


def choice_list(choices: Sequence[Choice], typed_hint: str = "") -> tuple[list[str], str]:
    """The choices as plain lines and as HTML, each with its reaction where it has one.

    A label that starts with its own number ("1 – gar nicht", a rating) is not numbered
    again ("1. 1 – gar nicht"); such a list is lines in HTML too (clients number an <ol>
    themselves), the other labels in it numbered by hand. Beyond the ten keycaps only
    typing works: `typed_hint` says so."""
    keys = reaction_keys(choices)
    plain = [to_plain(choice.numbered(n)) for n, choice in enumerate(choices, 1)]
    items = [
        f"{to_html(c.label)} {html.escape(key)}".rstrip()
        for c, key in zip(choices, keys, strict=True)
    ]
    if any(c.starts_with(n) for n, c in enumerate(choices, 1)):
        shown = [
            item if c.starts_with(n) else f"{n}. {item}"
            for n, (c, item) in enumerate(zip(choices, items, strict=True), 1)
        ]
        markup = f"<p>{'<br>'.join(shown)}</p>"
    else:
        markup = "<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"
    if typed_hint and len(choices) > len(KEYCAPS):
        plain.append(typed_hint)
        markup += f"<p><em>{html.escape(typed_hint)}</em></p>"
    return plain, markup


def table_html(table: Table) -> str:
    """A table as HTML: its title as a heading, then a header row and the rows, then its
    note (a legend of short headers) in italics. Only tags and no attributes: the
    Matrix spec's HTML subset lists no alignment, clients strip it."""

    def cells(tag: str, texts: tuple[str, ...]) -> str:
        return "".join(f"<{tag}>{html.escape(text)}</{tag}>" for text in texts)

    head = cells("th", table.columns)
    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in table.rows)
    title = f"<h4>{html.escape(table.title)}</h4>" if table.title else ""
    note = f"<p><em>{html.escape(table.note)}</em></p>" if table.note else ""
    return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def media_content(
    notice: Notice, medium: Image | FileData, source: Mapping[str, Any]
) -> dict[str, Any]:
    """The event for the notice's picture (m.image) or file (m.file)."""
    if isinstance(medium, Image):
        return image_content(notice, medium, source)
    return file_content(notice, medium, source)


def file_content(notice: Notice, file: FileData, source: Mapping[str, Any]) -> dict[str, Any]:
    """An m.file event for the notice's file (an appointment's .ics), its title and text as
    the caption; `source` as for `image_content`."""
    caption = message_content(replace(notice, choices=(), file=None))
    return {
        "msgtype": "m.file",
        "body": caption["body"] or file.name,
        "format": "org.matrix.custom.html",
        "formatted_body": caption["formatted_body"],
        "filename": file.name,
        "m.mentions": {},
        "info": {"mimetype": file.mime, "size": len(file.data)},
        **source,
    }


def image_content(notice: Notice, image: Image, source: Mapping[str, Any]) -> dict[str, Any]:
    """An m.image event for the notice's picture, its title and text as the caption.

    `source` says where the bytes are: {"url": mxc} in a plain room, {"file": {...}} (the
    encrypted file with its key) in an encrypted one. With `filename` set, clients show
    `body` as a caption (Matrix 1.10); older ones show it as the image's description."""
    caption = message_content(replace(notice, choices=(), image=None))
    return {
        "msgtype": "m.image",
        "body": caption["body"] or image.alt,
        "format": "org.matrix.custom.html",
        "formatted_body": caption["formatted_body"],
        "filename": image.name,
        "m.mentions": {},  # the caption names nobody on purpose
        "info": {
            "mimetype": image.mime,
            "size": len(image.data),
            "w": image.width,
            "h": image.height,
        },
        **source,
    }


def edit_content(original_event_id: str, new: Mapping[str, Any]) -> dict[str, Any]:
    """An m.replace edit of an earlier message with new content.

    The new content keeps its `m.mentions` (what the message mentions now); the edit event
    itself mentions nobody, so an edited card pings no one again (Matrix 1.7 mentions)."""
    fallback = {k: v for k, v in new.items() if k != "m.mentions"}
    return {
        **fallback,
        "body": "* " + str(new["body"]),
        "formatted_body": "* " + str(new["formatted_body"]),
        "m.mentions": {},
        "m.new_content": dict(new),
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id},
    }


def reaction_content(event_id: str, key: str) -> dict[str, Any]:
    """An m.reaction annotating `event_id` with `key`."""
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def _with_pills(markup: str, mentions: Sequence[Mention]) -> str:
    """Turn the (escaped) display names of mentioned people into Matrix pills."""
    for mention in mentions:
        name = html.escape(mention.display_name)
        pill = f'<a href="https://matrix.to/#/{html.escape(mention.user_id)}">{name}</a>'
        markup = markup.replace(name, pill, 1)
    return markup
