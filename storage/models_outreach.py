"""Table models of the outreach side: workshops with registrations and feedback, newsletters.

Kept apart from the ticket tables in `storage.models` (which re-exports them) so each
module stays small; all share one `Base.metadata`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigId


class WorkshopRow(Base):
    """A workshop or training in the catalogue (Schulung, Workshop)."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stable key for imports
    title: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(500))  # a room, or an online link
    seats: Mapped[int] = mapped_column(Integer)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every group
    trainer_team: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned|cancelled
    created_at: Mapped[datetime]


class WorkshopRegistrationRow(Base):
    """A person's seat (or place on the waiting list) in a workshop."""

    __tablename__ = "workshop_registrations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    customer_group_id: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="de")
    status: Mapped[str] = mapped_column(String(16))  # registered|waiting|cancelled
    registered_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]  # moved up from the waiting list
    reminded_at: Mapped[datetime | None]
    feedback_sent_at: Mapped[datetime | None]
    feedback_reminded_at: Mapped[datetime | None]
    feedback_done_at: Mapped[datetime | None]  # answered (which answers: not recorded here)

    __table_args__ = (UniqueConstraint("workshop_id", "platform", "user_id"),)


class WorkshopFeedbackRow(Base):
    """One filled-in feedback questionnaire: anonymous, tied to the workshop only."""

    __tablename__ = "workshop_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    answers: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime]


class NewsletterSubscriptionRow(Base):
    """A person's subscription to the newsletter of one customer group, in their language."""

    __tablename__ = "newsletter_subscriptions"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), default="de")
    subscribed_at: Mapped[datetime]

    __table_args__ = (Index("ix_newsletter_subscriptions_group", "group_id"),)


class NewsletterRow(Base):
    """A newsletter Team BK sent to one or more customer groups (status sending, then sent)."""

    __tablename__ = "newsletters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_platform: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(255))
    author_locale: Mapped[str] = mapped_column(String(8), default="de")
    status: Mapped[str] = mapped_column(String(16), index=True)  # sending | sent
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]  # every delivery queued in the outbox


class NewsletterDeliveryRow(Base):
    """One recipient of one newsletter: unique per person, queued into the outbox once."""

    __tablename__ = "newsletter_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    newsletter_id: Mapped[int] = mapped_column(ForeignKey("newsletters.id"))
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="de")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | queued
    queued_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("newsletter_id", "platform", "user_id"),
        Index("ix_newsletter_deliveries_pending", "status", "newsletter_id", "id"),
    )
