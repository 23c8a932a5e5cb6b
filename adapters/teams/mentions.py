"""Real Teams mentions for the people a notice names on purpose (`Notice.mentions`).

A name in plain text notifies nobody: "Julia Weber: Sie haben Nr. 5 übernommen." in a
channel thread should reach Julia Weber. Teams notifies a person when the message carries
`<at>Name</at>` in its text AND a `mention` entity with the same text and the person's id:
in the activity's `entities` for a text message, in the card's `msteams.entities` for an
Adaptive Card. The config knows people by their Entra (AAD) object id, which Teams accepts
as the mentioned id in both. Only the first appearance of the name is tagged, and only where
it appears (a name the text does not contain mentions nobody): what a requester typed can
never mention anyone, since only configured staff are looked up.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.teams.markdown import escape_text
from bot.config.model import OrgConfig
from bot.kernel.notices import Notice

PLATFORM = "teams"


@dataclass(frozen=True)
class Mention:
    """A person to mention: the display name as the text shows it, and their Teams id."""

    display_name: str
    user_id: str

    @property
    def tag(self) -> str:
        """The mention as Teams wants it in the text (the name XML-escaped)."""
        return f"<at>{html.escape(self.display_name, quote=False)}</at>"

    def entity(self) -> dict[str, Any]:
        """The `mention` entity that goes with the tag."""
        return {
            "type": "mention",
            "text": self.tag,
            "mentioned": {"id": self.user_id, "name": self.display_name},
        }


def mentions_of(config: OrgConfig | None, notice: Notice) -> list[Mention]:
    """The people the notice names on purpose who have a Teams id, in order."""
    found: list[Mention] = []
    for person_id in dict.fromkeys(notice.mentions):
        person = config.person(person_id) if config is not None else None
        if person is not None and person.platform_ids.get(PLATFORM):
            found.append(Mention(person.display_name, person.platform_ids[PLATFORM]))
    return found


def tagged(text: str, mentions: Sequence[Mention]) -> tuple[str, list[Mention]]:
    """`text` (Markdown) with the first appearance of each name as its tag; the mentions
    that were tagged."""
    placed = []
    for mention in mentions:
        name = escape_text(mention.display_name)  # as the Markdown text writes the name
        if name and name in text:
            text = text.replace(name, mention.tag, 1)
            placed.append(mention)
    return text, placed


def with_mentions(activity: dict[str, Any], mentions: Sequence[Mention]) -> dict[str, Any]:
    """The activity with its people mentioned: a text message gets the tags in its text and
    the entities in the activity; a card, the tags in its first TextBlock naming each person
    and the entities in `msteams`. Unchanged without mentions or where no name appears."""
    if not mentions:
        return activity
    if isinstance(activity.get("text"), str) and activity.get("textFormat") == "markdown":
        text, placed = tagged(activity["text"], mentions)
        if placed:
            entities = [*activity.get("entities", []), *(m.entity() for m in placed)]
            return activity | {"text": text, "entities": entities}
        return activity
    for attachment in activity.get("attachments", []):
        content = attachment.get("content")
        if isinstance(content, dict) and content.get("type") == "AdaptiveCard":
            placed = _tag_card(content, mentions)
            if placed:
                content["msteams"] = {"entities": [m.entity() for m in placed]}
    return activity


def _tag_card(card: dict[str, Any], mentions: Sequence[Mention]) -> list[Mention]:
    """Tag each name in the first top-level TextBlock that shows it (RichTextBlock runs are
    plain text, where a tag would show as written)."""
    placed: list[Mention] = []
    for mention in mentions:
        for block in card.get("body", []):
            if block.get("type") == "TextBlock" and isinstance(block.get("text"), str):
                block["text"], done = tagged(block["text"], [mention])
                if done:
                    placed += done
                    break
    return placed
