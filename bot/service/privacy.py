"""Data protection (DSGVO): retention periods, and a person's requests for access (Art. 15)
and erasure (Art. 17). Every run is written to the audit log, without the person's id in
clear (a hash is enough to show that a request was answered)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.domain.lifecycle import OPEN_STATUSES, TicketStatus
from bot.kernel.clock import Clock
from bot.workshops.service import WorkshopService
from storage.models import TicketRow
from storage.repositories import audit, newsletter, satisfaction, trail, workshops
from storage.repositories import privacy as repo

TRANSPORT_DAYS = 30  # delivered notices and raw inbound events: copies, kept for a month
SYSTEM = "system"


def pseudonym(platform: str | None, user_id: str) -> str:
    """A stable hash of the person for the audit log."""
    digest = hashlib.sha256(f"{platform or '*'}:{user_id}".encode()).hexdigest()
    return f"sha256:{digest[:16]}"


class PrivacyService:
    """Retention job, export and erasure, each in one transaction."""

    def __init__(
        self, config: OrgConfig, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock

    async def apply_retention(self) -> dict[str, int]:
        """Delete old complaints, anonymise old requests and feedback, prune transport."""
        now, days = self.clock.now(), self.config.privacy
        async with self.sessions() as session, session.begin():
            complaints = await repo.expired_complaints(
                session, cutoff=now - timedelta(days=days.complaints_days)
            )
            tickets = await repo.expired_tickets(
                session, cutoff=now - timedelta(days=days.tickets_days)
            )
            counts = {
                "complaints_deleted": await repo.delete_tickets(session, ids=complaints),
                "tickets_anonymised": await repo.anonymise_tickets(session, ids=tickets, at=now),
                "feedback_anonymised": await repo.anonymise_feedback(
                    session, cutoff=now - timedelta(days=days.feedback_days)
                ),
                "newsletter_deliveries_pruned": await repo.prune_newsletter_deliveries(
                    session, cutoff=now - timedelta(days=days.newsletter_days)
                ),
                "transport_pruned": await repo.prune_transport(
                    session, cutoff=now - timedelta(days=TRANSPORT_DAYS)
                ),
            }
            await audit.audit(
                session,
                at=now,
                platform=SYSTEM,
                user_id="retention",
                action="retention",
                detail=counts,
            )
        return counts

    async def export(self, *, user_id: str, platform: str | None = None) -> dict[str, Any]:
        """Everything stored about a requester, as plain data (internal notes excluded)."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            tickets = await repo.person_tickets(session, platform=platform, user_id=user_id)
            exported = [await self._ticket(session, ticket) for ticket in tickets]
            records = await repo.person_records(session, platform=platform, user_id=user_id)
            subscriptions = [
                subscription
                for each in self._platforms(platform)
                for subscription in await newsletter.subscriptions_of(
                    session, platform=each, user_id=user_id
                )
            ]
            own = {ticket.id for ticket in tickets}
            staff = any(
                self.config.person_by_platform(p, user_id) is not None
                for p in ((platform,) if platform else self.config.platforms)
            )
            records["messages_to_them"] = [
                m
                for m in records["messages_to_them"]
                if m.payload.get("ticket_id") in own
                or (m.payload.get("ticket_id") is None and not staff)
            ]
            await audit.audit(
                session,
                at=now,
                platform=SYSTEM,
                user_id=pseudonym(platform, user_id),
                action="privacy_export",
                detail={"tickets": len(tickets)},
            )
        return {
            "person": {"platform": platform, "user_id": user_id},
            "exported_at": now.isoformat(),
            "tickets": exported,
            "profiles": [
                {
                    "platform": p.platform,
                    "customer_group": p.customer_group_id,
                    "locale": p.locale,
                    "display_name": p.display_name,
                }
                for p in records["profiles"]
            ],
            "dialogs": [
                {
                    "platform": d.platform,
                    "dialog": d.dialog,
                    "state": d.state,
                    "updated_at": _iso(d.updated_at),
                }
                for d in records["dialogs"]
            ],
            "questions_asked": [
                {
                    "kind": q.kind,
                    "ticket": q.ticket_id,
                    "asked_at": _iso(q.created_at),
                    "closed_at": _iso(q.closed_at),
                    "outcome": q.outcome,
                    "held_text": q.held_text,
                }
                for q in records["questions"]
            ],
            "proposals": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "text": r.text,
                    "status": r.status,
                    "created_at": _iso(r.created_at),
                }
                for r in records["proposals"]
            ],
            "first_level_feedback": [
                {"topic": f.topic_id, "entry": f.entry_id, "helped": f.helped, "at": _iso(f.at)}
                for f in records["knowledge_feedback"]
            ],
            "messages_to_them": [
                {
                    "platform": m.platform,
                    "at": _iso(m.created_at),
                    "title": m.payload.get("title"),
                    "text": m.payload.get("text"),
                }
                for m in records["messages_to_them"]
            ],
            "audit": [
                {"at": _iso(a.at), "action": a.action, "detail": a.detail} for a in records["audit"]
            ],
            "newsletter": subscriptions,
            "workshops": [
                {
                    "workshop": w.workshop_id,
                    "status": w.status,
                    "registered_at": _iso(w.registered_at),
                    "feedback_given": w.feedback_done_at is not None,  # answers are anonymous
                }
                for w in records["workshops"]
            ],
        }

    def _platforms(self, platform: str | None) -> tuple[str, ...]:
        return (platform,) if platform else tuple(self.config.platforms)

    async def _give_back_seats(
        self, session: AsyncSession, *, platform: str | None, user_id: str, now: datetime
    ) -> None:
        """Seats in workshops yet to come go back, and the waiting list moves up."""
        seats = WorkshopService(self.config, self.clock)
        records = await repo.person_records(session, platform=platform, user_id=user_id)
        for registration in records["workshops"]:
            row = await workshops.get(session, workshop_id=registration.workshop_id)
            if row is None or row.starts_at <= now or registration.status == "cancelled":
                continue
            registration.status, registration.cancelled_at = "cancelled", now
            await session.flush()
            await seats.fill_seats(session, row)

    async def _ticket(self, session: AsyncSession, ticket: TicketRow) -> dict[str, Any]:
        # The requester's trail only: what staff wrote among themselves is not theirs.
        events = await trail.requester_events(session, ticket_id=ticket.id)
        rating = await satisfaction.rating_of(session, ticket_id=ticket.id)
        return {
            "id": ticket.id,
            "platform": ticket.requester_platform,
            "topic": ticket.topic_id,
            "team": ticket.team_id,
            "status": ticket.status,
            "created_at": _iso(ticket.created_at),
            "description": ticket.description,
            "reference": ticket.reference,
            "anonymous_complaint": ticket.anonymous,
            "history": [{"at": _iso(e.at), "action": e.action, "text": e.text} for e in events],
            "rating": None
            if rating is None
            else {"score": rating.score, "comment": rating.comment},
        }

    async def erase(self, *, user_id: str, platform: str | None = None) -> dict[str, int]:
        """Erase a requester: complaints deleted, requests anonymised (open ones withdrawn:
        nobody is left to answer), every other record deleted or anonymised."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            tickets = await repo.person_tickets(session, platform=platform, user_id=user_id)
            open_statuses = {status.value for status in OPEN_STATUSES}
            for ticket in tickets:
                if ticket.status in open_statuses:
                    ticket.status, ticket.closed_at = TicketStatus.CLOSED.value, now
                    ticket.next_due_at = ticket.next_action_at = ticket.paused_at = None
            await session.flush()
            await self._give_back_seats(session, platform=platform, user_id=user_id, now=now)
            complaints = [t.id for t in tickets if t.confidential]
            others = [t.id for t in tickets if not t.confidential]
            counts = {
                "complaints_deleted": await repo.delete_tickets(session, ids=complaints),
                "tickets_anonymised": await repo.anonymise_tickets(session, ids=others, at=now),
                "records": await repo.forget_person(session, platform=platform, user_id=user_id),
                "newsletter": sum(
                    [
                        await newsletter.forget_person(session, platform=each, user_id=user_id)
                        for each in self._platforms(platform)
                    ]
                ),
            }
            await audit.audit(
                session,
                at=now,
                platform=SYSTEM,
                user_id=pseudonym(platform, user_id),
                action="privacy_delete",
                detail=counts,
            )
        return counts


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
