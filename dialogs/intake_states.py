"""The intake dialog's typed states, and their (de)serialisation for the dialog store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class AskGroup:
    """Waiting for the customer group (asked once, then remembered)."""


@dataclass(frozen=True)
class AskTopic:
    """Waiting for the topic from the menu."""

    group: str


@dataclass(frozen=True)
class AskSubtopic:
    """Waiting for a sub-topic of `parent`."""

    group: str
    parent: str


@dataclass(frozen=True)
class AskDescription:
    """Waiting for the free-text description."""

    group: str
    topic: str


@dataclass(frozen=True)
class AskReference:
    """Waiting for an optional reference number ("-" skips)."""

    group: str
    topic: str
    description: str


@dataclass(frozen=True)
class Confirm:
    """Waiting for yes/no before the ticket is created."""

    group: str
    topic: str
    description: str
    reference: str | None


IntakeState = AskGroup | AskTopic | AskSubtopic | AskDescription | AskReference | Confirm

_KINDS: dict[str, type[IntakeState]] = {
    cls.__name__: cls
    for cls in (AskGroup, AskTopic, AskSubtopic, AskDescription, AskReference, Confirm)
}


def dump_state(state: IntakeState) -> dict[str, Any]:
    """A JSON-ready dict for the dialog store."""
    return {"kind": type(state).__name__, **asdict(state)}


def load_state(data: dict[str, Any]) -> IntakeState | None:
    """Inverse of `dump_state`; None for anything unrecognisable (the dialog restarts)."""
    cls = _KINDS.get(str(data.get("kind")))
    if cls is None:
        return None
    names = {f.name for f in fields(cls)}
    if not names <= data.keys():
        return None
    return cls(**{name: data[name] for name in names})
