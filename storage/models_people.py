"""Table models about people's time: absences (Abwesenheit) with their deputy.

Kept apart from the ticket tables in `storage.models` (which re-exports them) so each
module stays small; all share one `Base.metadata`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId


class AbsenceRow(Base):
    """A staff member away from `starts_at` until `ends_at` (exclusive, the end of the last
    day away), with the deputy named for it (None: the standing rule decides).

    `handed_over_at` is set once, by the sweep, when the absence starts and the person's
    claimed tickets went back to the queue: the compare-and-set on it makes that step
    happen exactly once, also with several bot instances.
    """

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    deputy_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))  # a person id: the person or a lead
    created_at: Mapped[datetime]
    handed_over_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_absences_handover_due", "handed_over_at", "starts_at"),)
