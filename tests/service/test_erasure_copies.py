"""Erasure and retention reach every copy of a person's text (SQLite, PostgreSQL).

A marker is written into every path a person's text takes (description, reply, complaint,
held reply, rating comment, half-written request, typed line, delivered local chat messages,
raw Matrix events, waiting and failed notices, the audit of a failed message, adapter state),
then every column of every table is scanned for it: a table added later is scanned too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.privacy import PrivacyService
from storage.models import Base, OutboxRow
from tests.harness import Harness
from tests.service.erasure_support import (
    MANAGER,
    database_tables,
    deliver_local,
    scan,
    write_everywhere,
)
from tests.service.sweep_support import Sessions

ALICE = "schule.sonne"
BOB = "kita.mond"
MARK = "Zeichen-7f3a"  # Alice's text carries it
BOBS = "Merkmal-41c9"  # Bob's

# Where Alice's text is before the erasure: the scan must see each of them.
PATHS = {
    "tickets.description",
    "ticket_events.data",
    "satisfaction.comment",
    "open_prompts.held_text",
    "dialog_states.state",
    "local_typed.text",
    "local_messages.payload",
    "inbox.payload",
    "outbox.payload",
    "audit_log.detail",
    "platform_state.value",
}


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


@pytest.fixture
def privacy(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> PrivacyService:
    return PrivacyService(config, sessions, clock)


async def test_the_scan_covers_every_table(sessions: Sessions) -> None:
    """A table the models do not know would escape `scan`: there is none."""
    tables = await database_tables(sessions)
    assert "local_messages" in tables
    assert tables - set(Base.metadata.tables) == {"alembic_version"}


async def test_erasure_leaves_no_copy_of_the_persons_text_or_id(
    hotline: Harness, privacy: PrivacyService, sessions: Sessions
) -> None:
    await write_everywhere(hotline, ALICE, MARK)
    await hotline.file_request(BOB, topic="haushalt", text=f"Bobs Frage {BOBS}")
    assert await scan(sessions, MARK) >= PATHS  # every path was taken

    counts = await privacy.erase(user_id=ALICE)
    assert await scan(sessions, MARK) == set()
    assert await scan(sessions, ALICE) == set()  # not even the id
    assert counts["cards_retracted"] > 0
    assert "tickets.description" in await scan(sessions, BOBS)  # Bob's stays

    await deliver_local(hotline)  # the cards taken back
    assert await scan(sessions, MARK) == set()


async def test_retention_leaves_no_copy_once_every_period_is_over(
    hotline: Harness, privacy: PrivacyService, sessions: Sessions, clock: FrozenClock
) -> None:
    await write_everywhere(hotline, ALICE, MARK, finish=True, adapter_state=False)
    assert await scan(sessions, MARK) >= PATHS - {"platform_state.value"}
    clock.advance(timedelta(days=29))
    await privacy.apply_retention()
    assert "local_messages.payload" in await scan(sessions, MARK)  # not yet

    clock.advance(timedelta(days=800))
    counts = await privacy.apply_retention()
    assert await scan(sessions, MARK) == set()
    assert counts["cards_retracted"] > 0
    await deliver_local(hotline)
    assert await scan(sessions, MARK) == set()


async def test_erased_tickets_cards_are_taken_back_where_they_were_posted(
    hotline: Harness, privacy: PrivacyService, sessions: Sessions
) -> None:
    written = await write_everywhere(hotline, ALICE, MARK)
    await privacy.erase(user_id=ALICE)
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    retracts = [(row, Notice.from_json(row.payload)) for row in rows]
    retracts = [(row, notice) for row, notice in retracts if notice.retract]
    places = {(row.target_kind, row.target_address, n.ticket_id) for row, n in retracts}
    assert places == {
        ("channel", "haushalt", written.rated),
        ("channel", "haushalt", written.first),
        ("channel", "debitoren", written.second),
        ("user", "bk.berger", written.complaint),  # the complaint managers' private cards
        ("user", MANAGER, written.complaint),
    }
    for row, notice in retracts:
        assert notice.card is not None and notice.card.startswith(f"ticket-{notice.ticket_id}-")
        assert "auf Wunsch" in notice.text and MARK not in notice.text
        assert notice.channel_safe is (row.target_kind == "channel")
