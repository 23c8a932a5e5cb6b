"""Set-ups for the FAQ rows of the permission matrix (tests/service/permission_table.py):
a resolved ticket's answer waiting for Team BK's review, one per role."""

from __future__ import annotations

from storage.models import FaqEntryRow
from storage.repositories import faq
from tests.harness import Harness
from tests.service import matrix_support as ms


async def faq_proposal(hotline: Harness, _user: str) -> ms.Made:
    """A proposal of a resolved Haushalt ticket's answer, waiting for review."""
    ticket_id = await ms.ticket_in(hotline, "resolved")
    async with hotline.sessions() as session, session.begin():
        row = await faq.add(
            session,
            row=FaqEntryRow(
                status=faq.PROPOSED,
                topic_id="haushalt",
                groups=["f1-f3"],
                question="Wie beantrage ich zusätzliche Mittel?",
                answer="Mit dem Formular HH-7.",
                ticket_id=ticket_id,
                proposed_by=ms.AGENT,
                proposed_at=hotline.clock.now(),
            ),
        )
        return ms.Made(proposals=(row.id, 0))


async def accepted(hotline: Harness, made: ms.Made, _user: str) -> None:
    """The proposal is accepted."""
    async with hotline.sessions() as session:
        row = await faq.get(session, entry_id=made.proposals[0])
        assert row is not None and row.status == faq.ACCEPTED, row and row.status


async def proposed(hotline: Harness, made: ms.Made, _user: str) -> None:
    """The ticket's answer waits for review."""
    async with hotline.sessions() as session:
        row = await faq.open_for_ticket(session, ticket_id=made.ticket)
        assert row is not None
