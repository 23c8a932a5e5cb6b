"""The audit trail in storage: order, audiences, the requester's narrow view, and migration
0018 turning `public` into an audience. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.audience import EventAudience
from bot.kernel.clock import FrozenClock
from storage.migrate import alembic_config, upgrade
from storage.models import TicketRow
from storage.repositories import tickets, trail
from storage.repositories.trail import RequesterEvent

Sessions = async_sessionmaker[AsyncSession]
A = EventAudience


def _ticket(clock: FrozenClock, *, confidential: bool = False) -> TicketRow:
    now = clock.now()
    return TicketRow(
        status="queued",
        topic_id="beschwerde" if confidential else "haushalt",
        team_id="haushalt",
        level=2,
        escalation_level=0,
        confidential=confidential,
        description="Mittel fehlen",
        requester_platform="local",
        requester_id="anna",
        requester_locale="de",
        created_at=now,
        updated_at=now,
    )


async def _event(
    session: AsyncSession,
    clock: FrozenClock,
    ticket_id: int,
    action: str,
    audience: EventAudience,
    data: dict[str, Any],
    *,
    person: str | None = "bea",
    actor: tuple[str, str] = ("local", "bea"),
) -> None:
    await trail.append_event(
        session,
        ticket_id=ticket_id,
        at=clock.now(),
        action=action,
        from_status="queued",
        to_status="queued",
        actor_platform=actor[0],
        actor_id=actor[1],
        actor_person=person,
        audience=audience,
        data=data,
    )
    clock.advance(timedelta(seconds=1))


async def test_the_trail_keeps_order_data_and_audience(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        row = await tickets.add_ticket(session, row=_ticket(clock))
        for action, audience in (("queue", A.REQUESTER), ("claim", A.REQUESTER), ("note", A.TEAM)):
            await _event(session, clock, row.id, action, audience, {"text": action})
        events = await trail.ticket_events(session, ticket_id=row.id)
    assert [e.action for e in events] == ["queue", "claim", "note"]
    assert [e.audience for e in events] == ["requester", "requester", "team"]
    assert events[2].data == {"text": "note"}


async def test_the_requester_view_holds_requester_events_and_only_their_fields(
    sessions: Sessions, clock: FrozenClock
) -> None:
    start = clock.now()
    async with sessions() as session, session.begin():
        row = await tickets.add_ticket(session, row=_ticket(clock))
        other = await tickets.add_ticket(session, row=_ticket(clock))
        await _event(
            session, clock, row.id, "queue", A.REQUESTER, {"team": "haushalt"}, person=None,
            actor=("local", "anna"),
        )  # fmt: skip
        await _event(session, clock, row.id, "ask", A.REQUESTER, {"text": "Welche Stelle?"})
        for audience in (A.TEAM, A.LEADS, A.COMPLAINT_MANAGERS):
            await _event(session, clock, row.id, "note", audience, {"text": f"geheim {audience}"})
        await _event(session, clock, other.id, "ask", A.REQUESTER, {"text": "fremd"})
        await _event(
            session, clock, row.id, "unclaim", A.REQUESTER, {"was": "bea"}, person=None,
            actor=("system", "deadline-sweep"),
        )  # fmt: skip
        seen = await trail.requester_events(session, ticket_id=row.id)
    second = timedelta(seconds=1)
    assert seen == [
        RequesterEvent(start, "queue", None, None, by_requester=True),
        RequesterEvent(start + second, "ask", "Welche Stelle?", "bea", by_requester=False),
        RequesterEvent(start + 6 * second, "unclaim", None, None, by_requester=False),
    ]
    assert [f.name for f in fields(RequesterEvent)] == [
        "at",
        "action",
        "text",
        "staff_person",
        "by_requester",
    ]  # nothing else of an event: no data beyond its text


def _old_event(ticket_id: int, second: int, action: str, public: bool, **more: Any) -> str:
    """An event as revision 0017 stored it (with `public`), as an INSERT; `second` of its
    moment tells the events apart."""
    data = more.pop("data", "{}")
    person = more.pop("person", "'bea'")
    flag = "true" if public else "false"
    return (
        "INSERT INTO ticket_events (ticket_id, at, action, from_status, to_status,"
        " actor_platform, actor_id, actor_person, public, data) VALUES"
        f" ({ticket_id}, '2026-11-30 08:00:0{second}', '{action}', 'claimed',"
        f" 'queued', 'local', 'bea', {person}, {flag}, '{data}')"
    )


async def test_migration_0018_gives_old_events_an_audience_and_moves_staff_words_out(
    db: AsyncEngine, sessions: Sessions, clock: FrozenClock
) -> None:
    def _downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")

    async with sessions() as session, session.begin():  # tickets as the model has them now
        ordinary = (await tickets.add_ticket(session, row=_ticket(clock))).id
        complaint = (await tickets.add_ticket(session, row=_ticket(clock, confidential=True))).id
    async with db.begin() as connection:
        await connection.run_sync(_downgrade)
    reason = '{"from_team": "haushalt", "to_team": "ccc", "reason": "Kunde nervt"}'
    async with db.begin() as connection:
        for statement in (
            _old_event(ordinary, 1, "handoff", True, data=reason),
            _old_event(ordinary, 2, "note", False, data='{"text": "intern"}'),
            _old_event(ordinary, 3, "escalate", False, person="NULL"),
            _old_event(ordinary, 4, "reopen", True, data='{"text": "Kollege: nochmal"}'),
            _old_event(ordinary, 5, "reopen", True, data='{"text": "Mein Grund"}', person="NULL"),
            _old_event(ordinary, 6, "remind", False, data='{"leads": "haushalt"}', person="NULL"),
            _old_event(complaint, 7, "note", False, data='{"text": "vertraulich"}'),
            _old_event(complaint, 8, "claim", True),
        ):
            await connection.execute(text(statement))
    await upgrade(db)
    async with sessions() as session:
        events = list(await trail.ticket_events(session, ticket_id=ordinary))
        events += await trail.ticket_events(session, ticket_id=complaint)
    moved = [e for e in events if "about" in e.data]
    assert sorted((e.at.second, e.action, e.audience, e.data) for e in moved) == [
        (1, "note", "team", {"text": "Kunde nervt", "about": "handoff"}),
        (4, "note", "team", {"text": "Kollege: nochmal", "about": "reopen"}),
    ]
    assert {e.at.second: (e.audience, e.data) for e in events if e not in moved} == {
        1: ("requester", {"from_team": "haushalt", "to_team": "ccc"}),
        2: ("team", {"text": "intern"}),
        3: ("leads", {}),
        4: ("requester", {}),
        5: ("requester", {"text": "Mein Grund"}),  # the requester's own words stay theirs
        6: ("leads", {"leads": "haushalt"}),
        7: ("complaint_managers", {"text": "vertraulich"}),
        8: ("requester", {}),
    }


async def test_the_requester_reads_an_assignment_as_the_assignees_claim(
    sessions: Sessions, clock: FrozenClock
) -> None:
    # Issue 16: whoever gave the ticket stays unnamed; the colleague it went to is named,
    # as a claim by them would name them.
    start = clock.now()
    async with sessions() as session, session.begin():
        row = await tickets.add_ticket(session, row=_ticket(clock))
        data = {"assignee": "cem", "was": None}
        await _event(session, clock, row.id, "assign", A.REQUESTER, data, person="bea")
        await _event(session, clock, row.id, "note", A.TEAM, {"text": "Rückruf", "about": "assign"})
        data = {"assignee": "dora", "was": "cem"}
        await _event(session, clock, row.id, "reassign", A.REQUESTER, data, person="bea")
        seen = await trail.requester_events(session, ticket_id=row.id)
    second = timedelta(seconds=1)
    assert seen == [
        RequesterEvent(start, "assign", None, "cem", by_requester=False),
        RequesterEvent(start + 2 * second, "reassign", None, "dora", by_requester=False),
    ]


async def test_the_latest_handover_note_of_the_current_queue_stay(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        row = await tickets.add_ticket(session, row=_ticket(clock))
        about = ("assign", "reassign", "unclaim")

        async def latest() -> str | None:
            found = await trail.latest_note_about(session, ticket_id=row.id, about=about)
            return None if found is None else str(found.data["text"])

        await _event(session, clock, row.id, "queue", A.REQUESTER, {})
        assert await latest() is None
        await _event(session, clock, row.id, "note", A.TEAM, {"text": "plain note"})
        await _event(session, clock, row.id, "note", A.TEAM, {"text": "eins", "about": "unclaim"})
        await _event(session, clock, row.id, "note", A.TEAM, {"text": "Grund", "about": "handoff"})
        assert await latest() == "eins"
        await _event(session, clock, row.id, "note", A.TEAM, {"text": "zwei", "about": "assign"})
        assert await latest() == "zwei"
        await _event(session, clock, row.id, "handoff", A.REQUESTER, {"to_team": "ccc"})
        assert await latest() is None  # a new queue, a new card: the old note stays behind
        await _event(session, clock, row.id, "note", A.TEAM, {"text": "drei", "about": "unclaim"})
        assert await latest() == "drei"
