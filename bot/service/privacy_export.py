"""A person's data as plain data: the answer to a request for access (Art. 15 DSGVO).

A requester's export holds their tickets with the history meant for them (internal notes
excluded), every other record about them and the messages the hotline sent them about their
own tickets; a staff member's holds no requester's messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.service.complaint_relay import question_rows_for_export
from storage.models import TicketRow
from storage.repositories import newsletter, person_data, relays, satisfaction, trail


async def gather(
    session: AsyncSession,
    config: OrgConfig,
    *,
    platform: str | None,
    user_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Everything stored about the person, in the caller's transaction."""
    platforms = (platform,) if platform else tuple(config.platforms)
    tickets = await person_data.person_tickets(session, platform=platform, user_id=user_id)
    exported = [await _ticket(session, ticket) for ticket in tickets]
    records = await person_data.person_records(session, platform=platform, user_id=user_id)
    subscriptions = [
        subscription
        for each in platforms
        for subscription in await newsletter.subscriptions_of(
            session, platform=each, user_id=user_id
        )
    ]
    own = {ticket.id for ticket in tickets}
    staff = any(config.person_by_platform(p, user_id) is not None for p in platforms)
    records["messages_to_them"] = [
        m
        for m in records["messages_to_them"]
        if m.payload.get("ticket_id") in own or (m.payload.get("ticket_id") is None and not staff)
    ]
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


async def _ticket(session: AsyncSession, ticket: TicketRow) -> dict[str, Any]:
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
        # a complaint's relay, their side only: the questions they were asked, their answers
        "relay_questions": question_rows_for_export(
            await relays.questions_of(session, ticket_id=ticket.id) if ticket.confidential else []
        ),
        "rating": None if rating is None else {"score": rating.score, "comment": rating.comment},
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
