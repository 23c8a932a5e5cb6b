"""Table model of personal working hours set by /arbeitszeit (issue 16).

Kept apart from `storage.models` (which re-exports it) so that module stays small. The
config may give a person hours, too; a row here overrides them until /arbeitszeit
zurücksetzen deletes it. Hours are stored as {weekday: ["HH:MM-HH:MM", ...]} (weekday
"0" = Monday): plain JSON that both stores read alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class PersonHoursRow(Base):
    """One staff member's own working hours (a config person id)."""

    __tablename__ = "person_hours"

    person_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hours: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
