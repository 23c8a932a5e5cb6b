"""The satisfaction survey (CSAT) after a ticket is resolved: one question, 1 to 5, and an
optional comment. Low ratings go to the team lead (for complaints: the complaint managers);
a requester who is not satisfied can reopen instead."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, Person
from bot.domain.errors import NoRatingYet, NotRatable, RateOwnOnly, ScoreOutOfRange
from bot.domain.lifecycle import TicketStatus
from bot.i18n import t
from bot.kernel import actions
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice, Outgoing
from bot.service import feedback, notify, permissions
from bot.service.actors import Actor
from storage.models import TicketRow
from storage.repositories import prompts
from storage.repositories import satisfaction as repo
from storage.repositories import tickets as tickets_repo

SCORES = range(1, 6)
LOW = 2  # ratings at or below this reach the team lead
RATING = "rating"  # the open prompt's kind
TYPED_FOR = timedelta(days=1)  # a bare typed number still answers the question this long
REOPEN_POSITION = len(SCORES) + 1  # "Wieder öffnen" follows the scores in the question


async def ask(session: AsyncSession, ticket: TicketRow, now: datetime) -> Notice:
    """Open the rating prompt for a resolved ticket and return its question: its buttons
    carry the prompt's id, so each is taken once."""
    prompt = await prompts.open_prompt(
        session,
        platform=ticket.requester_platform,
        user_id=ticket.requester_id,
        kind=RATING,
        ticket_id=ticket.id,
        at=now,
        typed_until=now + TYPED_FOR,
    )
    return survey(ticket, prompt.id)


def survey(ticket: TicketRow, prompt_id: int | None) -> Notice:
    """The question sent with the answer: five rating buttons and 'reopen'."""
    loc = ticket.requester_locale
    choices = [
        Choice(actions.rating(ticket.id, score, prompt_id), t(f"csat.score.{score}", loc))
        for score in SCORES
    ]
    reopen = actions.button("reopen", ticket.id, prompt=prompt_id)
    choices.append(Choice(reopen, t("button.reopen", loc)))
    return Notice(
        text=t("csat.question", loc, id=ticket.id),
        choices=tuple(choices),
        ticket_id=ticket.id,
        channel_safe=False,
    )


class SatisfactionService:
    """Stores ratings and comments and tells the lead about low ones."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def rate(
        self, session: AsyncSession, *, actor: Actor, ticket_id: int, score: int
    ) -> int | None:
        """The requester rates their resolved ticket; returns the score it had before (None:
        first rating). Every open rating question of the ticket is answered by this."""
        ticket = await self._ratable(session, actor, ticket_id)
        if score not in SCORES:
            raise ScoreOutOfRange("score out of range", id=ticket_id)
        existing = await repo.rating_of(session, ticket_id=ticket_id)
        before = None if existing is None else existing.score
        now = self.clock.now()
        if before != score:
            row = await repo.rate(session, ticket=ticket, score=score, at=now)
            if score <= LOW:
                await self._tell_leads(session, ticket, "csat.low", score=row.score)
        await prompts.close_for_ticket(
            session, kind=RATING, ticket_id=ticket_id, outcome="answered", at=now
        )
        return before

    async def is_settled(self, session: AsyncSession, ticket_id: int) -> bool:
        """Whether the ticket is resolved or closed (again) now."""
        ticket = await tickets_repo.get_ticket(session, ticket_id=ticket_id)
        settled = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)
        return ticket is not None and ticket.status in settled

    async def score_of(self, session: AsyncSession, ticket_id: int) -> int | None:
        """The ticket's current rating, if any."""
        row = await repo.rating_of(session, ticket_id=ticket_id)
        return None if row is None else row.score

    async def comment(
        self, session: AsyncSession, *, actor: Actor, ticket_id: int, text: str
    ) -> None:
        """The optional comment on a rating; a low rating's comment reaches the lead too."""
        ticket = await self._ratable(session, actor, ticket_id)
        row = await repo.rating_of(session, ticket_id=ticket_id)
        if row is None:
            raise NoRatingYet("no rating to comment on", id=ticket_id)
        row.comment = text
        if row.score <= LOW:
            await self._tell_leads(session, ticket, "csat.low_comment", text=literal(text))

    async def still_ratable(self, session: AsyncSession, actor: Actor, ticket_id: int) -> bool:
        """Whether the actor may (still) rate or comment on this ticket."""
        try:
            await self._ratable(session, actor, ticket_id)
        except (NotRatable, RateOwnOnly):
            return False
        return True

    async def still_ratable_or_raise(
        self, session: AsyncSession, actor: Actor, ticket_id: int
    ) -> None:
        """Raise the refusal (not the requester, not resolved) before anything is said about
        the ticket's rating."""
        await self._ratable(session, actor, ticket_id)

    async def _ratable(self, session: AsyncSession, actor: Actor, ticket_id: int) -> TicketRow:
        ticket = await tickets_repo.get_ticket(session, ticket_id=ticket_id)
        if ticket is None or not permissions.is_requester_of(actor, ticket):
            raise RateOwnOnly("only the requester rates", id=ticket_id)
        if ticket.status not in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
            raise NotRatable("not resolved", id=ticket_id)
        return ticket

    async def _tell_leads(
        self, session: AsyncSession, ticket: TicketRow, key: str, **args: object
    ) -> None:
        people: tuple[Person, ...]
        if ticket.confidential:
            people = permissions.complaint_managers(self.config)
        else:
            people = self.config.team(ticket.team_id).lead_people()
        notice = feedback.to_staff(self.config, ticket, key, **args)
        targets = [x for person in people for x in notify.person_targets(self.config, person)]
        outgoing = [Outgoing(target, notice) for target in targets]
        await notify.send(session, outgoing, at=self.clock.now())
