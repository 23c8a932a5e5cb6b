"""The sweep keeps `plan.items` per batch by the ticket columns listed in `plan.INPUTS`:
the plan must read no other column (else a changed column would go unnoticed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.config.loader import load_config
from bot.escalation import plan
from bot.sla.calendar import calendar_for
from storage.models import TicketRow
from tests.conftest import berlin


class Recording:
    """A ticket that notes which columns are read."""

    def __init__(self, ticket: TicketRow) -> None:
        self._ticket = ticket
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._ticket, name)


def test_the_plan_reads_only_its_listed_inputs() -> None:
    config = load_config(None)
    opened = berlin(2026, 11, 30, 9, 0)
    columns = {column.key for column in TicketRow.__mapper__.column_attrs}
    for status, escalated in (("queued", False), ("claimed", True), ("reopened", True)):
        ticket = TicketRow(
            id=7,
            status=status,
            team_id="kreditoren",
            topic_id="haushalt",
            requester_platform="local",
            created_at=opened,
            updated_at=opened,
            queued_at=opened,
            assignee="anna" if status == "claimed" else None,
            worked_at=opened,
            first_response_due_at=opened + timedelta(hours=6),
            first_responded_at=opened + timedelta(hours=1) if escalated else None,
            update_due_at=opened + timedelta(days=1),
            resolution_due_at=opened + timedelta(days=2),
            escalated_at=opened + timedelta(hours=2) if escalated else None,
            escalation_repeats=0,
        )
        recording = Recording(ticket)
        plan.items(config, recording, calendar_for(config, ticket.team_id))  # type: ignore[arg-type]
        assert recording.read & columns <= set(plan.INPUTS), recording.read - set(plan.INPUTS)
        assert {"first_responded_at", "requester_informed_at"} <= recording.read
        assert not escalated or "escalation_acked_at" in recording.read
