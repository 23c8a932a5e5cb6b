"""Status messages that replace the previous one (adapters/matrix/merge.py) on Synapse:
only while nothing has been said since."""

from __future__ import annotations

from tests.matrix.bot_fixture import is_edit, room_history, ticket_number
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.world import World, wait_for_outbox


async def test_a_status_after_the_requester_wrote_is_a_new_message(world: World) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    await agent.say(room, f"/claim {number}")
    await requester.expect(dm, "bearbeitet jetzt")
    await wait_for_outbox(world.bot, within=30)
    await requester.say(dm, "/status")  # something said since: the next status is new
    await requester.expect(dm, "Ihre Anliegen")
    await agent.say(room, f"/unclaim {number}")
    back = await requester.expect(dm, "wieder in der Warteschlange")
    assert not is_edit(back)
    await agent.say(room, f"/claim {number}")  # nothing said since: edits that one
    again = await requester.expect(dm, "bearbeitet jetzt", edits=True)
    assert again.source["content"]["m.relates_to"]["event_id"] == back.event_id
    await wait_for_outbox(world.bot, within=30)
    posts = [
        e.body
        for e in await room_history(requester.client, dm)
        if e.sender == world.bot_id and not is_edit(e) and f"Nr. {number}" in getattr(e, "body", "")
    ]
    assert sum("bearbeitet jetzt" in body for body in posts) == 1
    assert sum("wieder in der Warteschlange" in body for body in posts) == 1
