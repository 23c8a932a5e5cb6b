"""The administrators' audit view on both stores: ticket events and audit log entries in
one list, each filter narrowing both sources."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.actors import Actor
from bot.service.privacy import pseudonym
from bot.service.tickets import TicketService
from storage.repositories import audit
from storage.repositories.audit_view import AuditFilter, audit_lines
from tests.service.sweep_support import open_tickets

Sessions = async_sessionmaker[AsyncSession]
AGENT = Actor("local", "hh.schneider", "Martin Schneider")


async def test_filters_by_ticket_person_action_and_period(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    first, second = await open_tickets(config, sessions, clock, 2, topic="haushalt")
    service = TicketService(config, clock)
    clock.advance(timedelta(hours=1))
    async with sessions() as session, session.begin():
        await service.claim(session, ticket_id=first, actor=AGENT)
        await audit.audit(
            session,
            at=clock.now(),
            platform="system",
            user_id=pseudonym("local", "schule.0"),
            action="privacy_export",
        )
    async with sessions() as session:
        everything = await audit_lines(session, AuditFilter())
        of_first = await audit_lines(session, AuditFilter(ticket_id=first))
        by_agent = await audit_lines(session, AuditFilter(people=("hh.schneider",)))
        claims = await audit_lines(session, AuditFilter(action="claim"))
        later = await audit_lines(session, AuditFilter(since=clock.now() - timedelta(minutes=1)))
        earlier = await audit_lines(session, AuditFilter(until=clock.now() - timedelta(minutes=1)))
        hashed = await audit_lines(session, AuditFilter(people=(pseudonym("local", "schule.0"),)))
    assert [line.at for line in everything] == sorted(line.at for line in everything)
    assert {line.ticket_id for line in of_first} == {first}
    assert second in {line.ticket_id for line in everything}
    assert [(line.action, line.person) for line in by_agent] == [("claim", "hh.schneider")]
    assert [line.ticket_id for line in claims] == [first]
    assert {line.action for line in later} == {"claim", "privacy_export"}
    assert "claim" not in {line.action for line in earlier} and earlier
    (export,) = hashed
    assert export.source == "audit" and export.actor.startswith("sha256:")
