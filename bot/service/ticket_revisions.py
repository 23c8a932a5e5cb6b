"""The requester edits or deletes the message that gave a ticket's description.

While nobody has claimed the ticket (new, queued), an edit replaces the description: the
card in the team's queue is updated (through the outbox: edited in place where the
platform can) and the edit is recorded (without the text: the ticket holds it). Once it
is claimed or beyond, the team may have acted on the old text, so the description stays
and the edit goes to the team as a note ("Der Absender hat seine Nachricht bearbeitet:
..."): to whoever has the ticket, else into its queue; recorded with its text. A closed
ticket takes no edits. A deletion removes the description in every status, closed
included (the sender took it back: privacy), and the texts of earlier edit notes with it;
the card then reads "vom Absender gelöscht". The requester is told what happened.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.audience import EventAudience
from bot.domain.lifecycle import Action, TicketStatus, is_allowed
from bot.kernel.markup import literal
from bot.service import feedback, notify
from bot.service.actors import Actor
from bot.service.ticket_base import TicketServiceBase
from storage.models import TicketRow
from storage.repositories import trail

OWN = EventAudience.REQUESTER  # the requester's own words and acts: theirs to read


class TicketRevisions(TicketServiceBase):
    """Edits and deletions of a ticket's description by its requester."""

    async def edit_description(
        self, session: AsyncSession, *, ticket: TicketRow, actor: Actor, text: str
    ) -> bool:
        """Follow an edit; False if the ticket takes none (closed)."""
        self._require_requester(ticket, actor)
        status = TicketStatus(ticket.status)
        if is_allowed(status, Action.DESCRIPTION_EDIT):
            before = self._move(ticket, Action.DESCRIPTION_EDIT)
            ticket.description = text
            await self._record(
                session, ticket, Action.DESCRIPTION_EDIT, before, actor, None, {}, audience=OWN
            )
            await self._tell(session, ticket, "ticket.description_edited")
            await self._refresh_card(session, ticket)
            return True
        if not is_allowed(status, Action.EDIT_NOTE):
            return False
        before = self._move(ticket, Action.EDIT_NOTE)
        data = {"text": text}
        await self._record(
            session, ticket, Action.EDIT_NOTE, before, actor, None, data, audience=OWN
        )
        await self._tell(session, ticket, "ticket.edit_forwarded")
        note = feedback.to_staff(self.config, ticket, "staff.sender_edited", text=literal(text))
        if ticket.assignee is not None:
            outgoing = notify.to_all(
                await self._worker_targets(session, ticket, ticket.assignee), note
            )
        else:  # reopened: nobody has it yet, the queue hears of it
            outgoing = self._queue_targets(ticket, replace(note, channel_safe=True))
        await notify.send(session, outgoing, at=self.clock.now())
        return True

    async def delete_description(
        self, session: AsyncSession, *, ticket: TicketRow, actor: Actor
    ) -> None:
        """Remove the description (and the texts of edit notes) from the ticket and card."""
        self._require_requester(ticket, actor)
        before = self._move(ticket, Action.DESCRIPTION_DELETE)
        ticket.description = ""
        ticket.description_event = None
        await trail.drop_event_texts(session, ticket_id=ticket.id, actions=[Action.EDIT_NOTE.value])
        await self._record(
            session, ticket, Action.DESCRIPTION_DELETE, before, actor, None, {}, audience=OWN
        )
        await self._tell(session, ticket, "ticket.description_deleted")
        await self._refresh_card(session, ticket)

    async def _refresh_card(self, session: AsyncSession, ticket: TicketRow) -> None:
        """The card shows the description now held: the team channel's card, or for a
        complaint the managers' private card (same card key: edited in place)."""
        if ticket.confidential:
            await self._post_card(session, ticket)
        else:
            await self._update_card(session, ticket)
