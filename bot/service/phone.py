"""Phone notes (Telefonnotiz): a call Team BK took becomes a normal ticket, channel "phone".

The caller is the ticket's requester. A chat user the hotline knows is that user, and gets
the usual status messages. Anyone else is requester platform "phone" with their number or
e-mail address as the requester id: no adapter serves that platform, nothing is ever
addressed to it (bot/service/feedback.py), the card says "Rückruf an …", and retention and
privacy requests reach the number like any requester id (anonymised with the ticket;
`privacy delete +49301234567 --platform phone`).

A call solved on the spot is filed in the recording member's own first-level queue, claimed
and resolved by them at once: resolved at first contact, as the reports count it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import Level, OrgConfig, Team
from bot.domain.audience import internal
from bot.domain.errors import NotAllowed
from bot.domain.lifecycle import Action
from bot.domain.requests import PHONE, NewRequest, PhoneCall
from bot.i18n import normalise_locale, t
from bot.kernel.clock import Clock
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from dialogs.phone_contact import KnownUser
from storage.models import TicketRow, UserProfileRow
from storage.repositories import trail

RECORDED, CALLED_BACK = "phone", "callback"  # the `about` of the staff notes written here
MAX_MATCHES = 2  # enough to tell one match from several


class FirstLevelOnly(NotAllowed):
    """Only Team BK (the first level) takes calls."""

    key = "phone.first_level_only"


def first_level_team(config: OrgConfig, actor: Actor) -> Team | None:
    """The first-level team (Team BK) the actor works in, if any: only they take calls."""
    for team in config.teams_of(actor.platform, actor.user_id):
        if team.level == Level.FIRST:
            return team
    return None


def is_callback(ticket: TicketRow) -> bool:
    """Whether resolving the ticket means calling (or writing) back: a phone note whose
    caller has no chat account."""
    return ticket.requester_platform == PHONE


async def find_chat_user(session: AsyncSession, typed: str) -> list[KnownUser]:
    """The chat users the hotline has met (a profile) whose id or name is `typed`: by id on
    any platform, else by name (case-insensitive); at most MAX_MATCHES."""
    wanted = typed.strip()
    if not wanted:
        return []
    by_id = select(UserProfileRow).where(UserProfileRow.user_id == wanted).limit(MAX_MATCHES)
    rows = list((await session.scalars(by_id)).all())
    if not rows:
        named = func.lower(UserProfileRow.display_name) == wanted.casefold()
        by_name = select(UserProfileRow).where(named).limit(MAX_MATCHES)
        rows = list((await session.scalars(by_name)).all())
    return [
        KnownUser(row.platform, row.user_id, row.display_name, normalise_locale(row.locale))
        for row in rows
    ]


class PhoneNotes:
    """Files a recorded call; records the callback before a callback ticket is resolved."""

    def __init__(self, config: OrgConfig, clock: Clock, tickets: TicketService) -> None:
        self.config = config
        self.clock = clock
        self.tickets = tickets

    async def record(
        self, session: AsyncSession, *, staff: Actor, call: PhoneCall, known: KnownUser | None
    ) -> TicketRow:
        """File `call` as a ticket (channel "phone"); resolved at once when solved."""
        team = first_level_team(self.config, staff)
        person = self.config.person_by_platform(staff.platform, staff.user_id)
        if team is None or person is None:
            raise FirstLevelOnly("phone notes are Team BK's")
        request = NewRequest(
            call.topic_id,
            call.customer_group_id,
            call.description,
            channel=PHONE,
            team_id=team.id if call.solved else None,
        )
        requester = self._caller(call, known)
        ticket = await self.tickets.open_ticket(session, requester=requester, request=request)
        await self._note(session, ticket, staff, person.id, RECORDED)
        if call.solved:
            answer = t("phone.solved_answer", ticket.requester_locale)
            await self.tickets.resolve(session, ticket_id=ticket.id, actor=staff, answer=answer)
        return ticket

    async def called_back(self, session: AsyncSession, *, ticket_id: int, actor: Actor) -> None:
        """The staff member confirmed the callback ("Rückruf erfolgt"): a note in the trail."""
        ticket = await self.tickets.get(session, ticket_id)
        person = self.config.person_by_platform(actor.platform, actor.user_id)
        await self._note(session, ticket, actor, None if person is None else person.id, CALLED_BACK)

    def _caller(self, call: PhoneCall, known: KnownUser | None) -> Actor:
        """The requester: the chat user, or the caller reached by phone or e-mail."""
        if call.contact_kind == "chat" and known is not None:
            return Actor(known.platform, known.user_id, known.name or call.caller, known.locale)
        return Actor(PHONE, call.contact, call.caller, self.config.default_locale)

    async def _note(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        actor: Actor,
        person: str | None,
        about: str,
    ) -> None:
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
            audience=internal(confidential=ticket.confidential),
            data={"about": about},
        )
