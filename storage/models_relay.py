"""Table models of the pseudonymous complaint relay (bot/service/complaint_relay.py).

A complaint manager forwards a complaint, or the part of it they choose, to the team
concerned: one `complaint_relays` row per forwarding, all rows of one complaint under the
same pseudonym ("B-4711"). The team's questions and the complainant's answers are
`complaint_relay_questions`. Both hang on the ticket and go with it (privacy delete,
retention): the pseudonym mapping lives nowhere else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId


class ComplaintRelayRow(Base):
    """A complaint forwarded to a team under its pseudonym, with the text the manager chose."""

    __tablename__ = "complaint_relays"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(16), index=True)
    team_id: Mapped[str] = mapped_column(String(64))
    forwarded_by: Mapped[str] = mapped_column(String(128))  # the manager's person id
    forwarded_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class RelayQuestionRow(Base):
    """A team member's question about a relayed complaint, and the complainant's answer."""

    __tablename__ = "complaint_relay_questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    relay_id: Mapped[int] = mapped_column(ForeignKey("complaint_relays.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    asked_by: Mapped[str] = mapped_column(String(128))  # the team member's person id
    asked_at: Mapped[datetime]
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
