"""The pacing table: how many bundlable sweep DMs one conversation got in its current window.

Kept apart from `storage.models` (which re-exports it) so that module stays small. One row
per (platform, address, kind), and one with kind "*" per conversation for the hourly
ceiling across kinds. The bundler locks the rows it needs, so two instances deciding for
the same person wait for each other instead of both sending.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base


class NoticePacingRow(Base):
    """One conversation's count of bundlable messages in a window that began at `started`."""

    __tablename__ = "notice_pacing"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    started: Mapped[datetime]
    sent: Mapped[int] = mapped_column(Integer, default=0)
