"""Answers become first-level knowledge: FAQ proposals, Team BK's review, the merged FAQ.

An agent who may work on a resolved ticket proposes its answer (`/faq N [question]`, the
resolved card's button, a 📖 reaction in Matrix). The proposal takes the ticket's topic and
customer group, the answer sent to the requester and, unless given, the request's words as
the question. A review card goes to Team BK's channel (Annehmen / Ändern / Ablehnen); only
first-level staff decide, once (a compare-and-set on the row: a second press is told it was
decided and changes nothing). The decided card replaces the review card in place, without
buttons, and the proposer is told by DM.

Accepted entries are served by the intake at once: `knowledge_for_turn` merges them into
the config's `knowledge:` (the seed, never replaced) as entries "faq-<id>", for the
customer groups they were accepted for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import KnowledgeEntry, OrgConfig, Texts
from bot.domain.errors import HotlineError, NotAllowed
from bot.domain.lifecycle import Action, TicketStatus
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Notice
from bot.service import notify, permissions
from bot.service.actors import Actor, display_name
from bot.service.phone import first_level_team
from storage.models import FaqEntryRow, TicketRow
from storage.repositories import faq as repo
from storage.repositories import tickets as ticket_repo
from storage.repositories import trail

ENTRY_PREFIX = "faq-"  # the knowledge entry id of an accepted row: "faq-7"
REVIEW = "faq_review"  # the review buttons' verb: "faq_review:7:accept"
VERDICTS = {
    "accept": "accept",
    "annehmen": "accept",
    "edit": "edit",
    "ändern": "edit",
    "aendern": "edit",
    "reject": "reject",
    "ablehnen": "reject",
}
MAX_QUESTION = 300
REVIEW_BUTTONS = (("accept", "faq.accept"), ("edit", "faq.edit"), ("reject", "faq.reject"))
DECIDED_LINES = {"accepted": "faq.review_accepted", "rejected": "faq.review_rejected"}
STATUS_WORDS = {
    "proposed": "faq.status.proposed",
    "accepted": "faq.status.accepted",
    "rejected": "faq.status.rejected",
}
DONE = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


class FaqReviewersOnly(NotAllowed):
    """Only Team BK (the first level) reviews FAQ proposals."""

    key = "faq.bk_only"
    about_ticket = False


class NoComplaintFaq(NotAllowed):
    """A complaint never becomes an FAQ entry (its managers are told so)."""

    key = "faq.no_complaint"


class NotResolvedYet(HotlineError):
    """Only a resolved ticket's answer can be proposed."""

    key = "faq.not_resolved"


class NoAnswerStored(HotlineError):
    """The resolution's text is gone (retention) or was never stored."""

    key = "faq.no_answer"


class ProposalNotFound(HotlineError):
    """No FAQ proposal with that number."""

    key = "faq.not_found"
    about_ticket = False


def entry_id(row: FaqEntryRow) -> str:
    """The knowledge entry id an accepted row is served as."""
    return f"{ENTRY_PREFIX}{row.id}"


def as_entry(row: FaqEntryRow) -> KnowledgeEntry:
    """An accepted row as a knowledge entry: its answer is the variant of the groups it was
    accepted for (and the default, which `served_to` never lets another group reach)."""
    answer = Texts(row.answer)
    variants = {group: answer for group in row.groups}
    return KnowledgeEntry(
        id=entry_id(row),
        topics=(row.topic_id,),
        question=Texts(row.question),
        answers={"default": answer, **variants},
    )


def served_to(row: FaqEntryRow, group: str | None) -> bool:
    """Whether a requester of `group` is shown the entry (no groups: every requester)."""
    return not row.groups or group in row.groups


def merged(
    config: OrgConfig,
    rows: Sequence[FaqEntryRow],
    group: str | None,
    *,
    every_group: bool = False,
) -> OrgConfig:
    """The configuration with the accepted entries a requester of `group` is shown (with
    `every_group`: all of them, for the reports), after the config's own (the seed stays,
    in its order); topics the config no longer has and ids it already uses are left out."""
    topics = {topic.id for topic in config.topics}
    seeded = {entry.id for entry in config.knowledge}
    extra = tuple(
        as_entry(row)
        for row in rows
        if row.topic_id in topics
        and (every_group or served_to(row, group))
        and entry_id(row) not in seeded
    )
    return config if not extra else replace(config, knowledge=(*config.knowledge, *extra))


