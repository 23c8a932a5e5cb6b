"""Taking a card back: in the local chat what it showed in that conversation goes and the
retract notice takes its place (nothing where it was never shown); an erased ticket's cards
are taken back in every team channel it was queued in (SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from adapters.local.adapter import LocalChatAdapter
from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from bot.service.privacy import PrivacyService
from storage.models import LocalMessageRow, OutboxRow
from tests.harness import Harness
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


async def test_a_handed_off_tickets_cards_are_taken_back_in_both_teams_channels(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    number = await hotline.file_request("schule.sonne", topic="haushalt", text="Mittel fehlen")
    await hotline.say("hh.schneider", f"/handoff {number} kreditoren Rechnung betroffen")
    async with sessions() as session:
        keys = {
            (row.target_address, row.payload["card"])
            for row in (await session.scalars(select(OutboxRow))).all()
            if row.payload.get("card")
        }
    assert {channel for channel, _ in keys} == {"haushalt", "kreditoren"}
    await PrivacyService(config, sessions, clock).erase(user_id="schule.sonne")
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow))).all()
    about = [row for row in rows if row.payload.get("ticket_id") == number]
    assert all(row.payload.get("retract") for row in about)  # the rest went with the ticket
    taken_back = {(row.target_address, row.payload["card"]) for row in about}
    assert taken_back >= keys  # each card where it was posted (elsewhere: a no-op)
