"""One absence on a real Synapse: the head of department is away, her escalation DM goes to
the deputy she named, who acknowledges it with /ack (issue 16).

The bot's clock is the world's shifted clock (Tuesday 24 November 2026, 08:30 at the start);
the test moves it to the reminder, the reaction deadline and the escalation and sweeps at
each, as the running bot's scheduler would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import nio

from bot.escalation.sweep import Sweeper
from bot.kernel.clock import ShiftedClock
from tests.conftest import berlin
from tests.matrix.bot_fixture import Chat, create_room, ticket_number, wait_for_join
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import file_request


async def _opened_dm(chat: Chat, team_rooms: set[str]) -> str:
    """The DM the bot opens with a colleague who never wrote to it: accept it."""
    await chat.sync_until(lambda: bool(set(chat.client.invited_rooms) - team_rooms), within=30)
    [room] = list(set(chat.client.invited_rooms) - team_rooms)
    joined = await chat.client.join(room)
    assert isinstance(joined, nio.JoinResponse), joined
    return room


async def test_the_escalation_dm_goes_to_the_deputy_of_the_absent_head(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, colleagues={"leitung.hoffmann": "hoffmann", "hh.weber": "weber"})
    hoffmann, weber = world.colleagues["leitung.hoffmann"], world.colleagues["hh.weber"]
    own = await create_room(hoffmann.client, [world.bot_id], direct=True)
    await hoffmann.sync_until(lambda: own in hoffmann.client.rooms)
    await wait_for_join(hoffmann, own, world.bot_id)
    await hoffmann.say(own, "/abwesend bis Freitag hh.weber")
    saved = await hoffmann.expect(own, "Eingetragen: Dr. Katharina Hoffmann ist abwesend")
    assert "an Julia Weber" in saved.body
    weber_dm = await _opened_dm(weber, set(world.team_rooms.values()))  # the deputy is told
    await weber.expect(weber_dm, "Sie sind in dieser Zeit die Vertretung")

    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    app = world.bot.app
    assert app is not None
    clock = cast(ShiftedClock, world.bot.clock)
    sweeper = Sweeper(app.config, app.sessions, clock)
    for moment in (berlin(2026, 11, 24, 13, 30), berlin(2026, 11, 24, 15, 30)):
        clock.offset = moment - datetime.now(UTC)  # reminder, then the reaction deadline
        await sweeper.sweep()
    clock.offset = berlin(2026, 11, 25, 9, 30) - datetime.now(UTC)  # one office hour later
    assert any(key.endswith(":eskalation") for key in (await sweeper.sweep()).keys)

    escalation = await weber.expect(weber_dm, f"Eskalation: Nr. {number}", within=30)
    assert "Reaktionsfrist" in escalation.body
    await weber.say(weber_dm, f"/ack {number}")
    await weber.expect(weber_dm, f"Eskalation zu Nr. {number} zur Kenntnis genommen")
    await hoffmann.sync(timeout_ms=0)
    mine = [n.body for n in hoffmann.notices(own, world.bot_id)]
    assert not [b for b in mine if f"Eskalation: Nr. {number}" in b], mine  # not pinged
