"""Set-ups for the permission matrix: tickets, proposals and workshops in a known state.

Everything is created through the ticket service and the repositories (never through the
permission code under test), one fresh set per role, so the roles of one table cannot
disturb each other although they share a database.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from bot.domain.requests import NewRequest
from bot.service.actors import Actor
from bot.service.complaint_relay import ComplaintRelay
from storage.models import (
    AuditLogRow,
    ComplaintRelayRow,
    ProposalRow,
    TicketRow,
    WorkshopRegistrationRow,
    WorkshopRow,
)
from storage.repositories import proposals, satisfaction
from storage.repositories import workshops as workshop_repo
from storage.repositories.profiles import load_profile
from tests.harness import Harness

REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # Budget / Haushalt, the team of the normal ticket
COMPLAINT_MANAGER = "bk.yilmaz"
TEAM = "haushalt"
NORMAL_TEXT = "Mittel für das Projekt fehlen"
COMPLAINT_TEXT = "Sehr unfreundlich behandelt worden"
_codes = itertools.count(1)


@dataclass
class Made:
    """What a set-up created for one role: the numbers the command text refers to."""

    ticket: int = 0
    proposals: tuple[int, int] = (0, 0)
    workshop: int = 0
    extra: dict[str, int] = field(default_factory=dict)


Setup = Callable[[Harness, str], Awaitable[Made]]
Effect = Callable[[Harness, Made, str], Awaitable[None]]


def requester() -> Actor:
    """The requester of every ticket and proposal of the matrix."""
    return Actor("local", REQUESTER, "Schule an der Sonne")


async def open_ticket(hotline: Harness, *, complaint: bool = False) -> int:
    """A queued ticket of team Haushalt, or a (confidential) complaint; returns its number."""
    request = (
        NewRequest("beschwerde", "f1-f3", COMPLAINT_TEXT)
        if complaint
        else NewRequest("haushalt", "f1-f3", NORMAL_TEXT)
    )
    async with hotline.sessions() as session, session.begin():
        row = await hotline.engine.service.open_ticket(
            session, requester=requester(), request=request
        )
        return row.id


async def ticket_in(hotline: Harness, state: str, *, complaint: bool = False) -> int:
    """A ticket in `state`: queued, claimed (by the team's agent or the complaint manager),
    resolved, or escalated (queued with one escalation not yet acknowledged)."""
    ticket_id = await open_ticket(hotline, complaint=complaint)
    worker = Actor("local", COMPLAINT_MANAGER if complaint else AGENT)
    service = hotline.engine.service
    async with hotline.sessions() as session, session.begin():
        if state in ("claimed", "resolved"):
            await service.claim(session, ticket_id=ticket_id, actor=worker)
        if state == "resolved":
            await service.resolve(session, ticket_id=ticket_id, actor=worker, answer="Erledigt.")
        if state == "escalated":
            row = await service.get(session, ticket_id)
            row.escalation_level, row.escalation_step = 1, "eskalation"
    return ticket_id


def tickets(state: str, *, complaint: bool = False) -> Setup:
    """A set-up making one ticket in `state` per role."""

    async def setup(hotline: Harness, _user: str) -> Made:
        return Made(ticket=await ticket_in(hotline, state, complaint=complaint))

    return setup


async def nothing(_hotline: Harness, _user: str) -> Made:
    """No preparation: the command needs no object."""
    return Made()


async def running_intake(hotline: Harness, user: str) -> Made:
    """The user has begun a request (so /abbrechen has something to discard)."""
    await hotline.say(user, "Hallo")
    await hotline.dm(user)
    return Made()


async def two_proposals(hotline: Harness, _user: str) -> Made:
    """Two open round-table proposals of the requester."""
    ids: list[int] = []
    async with hotline.sessions() as session, session.begin():
        for text in ("Vordrucke für Barauslagen", "Neue Vordrucke Barauslagen"):
            row = await proposals.add_proposal(
                session,
                row=ProposalRow(
                    kind="round_table",
                    text=text,
                    topic_id="runder_tisch",
                    customer_group_id="f1-f3",
                    requester_platform="local",
                    requester_id=REQUESTER,
                    requester_name="Schule an der Sonne",
                    created_at=hotline.clock.now(),
                    status="open",
                ),
            )
            ids.append(row.id)
    return Made(proposals=(ids[0], ids[1]))


async def add_workshop(hotline: Harness, *, days_from_now: int) -> int:
    """A three-hour workshop of Team BK, `days_from_now` days away (negative: past)."""
    starts = hotline.clock.now() + timedelta(days=days_from_now)
    code = f"matrix-{next(_codes)}"
    values = {
        "code": code,
        "title": "Beschaffung: Grundlagen",
        "topic": "beschaffung",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "place": "Raum 3.14",
        "seats": 20,
        "groups": [],
        "trainer_team": "bk",
    }
    async with hotline.sessions() as session, session.begin():
        await workshop_repo.upsert(session, values=values, at=hotline.clock.now())
        row = await session.scalar(select(WorkshopRow).where(WorkshopRow.code == code))
        assert row is not None
        return row.id


async def register(hotline: Harness, workshop_id: int, user: str) -> None:
    """`user` has a seat in the workshop."""
    async with hotline.sessions() as session, session.begin():
        session.add(
            WorkshopRegistrationRow(
                workshop_id=workshop_id,
                platform="local",
                user_id=user,
                display_name=user,
                locale="de",
                status="registered",
                registered_at=hotline.clock.now() - timedelta(days=10),
            )
        )


async def upcoming_workshop(hotline: Harness, _user: str) -> Made:
    """A workshop in two days with free seats."""
    return Made(workshop=await add_workshop(hotline, days_from_now=2))


async def my_upcoming_workshop(hotline: Harness, user: str) -> Made:
    """A workshop in two days where `user` has a seat."""
    workshop = await add_workshop(hotline, days_from_now=2)
    await register(hotline, workshop, user)
    return Made(workshop=workshop)


async def my_past_workshop(hotline: Harness, user: str) -> Made:
    """A workshop that ended yesterday, attended by `user`: the feedback form is open."""
    workshop = await add_workshop(hotline, days_from_now=-1)
    await register(hotline, workshop, user)
    return Made(workshop=workshop)


async def stored(hotline: Harness, made: Made) -> TicketRow:
    """The ticket of this role's set-up, as stored now."""
    return await hotline.ticket(made.ticket)


async def claimed(hotline: Harness, made: Made, user: str) -> None:
    """The ticket is claimed by the user."""
    row = await stored(hotline, made)
    assert (row.status, row.assignee) == ("claimed", user)


async def unclaimed(hotline: Harness, made: Made, _user: str) -> None:
    """The ticket is back in the queue."""
    row = await stored(hotline, made)
    assert (row.status, row.assignee) == ("queued", None)


def assigned_to(person: str) -> Effect:
    """The ticket is claimed for `person`, whoever gave it (/zuweisen)."""

    async def effect(hotline: Harness, made: Made, _user: str) -> None:
        row = await stored(hotline, made)
        assert (row.status, row.assignee) == ("claimed", person)

    return effect


async def handed_off(hotline: Harness, made: Made, _user: str) -> None:
    """The ticket is in the CCC's queue."""
    row = await stored(hotline, made)
    assert (row.status, row.team_id) == ("queued", "ccc")


async def asked(hotline: Harness, made: Made, _user: str) -> None:
    """The ticket waits for the requester."""
    assert (await stored(hotline, made)).status == "waiting_for_customer"


async def noted(hotline: Harness, made: Made, user: str) -> None:
    """The ticket's newest event is the user's internal note, for the team (a complaint's
    for its managers)."""
    last = (await hotline.events(made.ticket))[-1]
    staff = "complaint_managers" if (await stored(hotline, made)).confidential else "team"
    assert (last.action, last.actor_id, last.audience) == ("note", user, staff)


async def resolved(hotline: Harness, made: Made, _user: str) -> None:
    """The ticket is resolved."""
    assert (await stored(hotline, made)).status == "resolved"


async def reopened(hotline: Harness, made: Made, _user: str) -> None:
    """The ticket is open again."""
    assert (await stored(hotline, made)).status == "reopened"


async def rated(hotline: Harness, made: Made, _user: str) -> None:
    """The requester's rating of 4 is stored."""
    async with hotline.sessions() as session:
        rating = await satisfaction.rating_of(session, ticket_id=made.ticket)
    assert rating is not None and rating.score == 4


async def acknowledged(hotline: Harness, made: Made, user: str) -> None:
    """The escalation is acknowledged by the user."""
    assert (await stored(hotline, made)).escalation_acked_by == user


async def proposal_status(hotline: Harness, proposal_id: int) -> str:
    """A proposal's status."""
    async with hotline.sessions() as session:
        row = await session.get(ProposalRow, proposal_id)
        assert row is not None
        return row.status


async def merged(hotline: Harness, made: Made, _user: str) -> None:
    """The second proposal is merged into the first."""
    assert await proposal_status(hotline, made.proposals[1]) == "merged"


async def scheduled(hotline: Harness, made: Made, _user: str) -> None:
    """The first proposal is on the round table's agenda."""
    assert await proposal_status(hotline, made.proposals[0]) == "scheduled"


async def registration(hotline: Harness, made: Made, user: str) -> str | None:
    """The user's registration status for the set-up's workshop."""
    async with hotline.sessions() as session:
        row = await session.scalar(
            select(WorkshopRegistrationRow).where(
                WorkshopRegistrationRow.workshop_id == made.workshop,
                WorkshopRegistrationRow.user_id == user,
            )
        )
        return None if row is None else row.status


async def enrolled(hotline: Harness, made: Made, user: str) -> None:
    """The user has a seat."""
    assert await registration(hotline, made, user) == "registered"


async def unenrolled(hotline: Harness, made: Made, user: str) -> None:
    """The user gave the seat back."""
    assert await registration(hotline, made, user) == "cancelled"


async def english(hotline: Harness, _made: Made, user: str) -> None:
    """The user's profile says English."""
    async with hotline.sessions() as session:
        profile = await load_profile(session, platform="local", user_id=user)
    assert profile is not None and profile.locale == "en"


async def last_audit_id(hotline: Harness) -> int:
    """The newest audit-log id (0 when empty): entries after it are this command's."""
    async with hotline.sessions() as session:
        return int(await session.scalar(select(func.coalesce(func.max(AuditLogRow.id), 0))) or 0)


async def audit_after(hotline: Harness, after: int) -> list[AuditLogRow]:
    """Audit-log entries written after id `after`, oldest first."""
    async with hotline.sessions() as session:
        query = select(AuditLogRow).where(AuditLogRow.id > after).order_by(AuditLogRow.id)
        return list((await session.scalars(query)).all())


_pseudonyms = itertools.count(4001)


async def forwarded_complaint(hotline: Harness, _user: str) -> Made:
    """A complaint claimed by the complaint manager and forwarded to Haushalt under the
    pseudonym B-<workshop> (the row's {w}: one number per role)."""
    ticket_id = await ticket_in(hotline, "claimed", complaint=True)
    number = next(_pseudonyms)
    relay = ComplaintRelay(hotline.config, hotline.clock, pick=lambda: number)
    async with hotline.sessions() as session, session.begin():
        manager = Actor("local", COMPLAINT_MANAGER)
        await relay.forward(session, ticket_id=ticket_id, actor=manager, team_id=TEAM, text="")
    return Made(ticket=ticket_id, workshop=number)


async def forwarded(hotline: Harness, made: Made, _user: str) -> None:
    """The complaint went to Haushalt under a pseudonym; it stays where it was."""
    async with hotline.sessions() as session:
        query = select(ComplaintRelayRow.team_id).where(ComplaintRelayRow.ticket_id == made.ticket)
        assert (await session.scalars(query)).all() == [TEAM]
    row = await stored(hotline, made)
    assert (row.team_id, row.status) == ("bk", "claimed")
