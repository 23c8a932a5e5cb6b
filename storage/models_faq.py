"""Table model of FAQ proposals: answers that become first-level knowledge (issue 17).

Kept apart from `storage.models` (which re-exports it) so that module stays small. An agent
proposes the answer of a resolved ticket (`/faq N`, the card's button, a 📖 reaction);
Team BK accepts, edits or rejects it. Accepted rows are served by the intake beside the
config's `knowledge:` entries, as entry "faq-<id>". `groups` lists the customer group ids
the entry is for (empty: every group); `version` makes each decision a compare-and-set, so
a second press on a decided proposal changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId


class FaqEntryRow(Base):
    """A proposed (then accepted or rejected) first-level answer for one topic."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), index=True)  # proposed|accepted|rejected
    topic_id: Mapped[str] = mapped_column(String(64))
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    proposed_by: Mapped[str] = mapped_column(String(128))  # the config person id
    proposed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}
