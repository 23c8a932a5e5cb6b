"""Data protection (DSGVO): retention periods, and a person's requests for access (Art. 15)
and erasure (Art. 17). Every run is written to the audit log, without the person's id in
clear (a hash is enough to show that a request was answered).

Erasure and retention reach every copy of a person's text, not only the records: notices in
the outbox (waiting, delivered or failed), the local chat's messages and typed lines, raw
inbound events, questions holding a message, half-written dialogs, and the cards posted on
the platforms (taken back through the outbox, see erased_cards). All in one transaction.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.domain.lifecycle import OPEN_STATUSES, TicketStatus
from bot.domain.requests import PHONE
from bot.kernel.clock import Clock
from bot.service import complaint_relay, erased_cards, privacy_export
from bot.workshops.service import WorkshopService
from dialogs.phone_contact import Contact, read_contact
from storage.models import TicketRow
from storage.repositories import audit, copies, newsletter, person_data, workshops
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
        """Delete old complaints, anonymise old requests and feedback, prune transport; the
        cards of the tickets concerned are taken back from the platforms."""
        now, days = self.clock.now(), self.config.privacy
        async with self.sessions() as session, session.begin():
            complaints = await repo.expired_complaints(
                session, cutoff=now - timedelta(days=days.complaints_days)
            )
            tickets = await repo.expired_tickets(
                session, cutoff=now - timedelta(days=days.tickets_days)
            )
            expired = [*complaints, *tickets]
            cards = await erased_cards.plan(
                session, self.config, await _rows(session, expired), why=erased_cards.RETENTION
            )
            cards += await complaint_relay.retractions(session, self.config, complaints)
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
                )
                + await copies.forget_ticket_copies(session, ids=expired),
            }
            counts["cards_retracted"] = await erased_cards.send(session, cards, at=now)
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
        now, user_id = self.clock.now(), caller_id(platform, user_id)
        async with self.sessions() as session, session.begin():
            exported = await privacy_export.gather(
                session, self.config, platform=platform, user_id=user_id, now=now
            )
            await audit.audit(
                session,
                at=now,
                platform=SYSTEM,
                user_id=pseudonym(platform, user_id),
                action="privacy_export",
                detail={"tickets": len(exported["tickets"])},
            )
        return exported

    def _platforms(self, platform: str | None) -> tuple[str, ...]:
        return (platform,) if platform else tuple(self.config.platforms)

    async def _give_back_seats(
        self, session: AsyncSession, *, platform: str | None, user_id: str, now: datetime
    ) -> None:
        """Seats in workshops yet to come go back, and the waiting list moves up."""
        seats = WorkshopService(self.config, self.clock)
        records = await person_data.person_records(session, platform=platform, user_id=user_id)
        for registration in records["workshops"]:
            row = await workshops.get(session, workshop_id=registration.workshop_id)
            if row is None or row.starts_at <= now or registration.status == "cancelled":
                continue
            registration.status, registration.cancelled_at = "cancelled", now
            await session.flush()
            await seats.fill_seats(session, row)

    async def erase(self, *, user_id: str, platform: str | None = None) -> dict[str, int]:
        """Erase a requester: complaints deleted, requests anonymised (open ones withdrawn:
        nobody is left to answer), every other record and every copy of their text deleted
        or anonymised, their tickets' cards taken back from the platforms. A caller Team BK
        recorded by phone is erased by their number or e-mail address (platform "phone")."""
        now, user_id = self.clock.now(), caller_id(platform, user_id)
        async with self.sessions() as session, session.begin():
            tickets = await person_data.person_tickets(session, platform=platform, user_id=user_id)
            open_statuses = {status.value for status in OPEN_STATUSES}
            for ticket in tickets:
                if ticket.status in open_statuses:
                    ticket.status, ticket.closed_at = TicketStatus.CLOSED.value, now
                    ticket.next_due_at = ticket.next_action_at = ticket.paused_at = None
            await session.flush()
            await self._give_back_seats(session, platform=platform, user_id=user_id, now=now)
            cards = await erased_cards.plan(session, self.config, tickets, why=erased_cards.REQUEST)
            every = [t.id for t in tickets]
            complaints = [t.id for t in tickets if t.confidential]
            cards += await complaint_relay.retractions(session, self.config, complaints)
            others = [t.id for t in tickets if not t.confidential]
            counts = {
                "complaints_deleted": await repo.delete_tickets(session, ids=complaints),
                "tickets_anonymised": await repo.anonymise_tickets(session, ids=others, at=now),
                "records": await person_data.forget_person(
                    session, platform=platform, user_id=user_id
                ),
                "copies": await copies.forget_ticket_copies(session, ids=every)
                + await copies.forget_inbound(session, platform=platform, user_id=user_id),
                "newsletter": sum(
                    [
                        await newsletter.forget_person(session, platform=each, user_id=user_id)
                        for each in self._platforms(platform)
                    ]
                ),
            }
            if platform in (None, PHONE) and isinstance(read_contact(user_id), Contact):
                counts["copies"] += await copies.forget_mentions(session, text=user_id)
            counts["cards_retracted"] = await erased_cards.send(session, cards, at=now)
            await audit.audit(
                session,
                at=now,
                platform=SYSTEM,
                user_id=pseudonym(platform, user_id),
                action="privacy_delete",
                detail=counts,
            )
        return counts


def caller_id(platform: str | None, user_id: str) -> str:
    """The requester id as stored: a caller's phone number in its one stored form
    ("+49 221 123-4567" is "+492211234567"), any other id as given."""
    if platform not in (None, PHONE):
        return user_id
    contact = read_contact(user_id)
    return contact.address if isinstance(contact, Contact) else user_id


async def _rows(session: AsyncSession, ids: list[int]) -> list[TicketRow]:
    """The tickets with these numbers (retention selects numbers, the cards need rows)."""
    rows: list[TicketRow] = []
    for start in range(0, len(ids), 500):
        query = select(TicketRow).where(TicketRow.id.in_(ids[start : start + 500]))
        rows += (await session.scalars(query)).all()
    return rows
