"""The pseudonymous complaint relay (issue 17): a complaint stays with complaint management,
but the team concerned may read the part the manager forwards and ask the complainant.

- Only complaint managers forward (`/weiterleiten N TEAM [Text]`), only a complaint they
  have claimed; the holder does not change. Without a text the description is forwarded.
- The team reads the complaint under a pseudonym ("Beschwerde B-4711"): random, stable per
  complaint, unrelated to the ticket number. The relay goes by direct message to the
  team's leads (Gruppenleitung; to every member where a team has no lead), never into a
  channel. The complainant's name is shown only where they chose it themselves in the chat
  intake (channel "chat", not anonymous); a complaint recorded by phone, or any other, is
  shown anonymously, and the requester's address is never shown.
- Any member of that team asks (`/rueckfrage B-4711 Frage`): the complainant reads it as
  the hotline's question back on their complaint (the deadline pauses as with /rueckfrage
  N) and answers as to any question back; the answer reaches the team's leads and whoever
  asked, under the pseudonym. Every complaint manager receives a copy of each step.
- One answer, one asker: an answer goes to the team only when the newest question back
  open on the complaint is a relay question. A relay question is refused while the
  complaint waits for the answer to a manager's own question (ask again later); a manager
  cannot ask while a question is open (the lifecycle asks only from "claimed"). Should an
  answer reach the complaint while its newest question is a manager's, the open relay
  questions are closed unanswered, and nothing reaches the team.
- Forwarding locks the complaint's row (SELECT … FOR UPDATE), so two presses of "forward"
  queue up: the second reads the first's forwarding ("already forwarded").
- The trail holds a note for the complaint managers per forwarding and question; the
  question itself is a requester-audience event by the hotline (their /verlauf and privacy
  export show it, nobody's name). The audit log records who did what, without any text.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, Person, Team
from bot.domain.audience import EventAudience
from bot.domain.errors import ClaimFirst, HotlineError, NotAllowed
from bot.domain.lifecycle import Action, TicketStatus
from bot.domain.requests import CHAT
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Notice, Outgoing, Target
from bot.people.present import present
from bot.service import deadlines, notify, permissions
from bot.service.actors import Actor, audit_action
from bot.service.permissions import Role
from bot.service.ticket_base import TicketServiceBase
from dialogs.pseudonyms import read_pseudonym as read_pseudonym  # re-exported
from storage.models import TicketRow
from storage.models_relay import ComplaintRelayRow, RelayQuestionRow
from storage.repositories import relays, trail

log = logging.getLogger(__name__)
RELAY_ACTOR = ("system", "complaint_relay")  # who asks, as the complainant's trail records it
FORWARDED, QUESTION, ANSWERED = "relay", "relay_question", "relay_answer"  # notes' `about`
LOW, HIGH = 100, 99_999  # the pseudonym's number: random, 3 to 5 digits
RELAY_CARD = "relay-"  # the card keys of relay messages: relay-<ticket>-<tag>
ASKABLE = frozenset({TicketStatus.CLAIMED.value, TicketStatus.WAITING_FOR_CUSTOMER.value})


class ManagersOnly(NotAllowed):
    """Only complaint managers forward complaints."""

    key = "relay.managers_only"
    about_ticket = False


class ComplaintsOnly(HotlineError):
    """Only complaints are relayed; other tickets are handed off."""

    key = "relay.complaints_only"


class NotYourRelay(NotAllowed):
    """The pseudonym is unknown, or not forwarded to a team of the asker: one answer."""

    key = "relay.not_yours"
    about_ticket = False


class AlreadyForwarded(HotlineError):
    """The same text went to the same team before (a picker's button pressed twice)."""

    key = "relay.already_forwarded"


class RelayBusy(HotlineError):
    """The complaint waits for the answer to a manager's own question: no relay question
    now, or the one answer would go to both."""

    key = "relay.busy"
    about_ticket = False


class RelayClosed(HotlineError):
    """The complaint is settled, or not in the managers' hands right now: no questions."""

    key = "relay.closed"
    about_ticket = False


def random_number() -> int:
    """A pseudonym's number, from the system's secure random source."""
    return LOW + secrets.randbelow(HIGH - LOW + 1)


def relay_card(ticket_id: int, tag: str) -> str:
    """The card key of one relay message: unique, so no message replaces another, and
    outside the ticket cards' namespace (`ticket-…`), so no adapter treats it as a card of
    the ticket (a reaction on it is never answered with the ticket's number)."""
    return f"{RELAY_CARD}{ticket_id}-{tag}"


async def retractions(
    session: AsyncSession, config: OrgConfig, ticket_ids: Iterable[int]
) -> list[Outgoing]:
    """Erasure and retention: take back every relay message of these complaints where it
    was shown (the team's DMs, the managers' copies). Planned before the rows go."""
    loc, outgoing = config.default_locale, []
    for ticket_id in ticket_ids:
        rows = await relays.relays_of(session, ticket_id=ticket_id)
        if not rows:
            continue
        shown = await relays.relay_cards(session, ticket_id=ticket_id, prefix=RELAY_CARD)
        people = {p.id: p for p in permissions.complaint_managers(config)}
        for row in rows:
            team = next((team for team in config.teams if team.id == row.team_id), None)
            people |= {p.id: p for p in (team.members if team is not None else ())}
        targets = [t for p in people.values() for t in notify.person_targets(config, p)]
        for card in sorted({card for _, card in shown}):
            notice = Notice(
                title=t("relay.erased_title", loc),  # no pseudonym left behind
                text=t("relay.erased", loc),
                channel_safe=False,
                card=card,
                retract=True,
            )
            outgoing += [Outgoing(x, notice) for x in targets if (x.platform, card) in shown]
    return outgoing


def recipients(team: Team) -> tuple[Person, ...]:
    """Whom a relay reaches: the team's leads, or every member of a team without leads."""
    return team.lead_people() or team.members


async def reached(
    session: AsyncSession, config: OrgConfig, team: Team, at: datetime
) -> tuple[Person, ...]:
    """`recipients`, with a lead away at `at` replaced by their deputy where the deputy is
    of the team (only the team may ask); where nobody of them is left, every member."""
    members = {person.id for person in team.members}
    standing = await present(session, config, recipients(team), at)
    here = tuple(person for person in standing if person.id in members)
    return here or team.members


def label(ticket: TicketRow, pseudonym: str, locale: str) -> str:
    """How the team reads the complaint: "Beschwerde B-4711", with the complainant's name
    only where they chose to give it in the chat intake (not anonymous). Phone notes and
    anything else read anonymously; the requester's address (an id, a phone number, an
    e-mail) is never shown."""
    if ticket.anonymous or ticket.channel != CHAT or not ticket.requester_name:
        return t("relay.label", locale, pseudonym=pseudonym)
    name = literal(ticket.requester_name)
    return t("relay.label_named", locale, pseudonym=pseudonym, name=name)


async def relay_asked_last(session: AsyncSession, ticket_id: int) -> bool:
    """Whether the complaint's newest question back is a relay question."""
    newest = await relays.newest_asker(session, ticket_id=ticket_id, action=Action.ASK.value)
    return newest == RELAY_ACTOR


class ComplaintRelay(TicketServiceBase):
    """Forwarding, questions and answers; every method works in the caller's transaction."""

    def __init__(
        self, config: OrgConfig, clock: Clock, pick: Callable[[], int] = random_number
    ) -> None:
        super().__init__(config, clock)
        self.pick = pick

    # --- forwarding ------------------------------------------------------------------

    async def check_forward(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor
    ) -> tuple[TicketRow, Person]:
        """The complaint and the manager, when `actor` may forward it now; else the refusal."""
        manager = self._manager(actor)
        await relays.lock_ticket(session, ticket_id=ticket_id)  # presses queue up here
        ticket = await self.get(session, ticket_id)
        if not ticket.confidential:
            raise ComplaintsOnly("only complaints are relayed", id=ticket.id)
        self._worker(ticket, actor)  # a complaint manager may; kept for the audit's sake
        if ticket.status not in ASKABLE:
            if ticket.status in (TicketStatus.QUEUED.value, TicketStatus.REOPENED.value):
                raise ClaimFirst("forward before claim", id=ticket.id)
            raise RelayClosed("complaint settled")
        return ticket, manager

    async def forward(
        self, session: AsyncSession, *, ticket_id: int, actor: Actor, team_id: str, text: str
    ) -> tuple[TicketRow, str]:
        """Forward the complaint (or `text`, the part the manager chose) to `team_id`;
        returns the ticket and its pseudonym."""
        ticket, manager = await self.check_forward(session, ticket_id=ticket_id, actor=actor)
        team = self.config.team(team_id)
        pseudonym = await self._pseudonym(session, ticket.id)
        forwarded = text.strip() or ticket.description
        earlier = await relays.relays_of(session, ticket_id=ticket.id)
        if any((row.team_id, row.text) == (team.id, forwarded) for row in earlier):
            raise AlreadyForwarded("forwarded before", id=ticket.id, pseudonym=pseudonym)
        now = self.clock.now()
        relay = await relays.add_relay(
            session,
            ticket_id=ticket.id,
            pseudonym=pseudonym,
            team_id=team.id,
            forwarded_by=manager.id,
            at=now,
            text=forwarded,
        )
        await self.note(session, ticket, actor, manager.id, FORWARDED, team.id, forwarded)
        await audit_action(
            session,
            actor,
            "relay_forward",
            at=now,
            ticket_id=ticket.id,
            detail={"team": team.id, "pseudonym": pseudonym},
        )
        loc = self.config.default_locale
        what = label(ticket, pseudonym, loc)
        notice = self.dm(
            ticket,
            what,
            t("relay.forwarded", loc, pseudonym=pseudonym, text=literal(forwarded)),
            card=relay_card(ticket.id, f"f{relay.id}"),
        )
        outgoing = self.to_people(await reached(session, self.config, team, now), notice)
        copy = t(
            "relay.copy_forwarded",
            loc,
            id=ticket.id,
            pseudonym=pseudonym,
            team=team.name.get(loc),
            who=literal(manager.display_name),
            text=literal(forwarded),
        )
        outgoing += self.to_managers(ticket, copy, f"cf{relay.id}", but=manager.id)
        await notify.send(session, outgoing, at=now)
        log.info("complaint relay %s: forwarded to team %s", relay.id, team.id)
        return ticket, pseudonym

    # --- the team's questions --------------------------------------------------------

    async def ask(
        self, session: AsyncSession, *, pseudonym: str, actor: Actor, question: str
    ) -> tuple[ComplaintRelayRow, RelayQuestionRow]:
        """A member of a team the complaint was forwarded to asks the complainant."""
        person = self.config.person_by_platform(actor.platform, actor.user_id)
        teams = self.config.teams_of(actor.platform, actor.user_id)
        relay = await relays.relay_for_team(
            session, pseudonym=pseudonym, team_ids=[team.id for team in teams]
        )
        if relay is None or person is None:
            raise NotYourRelay("not forwarded to the asker's team", pseudonym=pseudonym)
        ticket = await self.get(session, relay.ticket_id)
        if ticket.status not in ASKABLE:
            raise RelayClosed("complaint not askable now", pseudonym=pseudonym)
        waiting = ticket.status == TicketStatus.WAITING_FOR_CUSTOMER.value
        if waiting and not await relay_asked_last(session, ticket.id):
            raise RelayBusy("a manager's question is open", pseudonym=pseudonym)
        team = self.config.team(relay.team_id)
        now = self.clock.now()
        before = ticket.status
        if before == TicketStatus.CLAIMED.value:  # else a question is open already
            self._move(ticket, Action.ASK)
            deadlines.record_first_response(ticket, now)
            deadlines.touch_update_clock(self.config, ticket, now)
            deadlines.pause_clocks(self.config, ticket, now)
        row = await relays.add_question(
            session, relay=relay, asked_by=person.id, at=now, question=question
        )
        self._reschedule(ticket)
        await self._flush(session)
        system, actor_id = RELAY_ACTOR
        await trail.append_event(  # the complainant's side: the hotline asks, no name
            session,
            ticket_id=ticket.id,
            at=now,
            action=Action.ASK.value,
            from_status=before,
            to_status=ticket.status,
            actor_platform=system,
            actor_id=actor_id,
            actor_person=None,
            audience=EventAudience.REQUESTER,
            data={"text": question},
        )
        await self.note(session, ticket, actor, person.id, QUESTION, team.id, None)
        await audit_action(
            session,
            actor,
            "relay_question",
            at=now,
            ticket_id=ticket.id,
            detail={"team": team.id, "pseudonym": pseudonym, "question": row.id},
        )
        await self._tell(session, ticket, "ticket.asked", question=literal(question))
        loc = self.config.default_locale
        copy = t(
            "relay.copy_question",
            loc,
            id=ticket.id,
            pseudonym=pseudonym,
            team=team.name.get(loc),
            who=literal(person.display_name),
            text=literal(question),
        )
        await notify.send(session, self.to_managers(ticket, copy, f"cq{row.id}"), at=now)
        log.info("complaint relay %s: question %s asked", relay.id, row.id)
        return relay, row

    # --- helpers ---------------------------------------------------------------------

    def _manager(self, actor: Actor) -> Person:
        person = self.config.person_by_platform(actor.platform, actor.user_id)
        if person is None or Role.COMPLAINT_MANAGER not in permissions.roles_of(self.config, actor):
            raise ManagersOnly("only complaint managers forward complaints")
        return person

    async def _pseudonym(self, session: AsyncSession, ticket_id: int) -> str:
        """The complaint's pseudonym: the one it has, else a new random one nobody has."""
        known = await relays.pseudonym_of(session, ticket_id=ticket_id)
        if known is not None:
            return known
        for _ in range(50):
            candidate = f"B-{self.pick()}"
            if not await relays.pseudonym_taken(session, pseudonym=candidate):
                return candidate
        raise RuntimeError("no free complaint pseudonym")  # 99,900 numbers: not in practice

    async def note(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        actor: Actor,
        person: str | None,
        about: str,
        team: str,
        text: str | None,
    ) -> None:
        """The managers' record of a forwarding, a question or a relayed answer (who, to or
        from which team); the question's and the answer's words are in the trail already."""
        data: dict[str, object] = {"about": about, "team": team}
        if text is not None:
            data["text"] = text
        await trail.append_event(
            session,
            ticket_id=ticket.id,
            at=self.clock.now(),
            action=Action.NOTE.value,
            from_status=ticket.status,
            to_status=ticket.status,
            actor_platform=actor.platform,
            actor_id=actor.user_id,
            actor_person=person,
            audience=EventAudience.COMPLAINT_MANAGERS,
            data=data,
        )

    def dm(self, ticket: TicketRow, title: str, text: str, *, card: str) -> Notice:
        """A direct message about the relayed complaint: never for a channel. It carries the
        ticket only as the outbox's key (erased with the complaint; no adapter shows it), and
        a card key of its own (`relay_card`), by which erasure takes it back."""
        return Notice(title=title, text=text, ticket_id=ticket.id, channel_safe=False, card=card)

    def to_people(self, people: Iterable[Person], notice: Notice) -> list[Outgoing]:
        targets: list[Target] = []
        for person in people:
            targets += [t for t in notify.person_targets(self.config, person) if t not in targets]
        return notify.to_all(targets, notice)

    def to_managers(
        self, ticket: TicketRow, text: str, tag: str, *, but: str = ""
    ) -> list[Outgoing]:
        """A copy for the complaint managers (all of them but `but`)."""
        loc = self.config.default_locale
        title = t("ticket.title", loc, id=ticket.id)
        notice = self.dm(ticket, title, text, card=relay_card(ticket.id, tag))
        managers = [p for p in permissions.complaint_managers(self.config) if p.id != but]
        return self.to_people(managers, notice)


async def answered(
    session: AsyncSession, config: OrgConfig, clock: Clock, ticket: TicketRow, text: str
) -> None:
    """The complainant answered a question back: the relay's open questions are answered
    with it, and the answer goes to the team (its leads and whoever asked) under the
    pseudonym, with a copy for the complaint managers. Nothing happens without any.
    Where the newest question back is a manager's, the answer is theirs alone: the open
    relay questions are closed unanswered and the team reads nothing."""
    if not ticket.confidential:
        return
    questions = await relays.open_questions(session, ticket_id=ticket.id)
    if not questions:
        return
    now, loc = clock.now(), config.default_locale
    if not await relay_asked_last(session, ticket.id):
        for question in questions:
            question.answered_at = now  # closed; `answer` stays empty
        await session.flush()
        log.info("complaint relay: answer to a manager's question, not relayed")
        return
    relay_of: dict[int, ComplaintRelayRow] = {}
    askers: dict[int, list[str]] = {}
    for question in questions:
        question.answer, question.answered_at = text, now
        relay = relay_of.get(question.relay_id) or await relays.get_relay(
            session, relay_id=question.relay_id
        )
        if relay is None:
            continue
        relay_of[relay.id] = relay
        askers.setdefault(relay.id, []).append(question.asked_by)
    await session.flush()
    outgoing: list[Outgoing] = []
    helper = ComplaintRelay(config, clock)
    for relay_id, relay in relay_of.items():
        team = config.team(relay.team_id)
        asked = [p for p in (config.person(a) for a in askers[relay_id]) if p is not None]
        people = {p.id: p for p in (*await reached(session, config, team, now), *asked)}
        body = t("relay.answer", loc, pseudonym=relay.pseudonym, text=literal(text))
        title = label(ticket, relay.pseudonym, loc)
        first = min(q.id for q in questions if q.relay_id == relay_id)
        notice = helper.dm(ticket, title, body, card=relay_card(ticket.id, f"a{first}"))
        outgoing += helper.to_people(people.values(), notice)
        copy = t(
            "relay.copy_answer",
            loc,
            id=ticket.id,
            pseudonym=relay.pseudonym,
            team=team.name.get(loc),
            text=literal(text),
        )
        # the manager holding it read the answer already (staff.customer_replied)
        outgoing += helper.to_managers(ticket, copy, f"ca{first}", but=ticket.assignee or "")
        await audit_action(
            session,
            Actor(*RELAY_ACTOR),  # not the complainant's: their export shows no team
            "relay_answer",
            at=now,
            ticket_id=ticket.id,
            detail={"team": team.id, "pseudonym": relay.pseudonym},
        )
        system = Actor(*RELAY_ACTOR)
        await helper.note(session, ticket, system, None, ANSWERED, team.id, None)
        log.info("complaint relay %s: answer relayed", relay_id)
    await notify.send(session, outgoing, at=now)


def question_rows_for_export(rows: Iterable[RelayQuestionRow]) -> list[dict[str, str | None]]:
    """The complainant's side of the relay: what they were asked and what they answered
    (not who asked, nor the team, nor what was forwarded)."""
    return [
        {
            "asked_at": row.asked_at.isoformat(),
            "question": row.question,
            "answer": row.answer,
            "answered_at": None if row.answered_at is None else row.answered_at.isoformat(),
        }
        for row in rows
    ]
