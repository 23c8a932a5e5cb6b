"""An appointment on Synapse: the agent proposes in their DM, the requester types a slot's
number, both get the confirmation and the .ics as an m.file they can download."""

from __future__ import annotations

import icalendar
import nio

from tests.matrix.bot_fixture import Chat, content, create_room, ticket_number, wait_for_join
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.world import World


def _files(chat: Chat, room_id: str, bot_id: str) -> list[dict[str, object]]:
    return [
        content(event)
        for event in chat.timeline[room_id]
        if getattr(event, "sender", None) == bot_id and content(event).get("msgtype") == "m.file"
    ]


async def _ics(chat: Chat, room_id: str, bot_id: str) -> icalendar.Calendar:
    await chat.sync_until(lambda: bool(_files(chat, room_id, bot_id)), within=30)
    [sent] = _files(chat, room_id, bot_id)
    assert sent["filename"] == "termin-1-0.ics"
    assert sent["info"] == {"mimetype": "text/calendar", "size": sent["info"]["size"]}  # type: ignore[index]
    answer = await chat.client.download(mxc=str(sent["url"]))
    assert isinstance(answer, nio.MemoryDownloadResponse), answer
    return icalendar.Calendar.from_ical(answer.body)


async def test_an_appointment_is_proposed_picked_and_sent_as_a_calendar_file(
    world: World,
) -> None:
    requester, dm = await world.requester("schule", encrypted=False)
    number = ticket_number((await file_request(requester, dm)).body)
    agent, room = world.agent, world.team_rooms["haushalt"]
    await agent.expect(room, f"Ticket Nr. {number}")
    await agent.say(room, f"/claim {number}")
    await requester.expect(dm, "bearbeitet jetzt Ihr Anliegen")
    own = await create_room(agent.client, [world.bot_id], direct=True)
    await agent.sync_until(lambda: own in agent.client.rooms)
    await wait_for_join(agent, own, world.bot_id)

    await agent.say(own, f"/termin {number} Sa 10:00")  # the world's day: Tuesday 24.11.2026
    await agent.expect(own, "außerhalb der Sprechzeiten")
    await agent.say(own, f"/termin {number} Mi 10:00, Do 14:00")
    await agent.expect(own, "Terminvorschläge")
    proposal = await requester.expect(dm, "schlägt Budget / Haushalt einen Termin vor")
    assert "Donnerstag, 26.11.2026, 14:00 Uhr" in proposal.body
    await requester.say(dm, "2")
    confirmed = await requester.expect(dm, "Ihr Termin zu Anliegen Nr.")
    assert "Donnerstag, 26.11.2026, 14:00 Uhr" in confirmed.body
    assert "https://video.stadt.example/hotline-1" in confirmed.body
    calendar = await _ics(requester, dm, world.bot_id)
    event = calendar.walk("VEVENT")[0]
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert event.decoded("DTSTART").strftime("%d.%m. %H:%M") == "26.11. 14:00"
    await agent.expect(own, "bestätigt")
    staff_calendar = await _ics(agent, own, world.bot_id)
    assert str(staff_calendar.walk("VEVENT")[0]["UID"]) == str(event["UID"])
