"""The intake dialog's typed states, and their (de)serialisation for the dialog store.

The states that hold a description also hold `description_event`: the platform's id of
the message it was typed in (None when not known, e.g. given with /beschwerde), so an edit
or deletion of that message can change the description (bot/conversation/revisions.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, get_type_hints


@dataclass(frozen=True)
class AskGroup:
    """Waiting for the customer group (asked once, then remembered)."""


@dataclass(frozen=True)
class AskTopic:
    """Waiting for the topic from the menu."""

    group: str | None


@dataclass(frozen=True)
class AskSubtopic:
    """Waiting for a sub-topic of `parent`."""

    group: str | None
    parent: str


@dataclass(frozen=True)
class PickAnswer:
    """Several first-level answers fit the topic: which question is it?"""

    group: str | None
    topic: str


@dataclass(frozen=True)
class AskHelped:
    """A first-level answer was shown: did it help?"""

    group: str | None
    topic: str
    entry: str


@dataclass(frozen=True)
class AskDescription:
    """Waiting for the free-text description; `draft` is the first message of the chat,
    offered as the description (dialogs/intake_draft.py)."""

    group: str | None
    topic: str
    draft: str | None = None
    draft_event: str | None = None


@dataclass(frozen=True)
class AskReference:
    """Waiting for an optional reference number ("-" skips)."""

    group: str | None
    topic: str
    description: str
    description_event: str | None = None


@dataclass(frozen=True)
class AskAnonymous:
    """A complaint: stay anonymous towards the team concerned?"""

    group: str | None
    topic: str
    description: str
    description_event: str | None = None


@dataclass(frozen=True)
class Confirm:
    """Waiting for yes/no before the ticket (or proposal) is created."""

    group: str | None
    topic: str
    description: str
    reference: str | None = None
    anonymous: bool = False
    description_event: str | None = None


IntakeState = (
    AskGroup
    | AskTopic
    | AskSubtopic
    | PickAnswer
    | AskHelped
    | AskDescription
    | AskReference
    | AskAnonymous
    | Confirm
)
STATE_TYPES: tuple[type[IntakeState], ...] = (
    AskGroup,
    AskTopic,
    AskSubtopic,
    PickAnswer,
    AskHelped,
    AskDescription,
    AskReference,
    AskAnonymous,
    Confirm,
)
# Fields a state stored by an earlier version lacks; every other missing field is garbage.
ADDED_LATER = frozenset({"description_event", "draft", "draft_event"})
_KINDS: dict[str, type[IntakeState]] = {cls.__name__: cls for cls in STATE_TYPES}


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
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.name not in data:
            if spec.name in ADDED_LATER:
                continue  # a state stored before the field existed: its default
            return None
        value = data[spec.name]
        if not _fits(value, str(hints[spec.name])):
            return None  # not the type the dialog steps rely on
        values[spec.name] = value
    return cls(**values)


def _fits(value: object, hint: str) -> bool:
    if hint == "<class 'bool'>":
        return isinstance(value, bool)
    if value is None:
        return "None" in hint
    return isinstance(value, str)
