"""How much a requester's DM collects in one short conversation: intake, a claim that is
taken back and made again, a question back and its answer, the resolution and the rating.
The requester reads each question before answering (its reactions are added by then).
Counted from the room's history as a client sees it (each edit and reaction is an event)."""

from __future__ import annotations

import nio

from tests.matrix.bot_fixture import Chat, is_edit, room_history, ticket_number
from tests.matrix.world import World, wait_for_outbox

INTAKE = (
    ("Hallo", "Zu welcher Kundengruppe gehören Sie?"),
    ("1", "Worum geht es?"),
    ("haushalt", "Hat Ihnen das geholfen?"),
    ("nein", "Bitte beschreiben Sie Ihr Anliegen"),
    ("Mittel für Schulbücher fehlen im Budget der Grundschule", "Rechnungsnummer"),
    ("-", "Soll ich das so an Budget / Haushalt weitergeben?"),
    ("ja", "eingegangen"),
)


async def answer(
    world: World, chat: Chat, dm: str, typed: str, expected: str
) -> nio.RoomMessageNotice:
    """Type, wait for the answer and for everything the bot adds to it."""
    await chat.say(dm, typed)
    notice = await chat.expect(dm, expected)
    await wait_for_outbox(world.bot, within=30)
    return notice


async def test_a_short_conversation_stays_short_in_the_requesters_dm(world: World) -> None:
    requester, dm = await world.requester("schule")
    said = {
        typed: await answer(world, requester, dm, typed, expected) for typed, expected in INTAKE
    }
    confirmation = said["ja"].body
    # The topic list is longer than the keycaps: the text says to type the numbers beyond.
    topics = [line for line in said["1"].body.splitlines() if line[:1].isdigit()]
    assert len(topics) > 10 and topics[-1].startswith(f"{len(topics)}. ")
    assert said["1"].body.endswith(
        f"Für 11 bis {len(topics)} gibt es keine Reaktion: Schreiben Sie einfach die Nummer."
    )
    number = ticket_number(confirmation)
    room, agent = world.team_rooms["haushalt"], world.agent
    for command, expected in (
        (f"/claim {number}", f"Sie haben Nr. {number} übernommen"),
        (f"/unclaim {number}", f"Nr. {number} ist wieder in der Warteschlange"),
        (f"/claim {number}", f"Sie haben Nr. {number} übernommen"),
    ):
        await agent.say(room, command)
        await agent.expect(room, expected)
        await wait_for_outbox(world.bot, within=30)
    await agent.say(room, f"/ask {number} Welche Schule genau?")
    await requester.expect(dm, "Welche Schule genau?")
    await answer(world, requester, dm, "Die Grundschule am Sonnenweg", "Danke, Ihre Antwort")
    await agent.say(room, f"/resolve {number} Die Mittel sind freigegeben.")
    await requester.expect(dm, "Wie zufrieden sind Sie")
    await wait_for_outbox(world.bot, within=30)
    await answer(world, requester, dm, "5", "Danke für Ihre Bewertung")

    history = await room_history(requester.client, dm)
    mine = [e for e in history if e.sender == world.bot_id and "state_key" not in e.source]
    messages = [e for e in mine if isinstance(e, nio.RoomMessage)]
    posts = [e for e in messages if not is_edit(e)]
    reactions = [e for e in mine if isinstance(e, nio.ReactionEvent)]
    typed = [e for e in history if e.sender == requester.user_id and "state_key" not in e.source]
    print(
        f"\nDM: {len(messages)} bot messages ({len(posts)} posts, the rest edits), "
        f"{len(reactions)} bot reactions, {len(typed)} typed"
    )
    for event in messages:
        print("  ", event.body[:90].replace("\n", " | "))
    assert len(typed) == 9  # Hallo .. ja, the answer, the rating
    working = [e for e in posts if "bearbeitet jetzt" in e.body]
    assert len(working) == 1, "claim, unclaim, claim: one status message, edited"
    assert len(posts) <= 16, len(posts)  # 15, and the welcome when the DM was opened
    assert len(reactions) <= 30, len(reactions)
    on_topics = [e for e in reactions if e.reacts_to == said["1"].event_id]
    assert len(on_topics) == 10
