"""One bundled escalation on a real Synapse: four tickets escalate at once, above the
bundling threshold (3 in 10 minutes), and the head of department's DM gets ONE message
listing them all, not four (issue 16).

The bot's clock is the world's shifted clock (Tuesday 24 November 2026, 08:30 at the start);
the test moves it to the reminder, the reaction deadline and the escalation and sweeps at
each, as the running bot's scheduler would, waiting for the outbox in between.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import cast

import nio
from sqlalchemy import select

from adapters.matrix.render import KEYCAPS
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import ShiftedClock
from storage.models import EscalationStepRow
from tests.conftest import berlin
from tests.matrix.bot_fixture import content, react, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.world import wait_for_outbox

TICKETS = 4  # one above the threshold: the smallest storm that is bundled


async def test_four_escalations_reach_the_head_of_department_as_one_message(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, colleagues={"leitung.hoffmann": "hoffmann"})
    hoffmann = world.colleagues["leitung.hoffmann"]

    async def request(index: int) -> int:
        requester, dm = await world.requester("schule")
        described = f"Haushaltsmittel für Schule {index} fehlen"
        return ticket_number((await file_request(requester, dm, described)).body)

    numbers = sorted(await asyncio.gather(*(request(index) for index in range(TICKETS))))
    app = world.bot.app
    assert app is not None
    clock = cast(ShiftedClock, world.bot.clock)
    sweeper = Sweeper(app.config, app.sessions, clock)
    for moment in (berlin(2026, 11, 24, 13, 30), berlin(2026, 11, 24, 15, 30)):
        clock.offset = moment - datetime.now(UTC)  # reminder, then the reaction deadline
        await sweeper.sweep()
        await wait_for_outbox(world.bot, within=30)
    clock.offset = berlin(2026, 11, 25, 9, 30) - datetime.now(UTC)  # one office hour later
    keys = (await sweeper.sweep()).keys
    assert len([key for key in keys if key.endswith(":eskalation")]) == TICKETS

    await hoffmann.sync_until(lambda: bool(hoffmann.client.invited_rooms), within=30)
    [lead_dm] = list(hoffmann.client.invited_rooms)  # the bot opens her DM
    joined = await hoffmann.client.join(lead_dm)
    assert isinstance(joined, nio.JoinResponse), joined
    bundle = await hoffmann.expect(lead_dm, "Eskalation: 4 Tickets", within=30)
    await wait_for_outbox(world.bot, within=30)
    await hoffmann.sync(timeout_ms=0)
    mine = hoffmann.notices(lead_dm, world.bot_id)
    assert mine == [bundle], [n.body for n in mine]  # one message, not four
    keycaps = KEYCAPS[:TICKETS]  # one reaction "button" per ticket
    for number, keycap in zip(numbers, keycaps, strict=True):
        assert (
            f"<li>Nr. {number}: Zur Kenntnis nehmen {keycap}</li>"
            in content(bundle)["formatted_body"]
        )
        assert re.search(rf"^Nr\. {number} · ", bundle.body, re.MULTILINE), bundle.body
    async with app.sessions() as session:
        steps = await session.scalars(
            select(EscalationStepRow.ticket_id).where(EscalationStepRow.step == "eskalation")
        )
        assert sorted(steps.all()) == sorted(numbers)  # each step recorded once

    # She reacts with the second ticket's keycap: the bot understands the bundle's button.
    await react(hoffmann.client, lead_dm, bundle.event_id, keycaps[1])
    await hoffmann.expect(lead_dm, f"Eskalation zu Nr. {numbers[1]} zur Kenntnis genommen")
