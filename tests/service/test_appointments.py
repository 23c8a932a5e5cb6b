"""Appointments (/termin) through the engine, as local-chat users, on both stores.

The agent proposes slots inside office hours; the requester picks one by button or number
or asks for others; both get the confirmation and the .ics; reminders wait in the outbox;
the ticket's SLA clock rests until the appointment; either side moves or cancels.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.appointments import Appointments
from bot.service.privacy import PrivacyService
from storage.models import AppointmentRow, OutboxRow
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
AGENT = "hh.schneider"  # Budget / Haushalt: a screen-sharing link is configured
REQUESTER = "schule.sonne"
# The clock: Monday 30 November 2026, 09:00 Berlin. Tuesday 1 December is a working day.


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def claimed(hotline: Harness, topic: str = "haushalt") -> int:
    ticket_id = await hotline.file_request(REQUESTER, topic=topic)
    team = hotline.config.topic(topic).team
    member = hotline.config.team(team).members[0].platform_ids["local"]
    await hotline.say(member, f"/claim {ticket_id}", channel=team)
    await hotline.dm(REQUESTER)
    await hotline.dm(member)
    return ticket_id


def ids(notices: list[Notice], prefix: str) -> list[str]:
    return [c.id for n in notices for c in n.choices if c.id.startswith(prefix)]


def files(notices: list[Notice]) -> list[icalendar.Calendar]:
    return [icalendar.Calendar.from_ical(n.file.data) for n in notices if n.file is not None]


async def everything_to(hotline: Harness, user: str) -> list[Notice]:
    """Every notice for a user's DM (taken-back reminders free their row ids on SQLite, so
    the harness's "new since" cursor cannot be trusted after a cancellation)."""
    rows = [r for r in await outbox_rows(hotline) if r.target_address == user]
    return [Notice.from_json(r.payload) for r in rows]


