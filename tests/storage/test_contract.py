"""The storage contract, run on SQLite and PostgreSQL through the `db` fixture."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.domain.errors import ConcurrentUpdate
from bot.kernel.clock import FrozenClock
from storage.models import Base, TicketRow
from storage.repositories import (
    inbound,
    local_chat,
    platform_state,
    sent_messages,
    tickets,
)
from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog
from storage.repositories.profiles import get_profile, save_profile

Sessions = async_sessionmaker[AsyncSession]
KEY = ConversationKey("local", "user:anna", "anna")


def _ticket(clock: FrozenClock, **overrides: object) -> TicketRow:
    values: dict[str, object] = {
        "status": "queued",
        "topic_id": "haushalt",
        "customer_group_id": "f1-f3",
        "team_id": "haushalt",
        "level": 2,
        "escalation_level": 0,
        "confidential": False,
        "description": "Mittel fehlen",
        "requester_platform": "local",
        "requester_id": "anna",
        "requester_locale": "de",
        "created_at": clock.now(),
        "updated_at": clock.now(),
    }
    values.update(overrides)
    return TicketRow(**values)


async def test_migrations_create_every_table_of_the_models(db: AsyncEngine) -> None:
    async with db.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names


async def test_inbound_event_is_handled_once(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        first = await inbound.remember_event(
            session, platform="matrix", event_id="$e1", received_at=clock.now()
        )
        again = await inbound.remember_event(
            session, platform="matrix", event_id="$e1", received_at=clock.now()
        )
        other_platform = await inbound.remember_event(
            session, platform="teams", event_id="$e1", received_at=clock.now()
        )
    assert (first, again, other_platform) == (True, False, True)


async def test_old_inbound_events_are_pruned(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        await inbound.remember_event(session, platform="x", event_id="1", received_at=clock.now())
        pruned = await inbound.forget_events_before(
            session, before=clock.now() + timedelta(seconds=1)
        )
        fresh = await inbound.remember_event(
            session, platform="x", event_id="1", received_at=clock.now()
        )
    assert pruned == 1 and fresh


async def test_dialog_state_compare_and_set(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        assert await load_dialog(session, key=KEY) is None
        version = await save_dialog(
            session, key=KEY, seen_version=None, dialog="intake", state={"a": 1}, at=clock.now()
        )
    assert version == 1
    async with sessions() as session, session.begin():
        stored = await load_dialog(session, key=KEY)
        assert stored is not None and stored.state == {"a": 1} and stored.version == 1
        assert (
            await save_dialog(
                session, key=KEY, seen_version=1, dialog="intake", state={"a": 2}, at=clock.now()
            )
            == 2
        )
    with pytest.raises(ConcurrentUpdate):
        async with sessions() as session, session.begin():
            await save_dialog(
                session, key=KEY, seen_version=1, dialog="intake", state={"a": 3}, at=clock.now()
            )
    with pytest.raises(ConcurrentUpdate):
        async with sessions() as session, session.begin():
            await save_dialog(
                session, key=KEY, seen_version=None, dialog="intake", state={}, at=clock.now()
            )
    async with sessions() as session:
        stored = await load_dialog(session, key=KEY)
        assert stored is not None and stored.state == {"a": 2}


async def test_ticket_update_is_compare_and_set(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        row = await tickets.add_ticket(session, row=_ticket(clock))
        ticket_id = row.id
    async with sessions() as first, sessions() as second:
        # Both read version 1 (SQLite serialises writers, so the transactions take turns).
        stale = await tickets.get_ticket(first, ticket_id=ticket_id)
        await first.commit()
        fresh = await tickets.get_ticket(second, ticket_id=ticket_id)
        assert stale is not None and fresh is not None
        fresh.status = "claimed"
        await second.commit()
        stale.status = "resolved"
        with pytest.raises(StaleDataError):
            await first.commit()
    async with sessions() as session:
        current = await tickets.get_ticket(session, ticket_id=ticket_id)
        assert current is not None and (current.status, current.version) == ("claimed", 2)


async def test_datetimes_come_back_aware(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        row = await tickets.add_ticket(session, row=_ticket(clock, next_due_at=clock.now()))
        ticket_id = row.id
    async with sessions() as session:
        loaded = await tickets.get_ticket(session, ticket_id=ticket_id)
        assert loaded is not None and loaded.created_at.tzinfo is not None
        assert loaded.created_at == clock.now()


async def test_queue_is_ordered_by_deadline(sessions: Sessions, clock: FrozenClock) -> None:
    now = clock.now()
    async with sessions() as session, session.begin():
        for due in (now + timedelta(hours=5), None, now + timedelta(hours=1)):
            await tickets.add_ticket(session, row=_ticket(clock, next_due_at=due))
        await tickets.add_ticket(session, row=_ticket(clock, team_id="ccc", next_due_at=now))
        await tickets.add_ticket(session, row=_ticket(clock, status="resolved", next_due_at=now))
    async with sessions() as session:
        queue = await tickets.team_queue(session, team_ids=["haushalt"], statuses=["queued"])
        due_now = await tickets.due_before(session, moment=now + timedelta(hours=2))
    assert [row.id for row in queue] == [3, 1, 2]
    assert sorted(row.id for row in due_now) == [3, 4, 5]


async def test_profiles_and_local_chat(sessions: Sessions, clock: FrozenClock) -> None:
    async with sessions() as session, session.begin():
        await save_profile(
            session, platform="local", user_id="anna", at=clock.now(), customer_group_id="f4"
        )
        await save_profile(session, platform="local", user_id="anna", at=clock.now(), locale="en")
        for outbox_id in (1, 1, 2):
            await local_chat.post_message(
                session,
                conversation="user:anna",
                payload={"text": "x"},
                at=clock.now(),
                outbox_id=outbox_id,
            )
        await local_chat.set_cursor(session, user_id="anna", last_message_id=1)
    async with sessions() as session:
        profile = await get_profile(session, platform="local", user_id="anna")
        assert profile is not None and (profile.customer_group_id, profile.locale) == ("f4", "en")
        unseen = await local_chat.messages_after(
            session,
            conversations=["user:anna"],
            after_id=await local_chat.get_cursor(session, user_id="anna"),
        )
        assert [m.outbox_id for m in unseen] == [2]


async def test_platform_state_is_stored_and_overwritten(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        assert await platform_state.get_value(session, platform="matrix", key="t") is None
        await platform_state.set_value(
            session, platform="matrix", key="t", value="s1", at=clock.now()
        )
        assert await platform_state.get_value(session, platform="matrix", key="t") == "s1"
        await platform_state.set_value(
            session, platform="matrix", key="t", value="s2", at=clock.now()
        )
        assert await platform_state.get_value(session, platform="matrix", key="t") == "s2"
        await platform_state.set_value(
            session, platform="teams", key="t", value="x", at=clock.now()
        )
    async with sessions() as session:
        assert await platform_state.get_value(session, platform="matrix", key="t") == "s2"
        assert await platform_state.get_value(session, platform="teams", key="t") == "x"


async def test_a_message_id_is_unique_per_room_not_per_platform(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Teams activity ids are unique per conversation only: two channels may both have a
    card "1700000000001", and each is found, and edited, in its own channel."""
    now = clock.now()
    async with sessions() as session, session.begin():
        for room, card in (("19:a@thread", "ticket-1"), ("19:b@thread", "ticket-2")):
            await sent_messages.remember_post(
                session,
                platform="teams",
                room=room,
                message_ref="1700000000001",
                edited=False,
                card=card,
                choices=["claim:1"],
                at=now,
            )
        await sent_messages.remember_post(
            session,
            platform="teams",
            room="19:b@thread",
            message_ref="1700000000001",
            edited=True,
            card="ticket-2",
            choices=["resolve:2"],
            at=now,
        )
    async with sessions() as session:
        first = await sent_messages.card_message(
            session, platform="teams", room="19:a@thread", card="ticket-1"
        )
        second = await sent_messages.card_message(
            session, platform="teams", room="19:b@thread", card="ticket-2"
        )
    assert first is not None and second is not None
    assert (first.message_ref, first.choices) == ("1700000000001", {"ids": ["claim:1"]})
    assert (second.message_ref, second.choices) == ("1700000000001", {"ids": ["resolve:2"]})


