"""The complaint relay on a real Synapse (issue 17): a complaint manager forwards a
complaint to Haushalt; its lead reads it in a DM the bot opens, asks under the pseudonym;
the complainant answers in their own DM; no team room ever holds any of it."""

from __future__ import annotations

import json
import re

import nio

from tests.matrix.bot_fixture import room_history, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_absences import _opened_dm
from tests.matrix.test_matrix_rooms import _bot_reader
from tests.matrix.world import wait_for_outbox

COMPLAINT = "Relay-9c1e: am Telefon sehr unfreundlich abgewimmelt worden"


async def test_a_complaint_relayed_to_a_team_reaches_no_team_room(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt", "bk"), colleagues={"bk.berger": "berger"})
    team_rooms = set(world.team_rooms.values())
    requester, dm = await world.requester("schule")
    await requester.say(dm, "/beschwerde")
    await requester.expect(dm, "worüber Sie sich beschweren")
    for typed, answer in (
        (COMPLAINT, "anonym bleiben"),
        ("ja", "vertraulich an das Beschwerdemanagement"),  # yes, stay anonymous
        ("ja", "vertraulich beim Beschwerdemanagement eingegangen"),
    ):
        await requester.say(dm, typed)
        reply = await requester.expect(dm, answer)
    number = ticket_number(reply.body)

    manager = world.colleagues["bk.berger"]  # a complaint manager: the card comes by DM
    manager_dm = await _opened_dm(manager, team_rooms)
    await manager.expect(manager_dm, f"Ticket Nr. {number}")
    await manager.say(manager_dm, f"!claim {number}")
    await manager.expect(manager_dm, f"Sie haben Nr. {number} übernommen")
    await manager.say(manager_dm, f"!weiterleiten {number} haushalt Unfreundlich abgewimmelt")
    forwarded = await manager.expect(manager_dm, "weitergeleitet")
    found = re.search(r"B-\d+", forwarded.body)
    assert found is not None, forwarded.body
    pseudonym = found.group(0)

    lead = world.agent  # Martin Schneider leads Haushalt
    lead_dm = await _opened_dm(lead, team_rooms)
    relayed = await lead.expect(lead_dm, f"Beschwerde {pseudonym}")
    assert "Unfreundlich abgewimmelt" in relayed.body and f"Nr. {number}" not in relayed.body
    assert COMPLAINT not in relayed.body  # only the part the manager chose
    await lead.say(lead_dm, f"!rueckfrage {pseudonym} An welchem Tag war das?")
    await lead.expect(lead_dm, "geht über die Hotline")
    question = await requester.expect(dm, "Rückfrage zu Ihrem Anliegen")
    assert "An welchem Tag war das?" in question.body and "Haushalt" not in question.body
    await requester.say(dm, "Am Montag gegen zehn")
    answer = await lead.expect(lead_dm, f"Antwort auf die Rückfrage zu {pseudonym}")
    assert "Am Montag gegen zehn" in answer.body
    await manager.expect(manager_dm, "Am Montag gegen zehn")  # the manager holding it

    await wait_for_outbox(world.bot, within=30)
    reader = await _bot_reader(world)
    try:
        joined = await reader.joined_rooms()
        assert isinstance(joined, nio.JoinedRoomsResponse), joined
        holding: set[str] = set()
        for room_id in joined.rooms:
            events = await room_history(reader, room_id)
            if any(pseudonym in json.dumps(e.source, ensure_ascii=False) for e in events):
                holding.add(room_id)
    finally:
        await reader.close()
    assert lead_dm in holding and manager_dm in holding  # the search finds it where it is
    assert not holding & team_rooms, "the relay reached a team room"
