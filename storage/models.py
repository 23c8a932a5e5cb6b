"""SQLAlchemy 2 table models. Times are stored timezone-aware (UTC on SQLite via UtcDateTime)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import NAMING as NAMING
from storage.base import Base as Base
from storage.base import BigId as BigId
from storage.base import UtcDateTime as UtcDateTime
from storage.models_appointments import AppointmentRow as AppointmentRow  # issue 17
from storage.models_faq import FaqEntryRow as FaqEntryRow  # issue 17, re-exported
from storage.models_outreach import NewsletterDeliveryRow as NewsletterDeliveryRow
from storage.models_outreach import NewsletterRow as NewsletterRow
from storage.models_outreach import NewsletterSubscriptionRow as NewsletterSubscriptionRow
from storage.models_outreach import WorkshopFeedbackRow as WorkshopFeedbackRow
from storage.models_outreach import WorkshopRegistrationRow as WorkshopRegistrationRow
from storage.models_outreach import WorkshopRow as WorkshopRow  # outreach tables, re-exported
from storage.models_pacing import NoticePacingRow as NoticePacingRow  # re-exported
from storage.models_people import AbsenceRow as AbsenceRow  # people's time, re-exported
from storage.models_people_hours import PersonHoursRow as PersonHoursRow  # issue 16
from storage.models_relay import ComplaintRelayRow as ComplaintRelayRow  # re-exported
from storage.models_relay import RelayQuestionRow as RelayQuestionRow  # re-exported


class TicketRow(Base):
    """A ticket: always in a team queue; deadlines are indexed columns for the sweep."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32))
    topic_id: Mapped[str] = mapped_column(String(64))
    customer_group_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    assignee: Mapped[str | None] = mapped_column(String(128))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalation_step: Mapped[str | None] = mapped_column(String(64))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # A complaint's requester may stay anonymous towards the team concerned.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    description: Mapped[str] = mapped_column(Text)
    # The platform's id of the requester's message that gave the description (None: not
    # known): an edit or deletion of that message changes the description. Looked up with
    # the requester (ix_tickets_requester), who has few tickets.
    description_event: Mapped[str | None] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))
    requester_platform: Mapped[str] = mapped_column(String(16))
    requester_id: Mapped[str] = mapped_column(String(255))
    requester_name: Mapped[str | None] = mapped_column(String(255))
    requester_locale: Mapped[str] = mapped_column(String(8), default="de")
    # Where the request came in: "chat" (the intake) or "phone" (Team BK's /telefon). A
    # caller without a chat account has requester_platform "phone" (bot/service/phone.py).
    channel: Mapped[str] = mapped_column(String(8), default="chat", server_default="chat")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the ticket last entered a queue (new, handed off, reopened): each entry is a new
    # post in the team channel, and later changes edit that post.
    queued_at: Mapped[datetime | None]
    # Each deadline is an indexed column, so "which tickets are past their reaction (or
    # resolution, or update) deadline" is one range query for reports and /ueberfaellig.
    first_response_due_at: Mapped[datetime | None] = mapped_column(index=True)
    first_responded_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None] = mapped_column(index=True)
    update_due_at: Mapped[datetime | None] = mapped_column(index=True)
    paused_at: Mapped[datetime | None]
    first_response_remaining_s: Mapped[int | None] = mapped_column(Integer)
    resolution_remaining_s: Mapped[int | None] = mapped_column(Integer)
    update_remaining_s: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]  # retention or a deletion request removed its data
    # The earliest active deadline, NULL when none runs (closed, resolved or paused).
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the deadline sweep next has work for this ticket (a reminder, an escalation, an
    # interim message, a claim lease): the ONE indexed column the sweep queries. It may be
    # early (the sweep then only recomputes it), never late.
    next_action_at: Mapped[datetime | None] = mapped_column(index=True)
    update_started_at: Mapped[datetime | None]  # the 'no silence' clock last (re)started
    resolution_started_at: Mapped[datetime | None]  # the resolution clock (re)started
    worked_at: Mapped[datetime | None]  # last staff activity (claim lease)
    requester_informed_at: Mapped[datetime | None]  # last message to the requester
    escalated_at: Mapped[datetime | None]  # last escalation to the department leadership
    escalation_repeats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalation_acked_at: Mapped[datetime | None]
    escalation_acked_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_tickets_team_status", "team_id", "status"),
        Index("ix_tickets_requester", "requester_platform", "requester_id"),
    )
    # Optimistic locking: every UPDATE checks the version it read (compare-and-set).
    __mapper_args__ = {"version_id_col": version}


class TicketEventRow(Base):
    """One line of a ticket's audit trail: who, when, what, from which platform, and for whom.

    `audience` (bot/domain/audience.py) says who may read the event, all of it: staff-only
    words never sit in a requester-audience event but in an event of their own."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_platform: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(255))
    actor_person: Mapped[str | None] = mapped_column(String(128))
    audience: Mapped[str] = mapped_column(String(24))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InboundEventRow(Base):
    """Seen platform events: the primary key makes a second delivery a no-op."""

    __tablename__ = "inbound_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime]


class OutboxRow(Base):
    """An outgoing notice, kept until the platform has accepted it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    platform: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_address: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(64))  # the instance leasing it
    delivered_at: Mapped[datetime | None]
    message_ref: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Bundling (bot/bundling/bundler.py): a sweep DM's kind; held rows wait for the
    # bundler, and the rows it folded into one message name that message's row.
    bundle_kind: Mapped[str | None] = mapped_column(String(32))
    bundle_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_outbox_pending", "status", "platform", "next_attempt_at"),
        Index("ix_outbox_held", "status", "bundle_kind", "next_attempt_at"),
    )


