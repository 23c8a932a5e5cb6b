"""Edits and deletions of earlier messages (Inbound.edits, Inbound.redacts).

Only the message that gave a request's description counts, and only in the requester's
direct chat: while the request is being written the intake follows it
(dialogs/intake_revisions.py), once filed the ticket does (bot/service/ticket_revisions.py).
An edit or deletion of any other message (a menu answer, a command, a follow-up, a reply
to a question back, anything in a team channel) changes nothing and is not answered: the
original was handled when it came, and answering the correction as if typed again would
run it twice. A description handed over with its command (/beschwerde text) or held by
"Wozu gehört Ihre Nachricht?" has no message of its own to follow.
"""

from __future__ import annotations

from bot.config.model import OrgConfig
from bot.conversation.intake_runner import IntakeRunner
from bot.conversation.turn import Turn
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.ticket_revisions import TicketRevisions
from storage.repositories import tickets as ticket_repo


class Revisions:
    """The router's first route: takes every edit and deletion, answers most with silence."""

    def __init__(self, config: OrgConfig, clock: Clock, intake: IntakeRunner) -> None:
        self.intake = intake
        self.tickets = TicketRevisions(config, clock)

    async def take(self, turn: Turn) -> list[Notice] | None:
        """None for a new message; else the answer to the edit or deletion (often none)."""
        inbound = turn.inbound
        original = inbound.edits or inbound.redacts
        if original is None:
            return None
        text = None if inbound.redacts is not None else turn.text
        if not inbound.is_direct or text == "":
            return []
        session, actor = turn.session, turn.actor
        answer = await self.intake.revise(
            session, key=turn.key, actor=actor, profile=turn.profile, event_id=original, text=text
        )
        if answer is not None:
            return answer
        ticket = await ticket_repo.by_description_event(
            session, platform=actor.platform, requester_id=actor.user_id, event_id=original
        )
        if ticket is None:
            return []
        if text is None:
            await self.tickets.delete_description(session, ticket=ticket, actor=actor)
        else:
            await self.tickets.edit_description(session, ticket=ticket, actor=actor, text=text)
        return []  # the requester is told by the ticket service (their DM, through the outbox)