async def knowledge_for_turn(
    session: AsyncSession, config: OrgConfig, group: str | None
) -> OrgConfig:
    """The configuration an intake turn works with: the seed plus what Team BK accepted."""
    return merged(config, await repo.accepted(session), group)


def _first_line(text: str) -> str:
    return " ".join(text.split())[:MAX_QUESTION]


class FaqService:
    """Proposals, the review card and the decisions."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def propose(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, question: str
    ) -> tuple[FaqEntryRow, bool]:
        """The proposal of this ticket's answer (True: new; False: one already waits)."""
        ticket = await ticket_repo.get_ticket(session, ticket_id=ticket_id)
        if ticket is None:
            raise NotAllowed("no such ticket", id=ticket_id)
        person = permissions.worker_on(self.config, actor, ticket)
        if person is None:
            raise NotAllowed("may not work on this ticket", id=ticket.id, team=ticket.team_id)
        if ticket.confidential:
            raise NoComplaintFaq("complaints stay confidential", id=ticket.id)
        if ticket.status not in DONE:
            raise NotResolvedYet("not resolved", id=ticket.id)
        waiting = await repo.open_for_ticket(session, ticket_id=ticket.id)
        if waiting is not None:
            return waiting, False
        answer = await _resolution_text(session, ticket)
        if not answer:
            raise NoAnswerStored("no answer", id=ticket.id)
        row = await repo.add(
            session,
            row=FaqEntryRow(
                status=repo.PROPOSED,
                topic_id=ticket.topic_id,
                groups=[ticket.customer_group_id] if ticket.customer_group_id else [],
                question=_first_line(question or ticket.description) or "-",
                answer=answer,
                ticket_id=ticket.id,
                proposed_by=person.id,
                proposed_at=self.clock.now(),
            ),
        )
        await self._post(session, row, self.review_card(row))
        return row, True

    def reviewer(self, actor: Actor) -> str:
        """The Team BK member reviewing as `actor` (their person id); refused otherwise."""
        person = self.config.person_by_platform(actor.platform, actor.user_id)
        if person is None or first_level_team(self.config, actor) is None:
            raise FaqReviewersOnly("not in Team BK")
        return person.id

    async def waiting(self, session: AsyncSession, actor: Actor) -> Notice:
        """The proposals waiting for review (`/faqpruefen` without a number)."""
        self.reviewer(actor)
        loc = actor.locale
        rows = await repo.waiting(session)
        if not rows:
            return Notice(text=t("faq.list_empty", loc), channel_safe=False)
        lines = [
            t(
                "faq.list_line",
                loc,
                id=row.id,
                topic=self._topic(row, loc),
                question=literal(row.question),
            )
            for row in rows
        ]
        return Notice(title=t("faq.list_title", loc), text="\n".join(lines), channel_safe=False)

    async def get(self, session: AsyncSession, entry: int) -> FaqEntryRow:
        """The proposal with this number; ProposalNotFound otherwise."""
        row = await repo.get(session, entry_id=entry)
        if row is None:
            raise ProposalNotFound("no such proposal", id=entry)
        return row

    def decided(self, row: FaqEntryRow, locale: str) -> Notice:
        """The answer to a press on a proposal decided already: nothing changes."""
        status = t(STATUS_WORDS[row.status], locale)
        return Notice(
            text=t("faq.already_decided", locale, id=row.id, status=status), channel_safe=False
        )

    async def decide(
        self,
        session: AsyncSession,
        *,
        entry: int,
        actor: Actor,
        accept: bool,
        question: str | None = None,
        answer: str | None = None,
        groups: Sequence[str] | None = None,
    ) -> Notice:
        """Accept (with edited texts, if given) or reject a waiting proposal, once."""
        reviewer = self.reviewer(actor)
        row = await self.get(session, entry)
        loc = actor.locale
        if row.status != repo.PROPOSED:
            return self.decided(row, loc)
        status = repo.ACCEPTED if accept else repo.REJECTED
        done = await repo.decide(
            session,
            row=row,
            status=status,
            by=reviewer,
            at=self.clock.now(),
            question=question,
            answer=answer,
            groups=groups,
        )
        if not done:
            return self.decided(row, loc)
        await self._post(session, row, self.review_card(row))
        await self._tell_proposer(session, row)
        if accept:
            text = t("faq.accepted", loc, id=row.id, entry=entry_id(row))
        else:
            text = t("faq.rejected", loc, id=row.id)
        return Notice(text=text, channel_safe=False)

    def review_card(self, row: FaqEntryRow) -> Notice:
        """The card in Team BK's channel: the proposal, and while it waits, the buttons."""
        loc = self.config.default_locale
        facts = (
            Fact(t("faq.fact_topic", loc), self._topic(row, loc)),
            Fact(t("faq.fact_groups", loc), self._groups(row, loc)),
            Fact(t("faq.fact_question", loc), literal(row.question)),
            Fact(t("faq.fact_answer", loc), literal(row.answer)),
        )
        who = display_name(self.config, row.proposed_by)
        waits = row.status == repo.PROPOSED
        key = "faq.review_text" if waits else "faq.review_text_decided"
        text = t(key, loc, who=literal(who), ticket=row.ticket_id or "-")
        choices: tuple[Choice, ...] = ()
        if waits:
            choices = tuple(
                Choice(button(REVIEW, row.id, verdict), t(label, loc))
                for verdict, label in REVIEW_BUTTONS
            )
        else:
            decider = literal(display_name(self.config, row.decided_by))
            text += "\n\n" + t(DECIDED_LINES[row.status], loc, who=decider)
        return Notice(
            title=t("faq.review_title", loc, id=row.id),
            text=text,
            facts=facts,
            choices=choices,
            card=f"{ENTRY_PREFIX}{row.id}",
            # its copies in the outbox and the local chat go with the ticket's (erasure)
            ticket_id=row.ticket_id if row.status != repo.ACCEPTED else None,
        )

    async def _post(self, session: AsyncSession, row: FaqEntryRow, card: Notice) -> None:
        team = self.config.first_level_team()
        targets = notify.channel_targets(self.config, team)
        if not targets:  # no channel configured: the leads read it by DM
            leads = (self.config.person(lead) for lead in team.leads)
            targets = [
                target
                for person in leads
                if person is not None
                for target in notify.person_targets(self.config, person)
            ]
            card = replace(card, channel_safe=False)
        await notify.send(session, notify.to_all(targets, card), at=self.clock.now())

    async def _tell_proposer(self, session: AsyncSession, row: FaqEntryRow) -> None:
        person = self.config.person(row.proposed_by)
        if person is None or row.decided_by == row.proposed_by:
            return
        loc = self.config.default_locale
        key = "faq.proposer_accepted" if row.status == repo.ACCEPTED else "faq.proposer_rejected"
        notice = Notice(
            text=t(key, loc, id=row.id, ticket=row.ticket_id or "-"), channel_safe=False
        )
        targets = notify.person_targets(self.config, person)
        await notify.send(session, notify.to_all(targets, notice), at=self.clock.now())

    def _topic(self, row: FaqEntryRow, loc: str) -> str:
        known = {topic.id: topic.name.get(loc) for topic in self.config.topics}
        return known.get(row.topic_id, row.topic_id)

    def _groups(self, row: FaqEntryRow, loc: str) -> str:
        names = [g.name.get(loc) for g in self.config.customer_groups if g.id in row.groups]
        return ", ".join(names) if names else t("faq.all_groups", loc)


async def _resolution_text(session: AsyncSession, ticket: TicketRow) -> str:
    """The answer the requester was last sent when the ticket was resolved ("" if gone)."""
    events = await trail.ticket_events(session, ticket_id=ticket.id)
    for event in reversed(list(events)):
        if event.action == Action.RESOLVE.value:
            text = event.data.get("text")
            return text.strip() if isinstance(text, str) else ""
    return ""
