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


_OPTIONAL = frozenset({"reference"})  # the only field that may be None


def dump_state(state: IntakeState) -> dict[str, Any]:
    """A JSON-ready dict for the dialog store."""
    return {"kind": type(state).__name__, **asdict(state)}


def load_state(data: object) -> IntakeState | None:
    """Inverse of `dump_state`; None for anything unrecognisable (the dialog restarts)."""
    if not isinstance(data, dict):
        return None
    cls = _KINDS.get(str(data.get("kind")))
    if cls is None:
        return None
    values: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.name not in data:
            return None
        value = data[spec.name]
        if not (isinstance(value, str) or (value is None and spec.name in _OPTIONAL)):
            return None  # missing, or not the type the dialog steps rely on
        values[spec.name] = value
    return cls(**values)