async def test_a_card_posted_anew_is_repointed_at_its_new_post(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        await sent_messages.remember_post(
            session,
            platform="teams",
            room="19:a@thread",
            message_ref="1700000000001",
            edited=False,
            card="ticket-1",
            choices=["claim:1"],
            at=clock.now(),
        )
    async with sessions() as session, session.begin():
        old = await sent_messages.card_message(
            session, platform="teams", room="19:a@thread", card="ticket-1"
        )
        assert old is not None
        await sent_messages.repoint_card(
            session, row_id=old.id, message_ref="1700000000002", choices=["resolve:1"]
        )
    async with sessions() as session:
        card = await sent_messages.card_message(
            session, platform="teams", room="19:a@thread", card="ticket-1"
        )
        gone = await sent_messages.by_ref(session, platform="teams", message_ref="1700000000001")
    assert card is not None and gone is None
    assert (card.message_ref, card.choices) == ("1700000000002", {"ids": ["resolve:1"]})


async def test_a_failed_statement_never_shows_its_parameters(sessions: Sessions) -> None:
    """Repro (issue 14): a failing statement printed its parameters (the user's message, an
    outbox payload) into the ERROR log through the exception's text."""
    secret = "Mein Gehalt ist 4711 Euro"
    with pytest.raises(DBAPIError) as failure:
        async with sessions() as session, session.begin():
            query = text("SELECT * FROM no_such_table WHERE x = :body")
            await session.execute(query, {"body": secret})
    assert secret not in str(failure.value)
    assert "parameters hidden" in str(failure.value)


async def test_own_reactions_are_kept_across_edits_of_the_card(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """The reactions an adapter added to its post survive the card's edits (new choices),
    and one taken back is forgotten."""
    where = {"platform": "matrix", "room": "!team:localhost", "message_ref": "$card"}
    async with sessions() as session, session.begin():
        await sent_messages.remember_post(
            session, **where, edited=False, card="ticket-1", choices=["claim:1"], at=clock.now()
        )
        for key, reaction in (("✋", "$hand"), ("✅", "$tick")):
            await sent_messages.set_own_reaction(
                session, platform="matrix", message_ref="$card", key=key, reaction=reaction
            )
    async with sessions() as session, session.begin():
        await sent_messages.remember_post(
            session, **where, edited=True, card="ticket-1", choices=["resolve:1"], at=clock.now()
        )
        row = await sent_messages.set_own_reaction(
            session, platform="matrix", message_ref="$card", key="✋", reaction=None
        )
        assert row is not None and row.choices["ids"] == ["resolve:1"]
    async with sessions() as session:
        card = await sent_messages.by_ref(session, platform="matrix", message_ref="$card")
        missing = await sent_messages.set_own_reaction(
            session, platform="matrix", message_ref="$other", key="✋", reaction="$x"
        )
    assert card is not None and missing is None
    assert sent_messages.own_reactions(card) == {"✅": "$tick"}
    assert card.choices["ids"] == ["resolve:1"]