async def outbox_rows(hotline: Harness) -> list[OutboxRow]:
    async with hotline.sessions() as session:
        return list((await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


async def test_propose_pick_confirm_with_ics_link_reminders_and_paused_clock(
    hotline: Harness,
) -> None:
    ticket_id = await claimed(hotline)
    said = await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00, 2.12. 14:30")
    assert "Terminvorschläge" in texts(said), texts(said)
    proposal = await hotline.dm(REQUESTER)
    assert "Dienstag, 01.12.2026, 10:00 Uhr" in texts(proposal)
    assert "Andere Termine" in texts(proposal)
    assert "Ticket" not in texts(proposal)
    picks = ids(proposal, "appt:pick:")
    assert len(picks) == 2
    mine = await hotline.say(REQUESTER, action_id=picks[1])
    assert "Mittwoch, 02.12.2026, 14:30 Uhr" in texts(mine)
    assert "https://video.stadt.example/hotline-1" in texts(mine)
    (calendar,) = files(mine)
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("DTSTART").hour == 14
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    assert int(event["SEQUENCE"]) == 0
    staff = await hotline.dm(AGENT)
    assert "bestätigt" in texts(staff) and len(files(staff)) == 1
    ticket = await hotline.ticket(ticket_id)
    assert ticket.paused_at is not None and ticket.next_due_at is None
    reminders = [r for r in await outbox_rows(hotline) if (r.dedupe_key or "").startswith("appt-")]
    # day before (Tuesday's opening) and 15 minutes before, each to both sides
    assert len(reminders) == 4
    moments = sorted({r.next_attempt_at for r in reminders})
    assert [m.astimezone(hotline.clock.now().tzinfo).strftime("%a %H:%M") for m in moments] == [
        "Tue 08:30",
        "Wed 14:15",
    ]
    # a stale button: the first proposal's buttons once it is confirmed
    again = await hotline.say(REQUESTER, action_id=picks[0])
    assert "gilt nicht mehr" in texts(again)


async def test_slots_outside_office_hours_or_past_are_refused_with_the_reason(
    hotline: Harness,
) -> None:
    ticket_id = await claimed(hotline)
    late = await hotline.say(AGENT, f"/termin {ticket_id} Di 18:00")
    assert "außerhalb der Sprechzeiten" in texts(late)
    past = await hotline.say(AGENT, f"/termin {ticket_id} 30.11.2026 8:45")
    assert "Vergangenheit" in texts(past)
    nonsense = await hotline.say(AGENT, f"/termin {ticket_id} irgendwann")
    assert "verstehe ich nicht" in texts(nonsense)
    assert await hotline.dm(REQUESTER) == []


async def test_dialog_without_slots_typed_number_and_other_times(hotline: Harness) -> None:
    ticket_id = await claimed(hotline)
    asked = await hotline.say(AGENT, f"/termin {ticket_id}")
    assert "bis zu drei Termine" in texts(asked)
    again = await hotline.say(AGENT, "Sa 10:00")
    assert "außerhalb der Sprechzeiten" in texts(again)
    await hotline.say(AGENT, "morgen 9:00")
    proposal = await hotline.dm(REQUESTER)
    assert len(ids(proposal, "appt:pick:")) == 1
    other = await hotline.say(REQUESTER, "andere Termine")
    assert "andere Terminvorschläge" in texts(other)
    assert "andere Termine" in texts(await hotline.dm(AGENT))
    await hotline.say(AGENT, f"/termin {ticket_id} Do 13:00, Fr 9:30")
    await hotline.dm(REQUESTER)
    confirmed = await hotline.say(REQUESTER, "2")
    assert "Freitag, 04.12.2026, 09:30 Uhr" in texts(confirmed)


async def test_reschedule_keeps_the_uid_and_raises_the_sequence_cancel_sends_cancel(
    hotline: Harness,
) -> None:
    ticket_id = await claimed(hotline, topic="kontierung")  # Team BK: no link configured
    await hotline.say("bk.berger", f"/claim {ticket_id}", channel="bk")
    agent = next(
        m.platform_ids["local"]
        for m in hotline.config.team("bk").members
        if m.platform_ids.get("local")
    )
    await hotline.say(agent, f"/termin {ticket_id} Di 10:00")
    proposal = await hotline.dm(REQUESTER)
    first = await hotline.say(REQUESTER, action_id=ids(proposal, "appt:pick:")[0])
    assert "Bildschirmfreigabe" not in texts(first)  # none configured: none invented
    (ics0,) = files(first)
    uid = str(ics0.walk("VEVENT")[0]["UID"])
    move = ids(first, "appt:move:")[0]
    moved = await hotline.say(REQUESTER, action_id=move)
    assert "neue Vorschläge" in texts(moved)
    assert "verschieben" in texts((await everything_to(hotline, agent))[-1:])
    assert [r for r in await outbox_rows(hotline) if (r.dedupe_key or "").startswith("appt-")] == []
    assert (await hotline.ticket(ticket_id)).paused_at is None  # runs again
    await hotline.say(agent, f"/termin {ticket_id} Mi 11:00")
    offered = (await everything_to(hotline, REQUESTER))[-1:]
    second = await hotline.say(REQUESTER, action_id=ids(offered, "appt:pick:")[0])
    (ics1,) = files(second)
    event = ics1.walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"]), ics1["METHOD"]) == (uid, 1, "REQUEST")
    stale = await hotline.say(REQUESTER, action_id=move)  # the first confirmation's button
    assert "gilt nicht mehr" in texts(stale)
    await hotline.say(agent, f"/termin {ticket_id} absagen")
    told = (await everything_to(hotline, REQUESTER))[-2:]
    assert "abgesagt" in texts(told)
    (ics2,) = files(told)
    event = ics2.walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"]), ics2["METHOD"]) == (uid, 2, "CANCEL")
    assert [r for r in await outbox_rows(hotline) if (r.dedupe_key or "").startswith("appt-")] == []


async def test_the_sweep_resumes_the_clock_when_the_appointment_begins(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.say(REQUESTER, "1")
    assert (await hotline.ticket(ticket_id)).paused_at is not None
    clock.advance(timedelta(days=1, hours=1, minutes=1))  # Tuesday 10:01
    await Sweeper(config, sessions, clock).sweep()
    ticket = await hotline.ticket(ticket_id)
    assert ticket.paused_at is None and ticket.next_due_at is not None
    async with sessions() as session:
        row = await session.get(AppointmentRow, 1)
        assert row is not None and row.status == "held"


async def test_a_failing_resume_does_not_stop_the_deadlines_and_is_retried(
    hotline: Harness,
    config: OrgConfig,
    sessions: Sessions,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket_id = await claimed(hotline)
    other = await hotline.file_request("schule.mond", topic="haushalt")  # its deadline runs
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.say(REQUESTER, "1")
    clock.advance(timedelta(days=1, hours=1, minutes=1))  # Tuesday 10:01: both are due

    async def broken(self: Appointments, session: AsyncSession) -> int:
        raise RuntimeError("appointment row unreadable")

    monkeypatch.setattr(Appointments, "resume_begun", broken)
    report = await Sweeper(config, sessions, clock).sweep()
    assert report.fired > 0  # the other request's deadline steps fired all the same
    assert (await hotline.ticket(ticket_id)).paused_at is not None
    assert (await hotline.ticket(other)).next_action_at is not None
    monkeypatch.undo()
    await Sweeper(config, sessions, clock).sweep()  # the next sweep resumes the clock
    assert (await hotline.ticket(ticket_id)).paused_at is None


async def test_requester_cancels_and_privacy_erases_appointments(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.say(REQUESTER, "1")
    await hotline.dm(AGENT)
    done = await hotline.say(REQUESTER, f"/termin {ticket_id} absagen")
    assert "abgesagt" in texts(done)
    assert "abgesagt" in texts((await everything_to(hotline, AGENT))[-2:])
    unknown = await hotline.say(REQUESTER, action_id="appt:pick:99:1:0")
    assert "gilt nicht mehr" in texts(unknown)
    await PrivacyService(config, sessions, clock).erase(user_id=REQUESTER, platform="local")
    async with sessions() as session:
        assert (await session.scalars(select(AppointmentRow))).all() == []


async def test_typed_numbers_answer_the_proposal_and_the_fresh_confirmation(
    hotline: Harness, clock: FrozenClock
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00, Mi 10:00")
    await hotline.dm(REQUESTER)
    other = await hotline.say(REQUESTER, "3")  # the line after the slots: "Andere Termine"
    assert "andere Terminvorschläge" in texts(other)
    await hotline.say(AGENT, f"/termin {ticket_id} Do 10:00")
    await hotline.dm(REQUESTER)
    assert "Donnerstag" in texts(await hotline.say(REQUESTER, "1"))
    await hotline.say(REQUESTER, "1")  # "Verschieben" under the confirmation
    assert "neue Vorschläge" in texts((await everything_to(hotline, REQUESTER))[-1:])
    await hotline.say(AGENT, f"/termin {ticket_id} Fr 10:00")
    await hotline.say(REQUESTER, "1")
    clock.advance(timedelta(hours=3))  # long after the confirmation: a bare "2" is not for it
    await hotline.say(REQUESTER, "2")
    assert "abgesagt" not in texts((await everything_to(hotline, REQUESTER))[-3:])


async def test_retention_erases_the_appointments_of_an_old_ticket(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ticket_id = await claimed(hotline)
    await hotline.say(AGENT, f"/termin {ticket_id} Di 10:00")
    await hotline.say(REQUESTER, "1")
    await hotline.say(AGENT, f"/erledigt {ticket_id} Besprochen und gelöst.")
    assert (await hotline.ticket(ticket_id)).status == "resolved"
    clock.advance(timedelta(days=config.privacy.tickets_days + 30))
    counts = await PrivacyService(config, sessions, clock).apply_retention()
    assert counts["tickets_anonymised"] == 1
    async with sessions() as session:
        assert (await session.scalars(select(AppointmentRow))).all() == []
