"""Taking a card back in the local chat: what it showed in that conversation goes, the
retract notice takes its place; where it was never shown nothing is posted (SQLite, PG)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from adapters.local.adapter import LocalChatAdapter
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.models import LocalMessageRow
from tests.service.sweep_support import Sessions

CARD = "ticket-7-1700000000000"
HAUSHALT = Target("local", "channel", "haushalt")


async def _chat(sessions: Sessions) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = (await session.scalars(select(LocalMessageRow).order_by(LocalMessageRow.id))).all()
    return [(row.conversation, str(row.payload["text"])) for row in rows]


async def test_a_retract_replaces_every_post_of_the_card_in_that_conversation_only(
    sessions: Sessions, clock: FrozenClock
) -> None:
    local = LocalChatAdapter(sessions, clock)
    card = Notice(text="Mittel fehlen", ticket_id=7, card=CARD)
    await local.send(HAUSHALT, card, outbox_id=1)
    await local.send(HAUSHALT, replace(card, text="Übernommen. Mittel fehlen"), outbox_id=2)
    await local.send(HAUSHALT, Notice(text="Ein anderes Ticket", card="ticket-8-1"), outbox_id=3)
    await local.send(Target("local", "channel", "bk"), card, outbox_id=4)

    erased = replace(card, text="Die Angaben wurden gelöscht.", retract=True)
    assert await local.send(HAUSHALT, erased, outbox_id=5) == "local:5"
    assert await _chat(sessions) == [
        ("channel:haushalt", "Ein anderes Ticket"),
        ("channel:bk", "Mittel fehlen"),  # another target: its own retract notice
        ("channel:haushalt", "Die Angaben wurden gelöscht."),
    ]
    never = Target("local", "channel", "kreditoren")
    assert await local.send(never, erased, outbox_id=6) is None
    assert len(await _chat(sessions)) == 3  # nothing posted where the card never was


def test_the_retract_flag_travels_through_the_outbox() -> None:
    notice = Notice(text="gelöscht", card=CARD, retract=True)
    assert Notice.from_json(notice.to_json()) == notice
    assert "retract" not in Notice(text="x").to_json()  # older rows read as before
