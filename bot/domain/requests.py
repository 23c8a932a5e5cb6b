"""What the intake collects for a new ticket: pure data, shared by the dialog that asks for
it and the service that files it (so the pure dialogs need not import the services)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NewRequest:
    """What the intake collected."""

    topic_id: str
    customer_group_id: str | None
    description: str
    reference: str | None = None
    anonymous: bool = False
    source_event: str | None = None  # the platform's id of the message with the description
