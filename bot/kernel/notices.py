"""The neutral contract between adapters and the core.

Adapters turn platform events into `Inbound` messages and render `Notice` objects;
nothing in the core knows what an Adaptive Card or an m.notice is.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

TargetKind = Literal["user", "channel"]
# "message": a user wrote or pressed something; "joined": the bot was added to the
# conversation (Teams install, a Matrix DM invite the bot accepted): the core may greet.
InboundKind = Literal["message", "joined"]


@dataclass(frozen=True)
class Choice:
    """A button with a stable id; users may also type its number or its label."""

    id: str
    label: str

    def starts_with(self, number: int) -> bool:
        """Whether the label begins with its own number in a list ("1 – gar nicht")."""
        return self.label.split(" ", 1)[0].rstrip(".:)") == str(number)

    def numbered(self, number: int) -> str:
        """The label as a numbered list shows it: "2. Nein", but a label that begins with
        its number as it is ("1 – gar nicht", not "1. 1 – gar nicht")."""
        return self.label if self.starts_with(number) else f"{number}. {self.label}"


@dataclass(frozen=True)
class Fact:
    """A label/value pair shown as a table row (Adaptive Card FactSet, HTML table, text line)."""

    label: str
    value: str


@dataclass(frozen=True)
class Table:
    """Figures in rows and columns with a header row (the reports): readable in chat without
    a picture. Cells are plain text, not markup, so renderers show them as they are; the
    first column names the row, the others hold the figures (right-aligned)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None
    # A legend under the table: what short column headers stand for, so that the headers
    # can stay short enough for a narrow card (Teams: 432 px) without leaving the reader
    # guessing.
    note: str | None = None

    def lines(self) -> list[str]:
        """The table as aligned plain-text lines (terminals, plain-text fallbacks): the title,
        the header, then the rows, then the note; the first column left-aligned, figures
        right-aligned."""
        grid = [self.columns, *self.rows]
        widths = [
            max(len(row[i]) if i < len(row) else 0 for row in grid)
            for i in range(len(self.columns))
        ]
        out = [self.title] if self.title else []
        for row in grid:
            cells = [
                (cell.ljust if i == 0 else cell.rjust)(widths[i]) for i, cell in enumerate(row)
            ]
            out.append("  ".join(cells).rstrip())
        return [*out, self.note] if self.note else out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the note only where there is one, as outbox rows had it)."""
        data: dict[str, Any] = {
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "title": self.title,
        }
        if self.note:
            data["note"] = self.note
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Table:
        """Inverse of `to_json`."""
        return cls(
            columns=tuple(str(c) for c in data["columns"]),
            rows=tuple(tuple(str(c) for c in row) for row in data["rows"]),
            title=data.get("title"),
            note=data.get("note"),
        )


@dataclass(frozen=True)
class Image:
    """A picture that travels with a notice (the weekly chart): the bytes and how to show them.

    `alt` is the text alternative that clients without images (and screen readers) get."""

    data: bytes
    mime: str
    name: str
    width: int
    height: int
    alt: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; the bytes as base64."""
        return {
            "data": base64.b64encode(self.data).decode("ascii"),
            "mime": self.mime,
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "alt": self.alt,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Image:
        """Inverse of `to_json`."""
        return cls(
            data=base64.b64decode(str(data["data"])),
            mime=str(data["mime"]),
            name=str(data["name"]),
            width=int(data["width"]),
            height=int(data["height"]),
            alt=str(data["alt"]),
        )

    def data_uri(self) -> str:
        """The picture as a data: URI (for platforms that take images inline)."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class FileData:
    """A file that travels with a notice (an appointment's .ics): bytes, type and name."""

    data: bytes
    mime: str
    name: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; the bytes as base64."""
        encoded = base64.b64encode(self.data).decode("ascii")
        return {"data": encoded, "mime": self.mime, "name": self.name}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileData:
        """Inverse of `to_json`."""
        raw = base64.b64decode(str(data["data"]))
        return cls(data=raw, mime=str(data["mime"]), name=str(data["name"]))

    def data_uri(self) -> str:
        """The file as a data: URI (for platforms that take attachments inline)."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class Notice:
    """A message from the core: text is a small safe subset of Markdown (**bold** only)."""

    text: str
    title: str | None = None
    facts: tuple[Fact, ...] = ()
    choices: tuple[Choice, ...] = ()
    ticket_id: int | None = None
    channel_safe: bool = True  # False for complaint content: never into a team channel
    card: str | None = None  # a later notice with the same card replaces this one where possible
    mentions: tuple[str, ...] = ()  # person ids named in the text (rendered as pills)
    image: Image | None = None  # sent as a picture; title and text become its caption
    # With `card`: take back what this card showed in the target's conversation (the
    # platform's strongest means: Matrix redacts the post and its edits) and leave this
    # notice in its place; where the card was never shown, nothing is sent (data erasure).
    retract: bool = False
    tables: tuple[Table, ...] = ()  # shown after the facts (Adaptive Card Table, HTML table)
    # In the thread of this ticket's card, where the target's conversation shows that card
    # (Teams: a reply to the card's post; Matrix: an m.thread under it); where it does not
    # (never posted, or erased), the notice goes to the conversation itself.
    thread: int | None = None
    # A status a newer notice with the same `merge` may replace in place, where the platform
    # can edit and nothing has been said since (claim, unclaim, claim: one message, not three).
    merge: str | None = None
    file: FileData | None = None  # attached (Matrix m.file, Teams attachment, local: saved)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, for the outbox."""
        data: dict[str, Any] = {
            "text": self.text,
            "title": self.title,
            "facts": [[f.label, f.value] for f in self.facts],
            "choices": [[c.id, c.label] for c in self.choices],
            "ticket_id": self.ticket_id,
            "channel_safe": self.channel_safe,
            "card": self.card,
            "mentions": list(self.mentions),
        }
        if self.image is not None:
            data["image"] = self.image.to_json()
        if self.retract:
            data["retract"] = True
        if self.tables:
            data["tables"] = [table.to_json() for table in self.tables]
        if self.thread is not None:
            data["thread"] = self.thread
        if self.merge is not None:
            data["merge"] = self.merge
        if self.file is not None:
            data["file"] = self.file.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notice:
        """Inverse of `to_json`."""
        return cls(
            text=str(data["text"]),
            title=data.get("title"),
            facts=tuple(Fact(str(a), str(b)) for a, b in data.get("facts", ())),
            choices=tuple(Choice(str(a), str(b)) for a, b in data.get("choices", ())),
            ticket_id=data.get("ticket_id"),
            channel_safe=bool(data.get("channel_safe", True)),
            card=data.get("card"),
            mentions=tuple(str(m) for m in data.get("mentions", ())),
            image=Image.from_json(data["image"]) if data.get("image") else None,
            retract=bool(data.get("retract", False)),
            tables=tuple(Table.from_json(table) for table in data.get("tables", ())),
            thread=data.get("thread"),
            merge=data.get("merge"),
            file=FileData.from_json(data["file"]) if data.get("file") else None,
        )


@dataclass(frozen=True)
class Target:
    """Where a notice goes: a user's DM or a team channel, on one platform."""

    platform: str
    kind: TargetKind
    address: str  # platform user id or channel id


@dataclass(frozen=True)
class Inbound:
    """A user's message or button press, translated by an adapter."""

    platform: str
    conversation_id: str
    user_id: str
    event_id: str
    text: str = ""
    action_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    locale: str = "de"  # "" when the platform gives none (Matrix): the core guesses
    is_direct: bool = True
    display_name: str | None = None
    channel_id: str | None = None  # the team channel, when not direct
    # A change to an earlier message of the sender's (the platform's event id of it): an
    # edit (`text` is its new text) or a deletion. Never a new message; the core decides
    # whether it matters (bot/conversation/revisions.py).
    edits: str | None = None
    redacts: str | None = None
    kind: InboundKind = "message"


def inbound_to_json(inbound: Inbound) -> dict[str, Any]:
    """An inbound message as JSON (for the transactional inbox)."""
    return {
        "platform": inbound.platform,
        "conversation_id": inbound.conversation_id,
        "user_id": inbound.user_id,
        "event_id": inbound.event_id,
        "text": inbound.text,
        "action_id": inbound.action_id,
        "payload": dict(inbound.payload),
        "locale": inbound.locale,
        "is_direct": inbound.is_direct,
        "display_name": inbound.display_name,
        "channel_id": inbound.channel_id,
        "edits": inbound.edits,
        "redacts": inbound.redacts,
        "kind": inbound.kind,
    }


def inbound_from_json(data: Mapping[str, Any]) -> Inbound:
    """Inverse of `inbound_to_json`."""
    return Inbound(**{key: data[key] for key in inbound_to_json(_EMPTY) if key in data})


@dataclass(frozen=True)
class Outgoing:
    """A notice addressed to a target: what the core hands to the outbox."""

    target: Target
    notice: Notice


_EMPTY = Inbound(platform="", conversation_id="", user_id="", event_id="")


def ticket_card_key(ticket_id: int, entered_ms: int) -> str:
    """The card key of a ticket's stay in a queue (a new queue entry is a new post)."""
    return f"{ticket_card_prefix(ticket_id)}{entered_ms}"


def ticket_card_prefix(ticket_id: int) -> str:
    """How every card key of the ticket begins."""
    return f"ticket-{ticket_id}-"


def ticket_of_card(card: str | None) -> int | None:
    """The ticket a card key belongs to, or None for other cards (and no card)."""
    if card is None:
        return None
    kind, _, rest = card.partition("-")
    number = rest.partition("-")[0]
    if kind != "ticket" or not number.isdecimal() or len(number) > 18:
        return None
    return int(number)
