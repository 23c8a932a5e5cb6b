"""Each collected notice through the three real adapter renderers, as render.js items.

- Teams: `adapters.teams.render.activity` - an Adaptive Card goes to Microsoft's renderer, a
  Markdown message through markdown-it, a picture message as its plain caption and image;
- Matrix: `adapters.matrix.render.message_content` - the formatted_body as Element shows it
  (with the picture where the notice has one);
- local chat: `adapters.local.render.render_text`.

The people a notice mentions are looked up in the sample organisation, as the adapters look
them up in theirs: a Teams mention (`<at>` tag, entity) and a Matrix pill.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from adapters.local.render import render_text
from adapters.matrix.render import Mention, message_content
from adapters.teams.mentions import mentions_of
from adapters.teams.render import CARD_CONTENT_TYPE, activity
from bot.config.loader import load_config
from bot.config.model import OrgConfig
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
        for a in sent.get("attachments", [])
        if str(a.get("contentType", "")).startswith("image/")
    )
    return sent, {"view": "teams-text", "html": f"<p>{text}</p>{pictures}"}


def _matrix(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    people = (_config().person(person_id) for person_id in entry.notice.mentions)
    mentions = [
        Mention(person.display_name, person.platform_ids["matrix"])
        for person in people
        if person is not None and "matrix" in person.platform_ids
    ]
    content = message_content(entry.notice, mentions)
    shown = str(content["formatted_body"])
    if entry.notice.image is not None:  # sent as an m.image with the notice as caption
        shown += f'<img src="{entry.notice.image.data_uri()}" alt="">'
    return content, {"view": "matrix", "html": shown}


def _local(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    channel = entry.target.partition(":")[2] if entry.target.startswith("channel:") else None
    text = render_text(entry.notice, channel=channel)
    return {"text": text}, {"view": "local", "text": text}


_VIEW = {"teams": _teams, "matrix": _matrix, "local": _local}