class DialogStateRow(Base):
    """A conversation's dialog state, saved with compare-and-set on `version`."""

    __tablename__ = "dialog_states"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    dialog: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class OpenPromptRow(Base):
    """A question the bot asked one person and still waits for (a rating, ...): its id is
    what the question's buttons carry, so an answer to a closed one is known as stale."""

    __tablename__ = "open_prompts"
    __table_args__ = (Index(None, "platform", "user_id", "closed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    typed_until: Mapped[datetime]  # a typed answer counts until then; buttons while open
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    held_text: Mapped[str | None] = mapped_column(Text)  # a message waiting for its question


class UserProfileRow(Base):
    """What the hotline remembers about a requester: customer group and language."""

    __tablename__ = "user_profiles"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_group_id: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="de")
    display_name: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class LocalMessageRow(Base):
    """The local chat 'platform': messages delivered to a local user or channel."""

    __tablename__ = "local_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(255), index=True)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class LocalCursorRow(Base):
    """How far a local user's shell has read; so state survives between runs."""

    __tablename__ = "local_cursors"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_message_id: Mapped[int] = mapped_column(BigInteger, default=0)


class InstanceRow(Base):
    """A running bot process (or shell) and when it was last seen alive: the outbox rows it
    leased go back to the others as soon as it stops beating, not when the lease ends."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]


class LocalTypedRow(Base):
    """A line typed into a local shell and not yet known to be handled: kept with its event
    id, so a shell killed mid-turn sends it again at its next start (the engine's dedupe
    then drops it if the turn had committed) and no line is lost or handled twice."""

    __tablename__ = "local_typed"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)  # typing order
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str | None] = mapped_column(String(255))
    typed_at: Mapped[datetime]


class ProposalRow(Base):
    """An idea or a round-table topic, collected for the leads."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # idea | round_table
    text: Mapped[str] = mapped_column(Text)
    topic_id: Mapped[str] = mapped_column(String(64))
    customer_group_id: Mapped[str | None] = mapped_column(String(64))
    requester_platform: Mapped[str] = mapped_column(String(16))
    requester_id: Mapped[str] = mapped_column(String(255))
    requester_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|merged|scheduled
    merged_into: Mapped[int | None] = mapped_column(BigInteger, index=True)
    scheduled_at: Mapped[datetime | None]  # put on the next round table's agenda


class KnowledgeFeedbackRow(Base):
    """Whether a first-level answer helped: 'answered at first contact' when it did."""

    __tablename__ = "knowledge_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    topic_id: Mapped[str] = mapped_column(String(64))
    customer_group_id: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(64))
    helped: Mapped[bool] = mapped_column(Boolean)


class AuditLogRow(Base):
    """Things worth auditing that are not a ticket change: refusals, failed inbound events."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PlatformStateRow(Base):
    """Small persistent facts an adapter needs across restarts (sync token, device id, DM rooms)."""

    __tablename__ = "platform_state"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class SentMessageRow(Base):
    """A message an adapter posted: for edits (card updates) and for reactions on its choices."""

    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    room: Mapped[str] = mapped_column(String(255))
    message_ref: Mapped[str] = mapped_column(String(255))
    card: Mapped[str | None] = mapped_column(String(128))
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    # Matrix event ids are unique on the server, Teams activity ids only per conversation.
    __table_args__ = (
        UniqueConstraint("platform", "room", "message_ref"),
        Index("ix_sent_messages_card", "platform", "room", "card"),
    )


class InboxRow(Base):
    """Inbound events received but not yet handled: the sync loop stores, workers handle."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index("ix_inbox_pending", "platform", "done", "id"),
    )


class EscalationStepRow(Base):
    """A reminder, escalation or other deadline step that fired, under a unique key.

    The key (ticket, deadline instance, step) is inserted in the same transaction that
    enqueues the step's notices: a second sweeper (another instance, a retry after a crash)
    hits the unique constraint and sends nothing.
    """

    __tablename__ = "escalation_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    # Found late (the bot was down): recorded without its own messages, listed once in a
    # catch-up report to the leads instead (`reported_at`).
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[datetime | None]
    recipients: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_escalation_steps_unreported", "missed", "reported_at"),)


class SchedulerLeaseRow(Base):
    """A named job lease: which instance runs a singleton job (catch-up report) until when."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    lease_until: Mapped[datetime]
    last_run_at: Mapped[datetime | None]


class SatisfactionRow(Base):
    """A requester's rating (1-5) of a resolved ticket, with an optional comment (CSAT)."""

    __tablename__ = "satisfaction"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    team_id: Mapped[str] = mapped_column(String(64), index=True)
    topic_id: Mapped[str] = mapped_column(String(64))
    customer_group_id: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(index=True)
