"""Each collected notice through the three real adapter renderers, as render.js items.

- Teams: `adapters.teams.render.activity` - an Adaptive Card goes to Microsoft's renderer, a
  Markdown message through markdown-it, a picture message as its plain caption and image;
- Matrix: `adapters.matrix.render.message_content` - the formatted_body as Element shows it
  (with the picture where the notice has one);
- local chat: `adapters.local.render.render_text`.

A notice with a file (an appointment's .ics) shows the file as each client does: Teams the
attachment as a file card, Element the m.file (its caption, then the file line), the local
chat the path the shell saved it to.

The people a notice mentions are looked up in the sample organisation, as the adapters look
them up in theirs: a Teams mention (`<at>` tag, entity) and a Matrix pill.
"""

from __future__ import annotations

import html
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from adapters.local.render import render_text
from adapters.matrix.render import Mention, media_content, message_content
from adapters.teams.mentions import mentions_of
from adapters.teams.render import CARD_CONTENT_TYPE, activity
from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.kernel.notices import Notice
from tests.gallery.scenarios import Entry

VIEWS = ("teams", "matrix", "local")


@dataclass(frozen=True)
class Item:
    """One picture to render: an entry in one client's view."""

    entry: Entry
    view: str  # "teams", "matrix" or "local"
    payload: dict[str, Any]  # what the platform receives (activity / content / text)
    job: dict[str, Any]  # what render.js gets

    @property
    def name(self) -> str:
        """The PNG's file name stem."""
        return f"{self.entry.slug}.{self.view}"


def items(entries: list[Entry], out: Path) -> list[Item]:
    """Every entry in every view."""
    made: list[Item] = []
    for entry in entries:
        for view in VIEWS:
            payload, job = _VIEW[view](entry)
            item = Item(entry, view, payload, job)
            job.update(
                slug=item.name,
                caption=f"{entry.situation} → {entry.target}",
                png=str(out / f"{item.name}.png"),
            )
            made.append(item)
    return made


@cache
def _config() -> OrgConfig:
    """The sample organisation the scenarios run in: who the mentioned people are."""
    return load_config(None)


def _teams(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    sent = activity(entry.notice, mentions_of(_config(), entry.notice))
    cards = [a for a in sent.get("attachments", []) if a["contentType"] == CARD_CONTENT_TYPE]
    if cards:
        card = cards[0]["content"]
        tags = [e["text"] for e in card.get("msteams", {}).get("entities", [])]
        return sent, {"view": "teams-card", "card": card, "mentions": tags}
    if sent.get("textFormat") == "markdown":
        tags = [e["text"] for e in sent.get("entities", []) if e.get("type") == "mention"]
        return sent, {"view": "teams-text", "markdown": sent["text"], "mentions": tags}
    text = html.escape(str(sent.get("text", ""))).replace("\n", "<br>")
    pictures = "".join(
        f'<img src="{html.escape(a["contentUrl"])}" alt="">'
        if str(a.get("contentType", "")).startswith("image/")
        else _chip("teams-file", str(a["name"]), _size(entry.notice), str(a["contentType"]))
        for a in sent.get("attachments", [])
    )
    return sent, {"view": "teams-text", "html": f"<p>{text}</p>{pictures}"}


def _matrix(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    people = (_config().person(person_id) for person_id in entry.notice.mentions)
    mentions = [
        Mention(person.display_name, person.platform_ids["matrix"])
        for person in people
        if person is not None and "matrix" in person.platform_ids
    ]
    file = entry.notice.file
    if file is not None:  # sent as an m.file with the notice as caption: Element's file line
        content = media_content(entry.notice, file, {"url": f"mxc://stadt.example/{file.name}"})
        shown = str(content["formatted_body"])
        shown += _chip("matrix-file", file.name, _size(entry.notice), "Download")
        return content, {"view": "matrix", "html": shown}
    content = message_content(entry.notice, mentions)
    shown = str(content["formatted_body"])
    if entry.notice.image is not None:  # sent as an m.image with the notice as caption
        shown += f'<img src="{entry.notice.image.data_uri()}" alt="">'
    return content, {"view": "matrix", "html": shown}


def _local(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    channel = entry.target.partition(":")[2] if entry.target.startswith("channel:") else None
    text = render_text(entry.notice, channel=channel)
    if entry.notice.file is not None:  # the shell saves the file and prints its path
        user = entry.target.partition(":")[2]
        folder = Path(tempfile.gettempdir()) / "hotline-files" / re.sub(r"[^\w.-]", "_", user)
        text += f"\n  -> {folder / entry.notice.file.name}"
    return {"text": text}, {"view": "local", "text": text}


def _size(notice: Notice) -> str:
    """The file's size as the clients write it ("1 KB")."""
    return "" if notice.file is None else f"{len(notice.file.data) // 1024 + 1} KB"


def _chip(kind: str, name: str, size: str, detail: str) -> str:
    """A file attachment as the client shows it: Teams a file card (icon, name, size and
    type), Element a file line (icon, name, size, "Download")."""
    icon = "📅" if name.endswith(".ics") else "📄"
    return (
        f'<div class="file {kind}"><span class="icon">{icon}</span>'
        f'<span class="name">{html.escape(name)}</span>'
        f'<span class="meta">{html.escape(size)} · {html.escape(detail)}</span></div>'
    )


_VIEW = {"teams": _teams, "matrix": _matrix, "local": _local}
