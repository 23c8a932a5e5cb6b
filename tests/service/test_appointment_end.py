"""A ticket that is resolved or closed takes its appointment with it, on both stores.

A confirmed appointment is cancelled (both sides told, the requester in their words, with a
METHOD:CANCEL file of the same UID and a higher SEQUENCE; the reminders not sent yet are
taken back); an open proposal is withdrawn and its buttons answer "gilt nicht mehr". The
resolve goes through; the agent's confirmation names the cancelled appointment.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from storage.models import AppointmentRow
from tests.harness import Harness, texts
from tests.service.test_appointments import (
    AGENT,
    REQUESTER,
    claimed,
    everything_to,
    files,
    ids,
    outbox_rows,
)

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def reminders(hotline: Harness) -> list[str]:
    rows = await outbox_rows(hotline)
    return [r.dedupe_key or "" for r in rows if (r.dedupe_key or "").startswith("appt-")]


async def status_of(sessions: Sessions) -> str:
    async with sessions() as session:
        row = await session.get(AppointmentRow, 1)
        assert row is not None
        return row.status


async def test_resolving_cancels_the_confirmed_appointment_for_both_sides(
    hotline: Harness, sessions: Sessions
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    proposal = await hotline.dm(REQUESTER)
    confirmed = await hotline.say(REQUESTER, action_id=ids(proposal, "appt:pick:")[0])
    (ics0,) = files(confirmed)
    uid = str(ics0.walk("VEVENT")[0]["UID"])
    assert len(await reminders(hotline)) == 2
    await hotline.dm(AGENT)
    done = await hotline.say(AGENT, f"/erledigt {ticket_id} Besprochen und gelöst.")
    assert (await hotline.ticket(ticket_id)).status == "resolved"
    assert "ist erledigt" in texts(done)
    assert "Dienstag, 01.12.2026, 10:00 Uhr" in texts(done) and "abgesagt" in texts(done)
    told = await hotline.dm(REQUESTER)
    said = texts(told)
    assert "entfällt" in said and "Anliegen Nr." in said and "Ticket" not in said
    (cancel,) = files(told)
    event = cancel.walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"]), cancel["METHOD"]) == (uid, 1, "CANCEL")
    staff = (await everything_to(hotline, AGENT))[-2:]
    assert "weil das Ticket erledigt ist" not in texts(staff)  # the confirmation says it
    (staff_cancel,) = files(staff)
    assert staff_cancel["METHOD"] == "CANCEL"
    assert str(staff_cancel.walk("VEVENT")[0]["UID"]) == uid
    assert await reminders(hotline) == []
    assert await status_of(sessions) == "cancelled"
    stale = await hotline.say(REQUESTER, action_id=ids(confirmed, "appt:cancel:")[0])
    assert "kein Termin vereinbart" in texts(stale)


async def test_resolving_withdraws_an_open_proposal(hotline: Harness, sessions: Sessions) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00, Mi 10:00")
    proposal = await hotline.dm(REQUESTER)
    done = await hotline.say(AGENT, f"/erledigt {ticket_id} Erledigt ohne Termin.")
    assert "Terminvorschläge sind zurückgezogen" in texts(done)
    told = await hotline.dm(REQUESTER)
    assert "gelten nicht mehr" in texts(told) and "Ticket" not in texts(told)
    assert files(told) == []
    assert await status_of(sessions) == "cancelled"
    stale = await hotline.say(REQUESTER, action_id=ids(proposal, "appt:pick:")[1])
    assert "gilt nicht mehr" in texts(stale)
    assert (await hotline.ticket(ticket_id)).status == "resolved"


async def test_resolving_without_an_appointment_says_nothing_of_one(hotline: Harness) -> None:
    ticket_id = await claimed(hotline)
    done = await hotline.say(AGENT, f"/erledigt {ticket_id} Gelöst.")
    assert "Termin" not in texts(done)
    assert "Termin" not in texts(await hotline.dm(REQUESTER))


async def test_withdrawing_the_request_cancels_the_appointment(
    hotline: Harness, sessions: Sessions
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.dm(REQUESTER)
    await hotline.say(REQUESTER, "1")
    await hotline.dm(AGENT)
    async with hotline.sessions() as session:
        requester = Actor("local", REQUESTER, None, "de")
        await TicketService(hotline.config, hotline.clock).withdraw(
            session, ticket_id=ticket_id, actor=requester
        )
        await session.commit()
    assert (await hotline.ticket(ticket_id)).status == "closed"
    assert await status_of(sessions) == "cancelled"
    assert await reminders(hotline) == []
    staff = (await everything_to(hotline, AGENT))[-2:]
    assert "abgesagt" in texts(staff)
    (cancel,) = files(staff)
    assert cancel["METHOD"] == "CANCEL"


async def test_the_ics_names_the_hotline_as_organizer_or_only_a_contact(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    for address in ("hotline-finanzen@stadt.example", None):
        hotline = Harness(replace(config, email=address), sessions, clock)
        ticket_id = await claimed(hotline)
        await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
        await hotline.dm(REQUESTER)
        (ics,) = files(await hotline.say(REQUESTER, "1"))
        vevent = ics.walk("VEVENT")[0]
        if address is None:
            assert "ORGANIZER" not in vevent and str(vevent["CONTACT"]) == "Budget / Haushalt"
        else:
            assert str(vevent["ORGANIZER"]) == f"mailto:{address}"
            assert vevent["ORGANIZER"].params["CN"] == "Budget / Haushalt"


async def test_a_colleague_resolving_tells_the_agent_who_arranged_it(hotline: Harness) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.dm(REQUESTER)
    await hotline.say(REQUESTER, "1")
    colleague = "hh.weber"  # the same team; the lead hands it on by resolving
    done = await hotline.say(colleague, f"/erledigt {ticket_id} Gelöst.")
    assert "abgesagt" in texts(done)
    staff = (await everything_to(hotline, AGENT))[-2:]
    assert "weil das Ticket erledigt ist" in texts(staff)
    (cancel,) = files(staff)
    assert cancel["METHOD"] == "CANCEL"


async def test_a_handoff_to_another_team_cancels_the_appointment_for_both_sides(
    hotline: Harness, sessions: Sessions
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    proposal = await hotline.dm(REQUESTER)
    confirmed = await hotline.say(REQUESTER, action_id=ids(proposal, "appt:pick:")[0])
    assert len(await reminders(hotline)) == 2
    await hotline.dm(AGENT)
    await hotline.say(AGENT, f"/handoff {ticket_id} kreditoren bitte übernehmen")
    assert (await hotline.ticket(ticket_id)).team_id == "kreditoren"
    told = await hotline.dm(REQUESTER)
    said = texts(told)
    assert "entfällt" in said and "weitergegeben" in said and "Ticket" not in said
    (cancel,) = files(told)
    assert (cancel["METHOD"], int(cancel.walk("VEVENT")[0]["SEQUENCE"])) == ("CANCEL", 1)
    staff = await everything_to(hotline, AGENT)
    assert "an ein anderes Team abgegeben" in texts(staff)
    assert files(staff)[-1]["METHOD"] == "CANCEL"
    assert await reminders(hotline) == []
    assert await status_of(sessions) == "cancelled"
    assert (await hotline.ticket(ticket_id)).paused_at is None  # the new team's clock runs
    stale = await hotline.say(REQUESTER, action_id=ids(confirmed, "appt:cancel:")[0])
    assert "Termin" in texts(stale)


async def test_a_handoff_withdraws_an_open_proposal(hotline: Harness, sessions: Sessions) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00, Mi 10:00")
    proposal = await hotline.dm(REQUESTER)
    await hotline.say(AGENT, f"/handoff {ticket_id} kreditoren bitte übernehmen")
    told = await hotline.dm(REQUESTER)
    assert "gelten nicht mehr" in texts(told) and "Ticket" not in texts(told)
    assert await status_of(sessions) == "cancelled"
    stale = await hotline.say(REQUESTER, action_id=ids(proposal, "appt:pick:")[0])
    assert "gilt nicht mehr" in texts(stale)


async def test_unclaiming_keeps_the_appointment_with_the_agent_who_arranged_it(
    hotline: Harness, sessions: Sessions
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.dm(REQUESTER)
    await hotline.say(REQUESTER, "1")
    await hotline.say(AGENT, f"/unclaim {ticket_id}")
    assert await status_of(sessions) == "confirmed"
    assert len(await reminders(hotline)) == 2
    async with sessions() as session:
        row = await session.get(AppointmentRow, 1)
        assert row is not None and row.agent == "hh.schneider"
