"""Table model of appointments (Termine) arranged on a ticket (issue 17).

Kept apart from `storage.models` (which re-exports it) so that module stays small. One row
per appointment for its whole life: proposed slots, the confirmed time, the calendar
file's sequence (a reschedule is the same appointment, same UID, one sequence higher).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId


class AppointmentRow(Base):
    """An appointment on a ticket: proposed, wanted (other times asked for), confirmed,
    cancelled or held."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    slots: Mapped[list[str]] = mapped_column(JSON)  # ISO instants of the proposal
    proposal: Mapped[int] = mapped_column(Integer, default=1)  # its buttons carry this
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE
    agent: Mapped[str] = mapped_column(String(128))  # the staff member's person id
    agent_platform: Mapped[str] = mapped_column(String(16))
    paused_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
