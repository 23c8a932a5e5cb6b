"""An appointment in Teams, end to end through Microsoft's playground: the requester picks a
slot on the card, the confirmation comes with "Verschieben"/"Absagen", the .ics as an
attachment, and a stale button of the proposal changes nothing."""

from __future__ import annotations

import base64

import icalendar

from bot.service.actors import Actor
from bot.service.appointments import Appointments
from tests.conftest import berlin
from tests.teams.stage import (
    CAST,
    PERSONAL_CHAT,
    Posted,
    Stage,
    aad,
    click,
    offers,
    plain,
    says,
    wait_posted,
)


def _calendar_file(post: Posted) -> bool:
    attachments = post.body.get("attachments") or []
    calendars = [a for a in attachments if a.get("contentType") == "text/calendar"]
    return post.conversation_id == PERSONAL_CHAT and bool(calendars)


async def test_a_slot_picked_on_the_card_confirms_with_a_calendar_attachment(
    stage: Stage,
) -> None:
    pg, bot = stage.pg, stage.bot
    number, _receipt, post = await stage.file_request("Die Kostenstelle zeigt zu wenig Mittel")
    mark = await click(pg, post, f"claim:{number}", CAST["hh.schneider"])
    await pg.wait_for(says("bearbeitet jetzt", PERSONAL_CHAT), after=mark)

    # The agent proposes (the /termin command of their personal chat, as the service call).
    agent = Actor("teams", aad("hh.schneider"), "Martin Schneider", "de")
    slots = (berlin(2026, 12, 1, 10, 0), berlin(2026, 12, 2, 14, 30))  # bot's day: Monday 9:00
    async with bot.app.sessions() as session, session.begin():
        await Appointments(bot.app.config, bot.clock).propose(
            session, ticket_id=number, actor=agent, slots=slots
        )
    bot._wake.set()
    proposal = await pg.wait_for(offers("appt:other:1:1", PERSONAL_CHAT), timeout=30)
    assert "schlägt Budget / Haushalt einen Termin vor" in plain(proposal)
    assert "Mittwoch, 02.12.2026, 14:30 Uhr" in plain(proposal)

    mark = await click(pg, proposal, "appt:pick:1:1:1")
    confirmed = await pg.wait_for(offers("appt:cancel:1:0", PERSONAL_CHAT), after=mark)
    assert "Mittwoch, 02.12.2026, 14:30 Uhr" in plain(confirmed)
    assert "https://video.stadt.example/hotline-1" in plain(confirmed)
    # (not an idle outbox: the reminders wait there for their moments)
    [sent] = await wait_posted(pg, _calendar_file, within=30)
    files = [a for a in sent.body["attachments"] if a.get("contentType") == "text/calendar"]
    assert [f["name"] for f in files] == ["termin-1-0.ics"]
    prefix = "data:text/calendar;base64,"
    data = base64.b64decode(str(files[0]["contentUrl"])[len(prefix) :])
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert event.decoded("DTSTART").strftime("%d.%m. %H:%M") == "02.12. 14:30"

    mark = await click(pg, proposal, "appt:pick:1:1:0")  # the proposal's other slot: stale
    await pg.wait_for(says("gilt nicht mehr", PERSONAL_CHAT), after=mark)
