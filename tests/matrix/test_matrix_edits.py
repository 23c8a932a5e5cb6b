"""Edits (m.replace) and redactions of a request's description, on Synapse: the ticket and
the team's card follow; edits of other messages are not answered."""

from __future__ import annotations

import nio
from sqlalchemy import select

from storage.models import TicketEventRow, TicketRow
from tests.matrix.bot_fixture import Chat, content, ticket_number
from tests.matrix.world import World, wait_for_outbox

OLD = "Mittel für Schulbücher fehlen im Budget der Grundschule"
NEW = "Mittel für Tablets fehlen im Budget der Grundschule"


async def edit(chat: Chat, room_id: str, original: str, text: str) -> str:
    """Send an m.replace edit of `original`, as Element does."""
    sent = await chat.client.room_send(
        room_id,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": f"* {text}",
            "m.new_content": {"msgtype": "m.text", "body": text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    assert isinstance(sent, nio.RoomSendResponse), sent
    return str(sent.event_id)


async def file_with_description(chat: Chat, dm: str) -> tuple[int, str, str]:
    """Walk the intake by typing; return ticket number, the description's and the greeting's
    event ids."""
    hello = await chat.say(dm, "Hallo")
    await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    for typed, answer in (
        ("1", "Worum geht es?"),
        ("haushalt", "Hat Ihnen das geholfen?"),
        ("nein", "Bitte beschreiben Sie Ihr Anliegen"),
    ):
        await chat.say(dm, typed)
        await chat.expect(dm, answer)
    description = await chat.say(dm, OLD)
    await chat.expect(dm, "Rechnungsnummer")
    await chat.say(dm, "-")
    await chat.expect(dm, "Soll ich das so")
    await chat.say(dm, "ja")
    confirmation = await chat.expect(dm, "eingegangen")
    return ticket_number(confirmation.body), description, hello


async def test_an_edit_and_a_redaction_of_the_description_reach_ticket_and_card(
    world: World,
) -> None:
    requester, dm = await world.requester("schule", wait=True)
    number, description, hello = await file_with_description(requester, dm)
    room = world.team_rooms["haushalt"]
    card = await world.agent.expect(room, f"Ticket Nr. {number}")
    assert OLD in card.body

    await edit(requester, dm, hello, "Guten Tag")  # not a description: no answer
    await edit(requester, dm, description, NEW)
    await requester.expect(dm, f"geänderte Beschreibung zu Nr. {number} übernommen")
    edited = await world.agent.expect(room, NEW, edits=True)
    assert content(edited)["m.relates_to"]["event_id"] == card.event_id
    assert OLD not in content(edited)["m.new_content"]["body"]

    redacted = await requester.client.room_redact(dm, description)
    assert isinstance(redacted, nio.RoomRedactResponse), redacted
    await requester.expect(dm, "ich habe sie auch aus Ihrem Anliegen entfernt")
    gone = await world.agent.expect(room, "(von der anfragenden Person gelöscht)", edits=True)
    assert NEW not in content(gone)["m.new_content"]["body"]
    await wait_for_outbox(world.bot, within=20)
    # Exactly two answers to the requester after the confirmation: the greeting's edit got none.
    after = [n.body for n in requester.notices(dm)]
    confirmation_at = max(i for i, body in enumerate(after) if "eingegangen" in body)
    assert len(after[confirmation_at + 1 :]) == 2, after[confirmation_at + 1 :]

    assert world.bot.app is not None
    async with world.bot.app.sessions() as session:
        ticket = await session.get(TicketRow, number)
        events = (
            await session.scalars(
                select(TicketEventRow.action).where(TicketEventRow.ticket_id == number)
            )
        ).all()
    assert ticket is not None and ticket.description == ""
    assert list(events) == ["queue", "description_edit", "description_delete"]
