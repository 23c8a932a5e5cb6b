"""Nothing staff write or do among themselves reaches the requester, in any view.

Issue 14: a handoff's reason reached the requester's /verlauf and privacy export. Here a
unique marker goes into every staff-only input there is (an internal note, a handoff's
reason, a staff member's reason for reopening, the handover notes of an assignment and a
release (issue 16), on a request and on a complaint), and the
deadline sweep escalates both tickets and a lead acknowledges them. Then everything the
requester can see is collected: every notice ever queued for their chat (the answers to
/verlauf, /status and /meine among them) and their privacy export. No marker, no
escalation, no acknowledger or assigner may be in it; the staff's /verlauf shows them all. Through
the engine and the sweep, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.service.privacy import PrivacyService
from storage.models import OutboxRow
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.sweep_support import sweep_at

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # Haushalt
OTHER_AGENT = "kred.novak"  # Kreditoren, where the request is handed off to
DEPARTMENT_LEAD = "leitung.hoffmann"  # receives the request's escalation, acknowledges it
MANAGER = "bk.yilmaz"  # complaint manager who works the complaint
OTHER_MANAGER = "bk.berger"  # complaint manager who acknowledges its escalation, assigns it
TEAM_LEAD = "hh.schneider"  # Haushalt's lead: the request is assigned to him, he releases it

NOTE = "LEAK-note-q7Zt"
HANDOFF = "LEAK-handoff-Kunde-nervt-4kVw"
REOPEN = "LEAK-reopen-Kollegin-verbucht-9rTx"
COMPLAINT_NOTE = "LEAK-complaint-note-2mHs"
COMPLAINT_REOPEN = "LEAK-complaint-reopen-8dPq"
ASSIGN = "LEAK-assign-Kunde-ruft-morgen-an-3jLb"
UNCLAIM = "LEAK-unclaim-ab-morgen-Urlaub-6wNc"
COMPLAINT_ASSIGN = "LEAK-complaint-assign-5gRe"
COMPLAINT_UNCLAIM = "LEAK-complaint-unclaim-1hYu"
MARKERS = (
    NOTE,
    HANDOFF,
    REOPEN,
    COMPLAINT_NOTE,
    COMPLAINT_REOPEN,
    ASSIGN,
    UNCLAIM,
    COMPLAINT_ASSIGN,
    COMPLAINT_UNCLAIM,
)
# Words of the staff-only history lines: an escalation, a reminder, an acknowledgement,
# an assignment and a handover note.
STAFF_WORDS = (
    "eskaliert",
    "Fristerinnerung",
    "Kenntnis",
    "interne Notiz",
    "zugewiesen",
    "Übergabenotiz",
)
# What the requester is meant to see: proves the views were collected, not empty.
PUBLIC = ("Welche Kostenstelle?", "Kostenstelle 4711", "Die Mittel sind freigegeben.")


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def sweep_office_hours(sweeper: Sweeper, clock: FrozenClock) -> None:
    """Mon 30 Nov to Wed 2 Dec, every office hour: reminders, a claim lease running out,
    escalations and their repeats."""
    for hour in range(10, 16):
        await sweep_at(sweeper, clock, berlin(2026, 11, 30, hour, 0))
    for day in (1, 2):
        for hour in range(9, 16):
            await sweep_at(sweeper, clock, berlin(2026, 12, day, hour, 0))


async def staff_only_events_happen(hotline: Harness, sweeper: Sweeper) -> tuple[int, int]:
    """A request and a complaint of the requester, with every staff-only input marked."""
    clock = hotline.clock
    request = await hotline.file_request(REQUESTER, topic="haushalt")  # Mon 30 Nov 09:00
    rude = "Unfreundliche Auskunft am Telefon"
    complaint = await hotline.file_request(REQUESTER, topic="beschwerde", text=rude)
    await hotline.say(AGENT, f"/claim {request}")
    await hotline.say(AGENT, f"/notiz {request} {NOTE}")
    await hotline.say(AGENT, f"/ask {request} Welche Kostenstelle?")
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    await hotline.say(MANAGER, f"/claim {complaint}")
    await hotline.say(MANAGER, f"/notiz {complaint} {COMPLAINT_NOTE}")
    await sweep_office_hours(sweeper, clock)  # the request's claim lease runs out, too
    await hotline.say(DEPARTMENT_LEAD, f"/ack {request}")
    await hotline.say(OTHER_MANAGER, f"/ack {complaint}")
    await hotline.say(DEPARTMENT_LEAD, f"/zuweisen {request} Martin Schneider {ASSIGN}")
    await hotline.say(TEAM_LEAD, f"/unclaim {request} {UNCLAIM}")
    await hotline.say(MANAGER, f"/claim {complaint}")  # unless the lease kept it his
    await hotline.say(MANAGER, f"/unclaim {complaint} {COMPLAINT_UNCLAIM}")
    await hotline.say(OTHER_MANAGER, f"/zuweisen {complaint} Deniz Yilmaz {COMPLAINT_ASSIGN}")
    await hotline.say(AGENT, f"/claim {request}")
    await hotline.say(AGENT, f"/handoff {request} kreditoren {HANDOFF}")
    await hotline.say(OTHER_AGENT, f"/claim {request}")
    await hotline.say(OTHER_AGENT, f"/resolve {request} Die Mittel sind freigegeben.")
    await hotline.say(OTHER_AGENT, f"/reopen {request} {REOPEN}")
    await hotline.say(MANAGER, f"/resolve {complaint} Wir haben mit dem Kollegen gesprochen.")
    await hotline.say(MANAGER, f"/reopen {complaint} {COMPLAINT_REOPEN}")
    return request, complaint


async def everything_the_requester_sees(
    hotline: Harness, privacy: PrivacyService, tickets: tuple[int, ...]
) -> str:
    """Every notice queued for the requester's chat, after they asked for every view of
    their tickets, and their privacy export."""
    for number in tickets:
        for command in ("/verlauf", "/status"):
            await hotline.say(REQUESTER, f"{command} {number}")
    await hotline.say(REQUESTER, "/meine")
    async with hotline.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow).where(
                OutboxRow.target_kind == "user", OutboxRow.target_address == REQUESTER
            )
        )
        chat = [json.dumps(row.payload, ensure_ascii=False) for row in rows]
    export = json.dumps(await privacy.export(user_id=REQUESTER), ensure_ascii=False)
    return "\n".join([*chat, export])


async def test_no_staff_only_word_reaches_any_view_of_the_requester(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    sweeper = Sweeper(config, sessions, clock)
    request, complaint = await staff_only_events_happen(hotline, sweeper)
    staff_trail = {
        number: [e.action for e in await hotline.events(number)] for number in (request, complaint)
    }
    for number, actions in staff_trail.items():  # the scenario did what it claims
        assert {"escalate", "acknowledge", "note", "remind"} <= set(actions), (number, actions)
    lease = [e for e in await hotline.events(request) if e.action == "unclaim"]
    assert any(e.actor_person is None for e in lease)  # the claim lease ran out
    for number in (request, complaint):
        assert {"assign", "unclaim"} <= set(staff_trail[number]), staff_trail[number]

    privacy = PrivacyService(config, sessions, clock)
    seen = await everything_the_requester_sees(hotline, privacy, (request, complaint))
    for public in PUBLIC:
        assert public in seen, public
    assert "weitergegeben" in seen and "wieder geöffnet" in seen
    assert "Martin Schneider" in seen  # the request was assigned to him: that they may see
    leaked = [word for word in (*MARKERS, *STAFF_WORDS) if word in seen]
    assert leaked == []
    for acknowledger in (DEPARTMENT_LEAD, OTHER_MANAGER):
        person = config.person(acknowledger)
        assert person is not None and person.display_name not in seen


async def test_staff_see_every_marker_in_the_history(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    sweeper = Sweeper(config, sessions, clock)
    request, complaint = await staff_only_events_happen(hotline, sweeper)
    lead = config.person(DEPARTMENT_LEAD)
    assert lead is not None
    on_request = texts(await hotline.say(OTHER_AGENT, f"/verlauf {request}"))
    for expected in (NOTE, HANDOFF, REOPEN, "eskaliert", "Kenntnis", lead.display_name):
        assert expected in on_request, expected
    for expected in (ASSIGN, UNCLAIM, "zugewiesen an Martin Schneider", "Übergabenotiz"):
        assert expected in on_request, expected
    assert "Grund der Weitergabe" in on_request and "Grund der Wiedereröffnung" in on_request
    on_complaint = texts(await hotline.say(MANAGER, f"/verlauf {complaint}"))
    for expected in (COMPLAINT_NOTE, COMPLAINT_REOPEN, COMPLAINT_ASSIGN, COMPLAINT_UNCLAIM):
        assert expected in on_complaint, expected
    for expected in ("eskaliert", "Kenntnis", "zugewiesen an Deniz Yılmaz"):
        assert expected in on_complaint, expected
