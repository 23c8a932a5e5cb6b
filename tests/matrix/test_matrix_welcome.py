"""On real Synapse (issue 15): the bot greets a DM it is invited to, once, and a first
message in English is answered in English (Matrix gives no locale)."""

from __future__ import annotations

import nio

from tests.matrix.bot_fixture import room_history
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.world import wait_for_outbox

WELCOME = "Schreiben Sie Ihr Anliegen einfach in diesen Chat"


async def test_dm_invite_is_welcomed_once_and_english_is_answered_in_english(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt",))
    requester, dm = await world.requester("welcome", wait=True)
    welcome = await requester.expect(dm, WELCOME)
    assert "/hilfe" in welcome.body and "Just write in English" in welcome.body
    await requester.say(dm, "Hello, I have a question about my invoice")
    await requester.expect(dm, "This is the finance department's hotline")
    offered = await requester.expect(dm, "customer group")
    assert "Kundengruppe" not in offered.body
    await wait_for_outbox(world.bot, within=30)
    bodies = [
        str(event.body)
        for event in await room_history(requester.client, dm)
        if isinstance(event, nio.RoomMessageNotice)
    ]
    assert sum(WELCOME in body for body in bodies) == 1
