"""Giving a ticket to a named colleague (/zuweisen) and handing it back with a note.

Issue 16: there was no way to hand a ticket to a colleague, and `/unclaim N Notiz` was
refused. Through the engine, on SQLite and PostgreSQL: who may give whom a ticket, who is
told what (the colleague with the note, the previous holder, the requester only what a
claim would tell them), what the card shows, and what each history holds.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.privacy import PrivacyService
from storage.models import OutboxRow
from storage.repositories import audit
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
LEAD = "hh.schneider"  # Martin Schneider, Haushalt's team lead
AGENT = "hh.weber"  # Julia Weber, Haushalt
OUTSIDER = "kred.wagner"  # Petra Wagner, Kreditoren
DEPARTMENT_LEAD = "leitung.hoffmann"  # Dr. Katharina Hoffmann: works on every ticket
MANAGER = "bk.yilmaz"  # Deniz Yilmaz, complaint manager
OTHER_MANAGER = "bk.berger"  # Anna Berger, complaint manager
BK_AGENT = "bk.schmidt"  # Jonas Schmidt: Team BK, but no complaint manager
NOTE = "Kunde ruft morgen 9 Uhr zurück, Beleg liegt im Ordner"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _filed(hotline: Harness, topic: str = "haushalt") -> int:
    ticket_id = await hotline.file_request(REQUESTER, topic=topic, text="Mittel fehlen")
    for seen in (REQUESTER, LEAD, AGENT, DEPARTMENT_LEAD, MANAGER, OTHER_MANAGER):
        await hotline.dm(seen)
    await hotline.channel("haushalt")
    return ticket_id


async def _actions(hotline: Harness, ticket_id: int) -> list[tuple[str, str, str | None]]:
    return [(e.action, e.audience, e.data.get("about")) for e in await hotline.events(ticket_id)]


async def test_assigning_an_unclaimed_ticket_tells_the_colleague_card_and_requester(
    hotline: Harness,
) -> None:
    number = await _filed(hotline)
    reply = texts(await hotline.say(LEAD, f"/zuweisen {number} Julia Weber: {NOTE}"))
    assert f"Nr. {number} ist jetzt bei Julia Weber." in reply
    ticket = await hotline.ticket(number)
    assert (ticket.status, ticket.assignee) == ("claimed", AGENT)
    assert ticket.first_responded_at == hotline.clock.now()
    dm = texts(await hotline.dm(AGENT))
    assert f"Martin Schneider hat Ihnen Nr. {number} gegeben." in dm
    assert f"Übergabenotiz von Martin Schneider: {NOTE}" in dm and "Mittel fehlen" in dm
    told = texts(await hotline.dm(REQUESTER))
    assert "Julia Weber (Budget / Haushalt)" in told and "bearbeitet jetzt" in told
    assert NOTE not in told and "Martin Schneider" not in told
    (card,) = await hotline.channel("haushalt")
    assert "Übernommen von Julia Weber." in card.text
    assert f"Übergabenotiz von Martin Schneider: {NOTE}" in card.text
    assert card.mentions == (AGENT,)
    assert await _actions(hotline, number) == [
        ("queue", "requester", None),
        ("assign", "requester", None),
        ("note", "team", "assign"),
    ]


async def test_reassigning_a_claimed_ticket_tells_the_previous_holder_too(
    hotline: Harness,
) -> None:
    number = await _filed(hotline)
    await hotline.say(LEAD, f"/claim {number}")
    await hotline.dm(REQUESTER)
    await hotline.channel("haushalt")
    reply = await hotline.say(DEPARTMENT_LEAD, f"/zuweisen {number} @julia.weber:stadt.example")
    assert "ist jetzt bei Julia Weber" in texts(reply)
    assert (await hotline.ticket(number)).assignee == AGENT
    away = texts(await hotline.dm(LEAD))
    assert f"Dr. Katharina Hoffmann hat Nr. {number} an Julia Weber gegeben" in away
    assert "Übergabenotiz" not in away  # no note given
    assert "Dr. Katharina Hoffmann hat Ihnen" in texts(await hotline.dm(AGENT))
    told = texts(await hotline.dm(REQUESTER))
    assert "Julia Weber" in told and "Hoffmann" not in told
    (card,) = await hotline.channel("haushalt")
    assert "Übernommen von Julia Weber." in card.text and "Übergabenotiz" not in card.text
    staff = texts(await hotline.say(AGENT, f"/verlauf {number}"))
    assert "neu zugewiesen an Julia Weber (bisher Martin Schneider)" in staff
    mine = texts(await hotline.say(REQUESTER, f"/verlauf {number}"))
    assert "Julia Weber · übernommen" in mine
    assert "zugewiesen" not in mine and "Hoffmann" not in mine


async def test_a_ticket_waiting_for_the_requester_keeps_waiting_with_its_new_holder(
    hotline: Harness,
) -> None:
    number = await _filed(hotline)
    await hotline.say(LEAD, f"/claim {number}")
    await hotline.say(LEAD, f"/ask {number} Welche Kostenstelle?")
    paused = (await hotline.ticket(number)).paused_at
    await hotline.say(LEAD, f"/zuweisen {number} weber Ich bin ab morgen im Urlaub")
    ticket = await hotline.ticket(number)
    assert (ticket.status, ticket.assignee, ticket.paused_at) == (
        "waiting_for_customer",
        AGENT,
        paused,
    )
    assert [a for a, _, _ in await _actions(hotline, number)][-2:] == ["reassign", "note"]
    assert await hotline.dm(LEAD) == []  # who gave it away is not told again


async def test_assigning_to_someone_outside_the_team_is_refused_naming_the_team(
    hotline: Harness, sessions: Sessions
) -> None:
    number = await _filed(hotline)
    reply = texts(await hotline.say(LEAD, f"/zuweisen {number} Petra Wagner {NOTE}"))
    assert "Petra Wagner gehört nicht zu Budget / Haushalt" in reply
    assert "Martin Schneider (hh.schneider), Julia Weber (hh.weber)" in reply
    await _nothing_changed(hotline, sessions, number)
    assert await hotline.dm(OUTSIDER) == []


async def test_staff_of_another_team_may_not_assign(hotline: Harness, sessions: Sessions) -> None:
    number = await _filed(hotline)
    reply = texts(await hotline.say(OUTSIDER, f"/zuweisen {number} Julia Weber"))
    assert "nur Mitglieder des zuständigen Teams" in reply
    await _nothing_changed(hotline, sessions, number)
    requester = texts(await hotline.say(REQUESTER, f"/zuweisen {number} Julia Weber"))
    assert "für Mitarbeitende der Teams" in requester
    assert await hotline.dm(AGENT) == []


async def test_an_unknown_person_is_answered_with_whom_the_ticket_can_go_to(
    hotline: Harness,
) -> None:
    number = await _filed(hotline)
    reply = texts(await hotline.say(LEAD, f"/zuweisen {number} Erika Mustermann bitte"))
    assert "„Erika“ kenne ich nicht." in reply
    assert "Julia Weber (hh.weber)" in reply
    assert (await hotline.ticket(number)).status == "queued"
    english = texts(await hotline.say(LEAD, f"/assign {number} nobody", locale="en"))
    assert 'I do not know "nobody"' in english


async def test_missing_arguments_get_the_usage(hotline: Harness) -> None:
    number = await _filed(hotline)
    no_person = texts(await hotline.say(LEAD, f"/zuweisen {number}"))
    assert "wer das Ticket bekommen soll" in no_person
    assert "/zuweisen Nr. PERSON [Notiz]" in no_person
    assert "So geht es: /zuweisen Nr. PERSON [Notiz]" in texts(await hotline.say(LEAD, "/zuweisen"))
    english = texts(await hotline.say(LEAD, "/assign", locale="en"))
    assert "Usage: /assign no. PERSON [note]" in english
    assert (await hotline.ticket(number)).status == "queued"


async def test_assigning_to_the_current_holder_changes_nothing(hotline: Harness) -> None:
    number = await _filed(hotline)
    await hotline.say(AGENT, f"/claim {number}")
    reply = texts(await hotline.say(LEAD, f"/zuweisen {number} Julia Weber"))
    assert "bereits bei Julia Weber" in reply
    assert [a for a, _, _ in await _actions(hotline, number)] == ["queue", "claim"]


async def test_assigning_to_oneself_is_a_claim_without_a_dm(hotline: Harness) -> None:
    number = await _filed(hotline)
    reply = texts(await hotline.say(AGENT, f"/assign {number} hh.weber", locale="en"))
    assert f"No. {number} is now with Julia Weber." in reply
    assert (await hotline.ticket(number)).assignee == AGENT
    assert "gegeben" not in texts(await hotline.dm(AGENT))


async def test_complaints_go_only_to_complaint_managers(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="beschwerde", text="Sehr unfreundlich")
    await hotline.dm(MANAGER)
    refused = texts(await hotline.say(OTHER_MANAGER, f"/zuweisen {number} Jonas Schmidt"))
    assert "Jonas Schmidt gehört nicht zu dem Beschwerdemanagement" in refused
    not_allowed = texts(await hotline.say(BK_AGENT, f"/zuweisen {number} Deniz Yilmaz"))
    assert "nicht zuständig" in not_allowed  # a complaint is not even shown to exist
    await hotline.say(OTHER_MANAGER, f"/zuweisen {number} Deniz Yilmaz {NOTE}")
    assert (await hotline.ticket(number)).assignee == MANAGER
    assert f"Übergabenotiz von Anna Berger: {NOTE}" in texts(await hotline.dm(MANAGER))
    assert await hotline.channel("bk") == []  # complaints never reach a channel
    assert ("note", "complaint_managers", "assign") in await _actions(hotline, number)


async def test_unclaim_keeps_its_note_for_staff_only(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    number = await _filed(hotline)
    await hotline.say(AGENT, f"/claim {number}")
    await hotline.channel("haushalt")
    reply = texts(
        await hotline.say(AGENT, f"/zurueckgeben {number} Bin ab morgen im Urlaub. {NOTE}")
    )
    assert "wieder in der Warteschlange" in reply
    (card,) = await hotline.channel("haushalt")
    assert f"Übergabenotiz von Julia Weber: Bin ab morgen im Urlaub. {NOTE}" in card.text
    await hotline.say(LEAD, f"/claim {number}")
    (claimed,) = await hotline.channel("haushalt")
    assert "Übernommen von Martin Schneider." in claimed.text and NOTE in claimed.text
    staff = texts(await hotline.say(LEAD, f"/verlauf {number}"))
    assert f"Übergabenotiz zur Rückgabe: Bin ab morgen im Urlaub. {NOTE}" in staff

    for command in ("/verlauf", "/status"):
        await hotline.say(REQUESTER, f"{command} {number}")
    async with sessions() as session:
        rows = await session.scalars(select(OutboxRow).where(OutboxRow.target_address == REQUESTER))
        chat = "\n".join(json.dumps(row.payload, ensure_ascii=False) for row in rows)
    export = await PrivacyService(config, sessions, clock).export(user_id=REQUESTER)
    seen = chat + json.dumps(export, ensure_ascii=False)
    assert "zurückgegeben" in seen and "Martin Schneider" in seen  # the views were collected
    for word in (NOTE, "Urlaub", "Übergabenotiz", "interne Notiz"):
        assert word not in seen, word


async def test_a_handover_note_stays_with_the_queue_it_was_written_in(hotline: Harness) -> None:
    number = await _filed(hotline)
    await hotline.say(AGENT, f"/claim {number}")
    await hotline.say(AGENT, f"/unclaim {number} {NOTE}")
    await hotline.say(LEAD, f"/handoff {number} kreditoren bitte dort prüfen")
    await hotline.channel("kreditoren")
    await hotline.say(OUTSIDER, f"/claim {number}")
    (card,) = await hotline.channel("kreditoren")
    assert "Übernommen von Petra Wagner." in card.text and NOTE not in card.text


async def _nothing_changed(hotline: Harness, sessions: Sessions, number: int) -> None:
    ticket = await hotline.ticket(number)
    assert (ticket.status, ticket.assignee) == ("queued", None)
    assert [a for a, _, _ in await _actions(hotline, number)] == ["queue"]
    assert await hotline.channel("haushalt") == []
    async with sessions() as session:
        refusals = await audit.entries(session, action="refused")
    assert refusals and refusals[-1].ticket_id == number


async def test_a_resolved_ticket_is_not_given_to_anyone(hotline: Harness) -> None:
    number = await _filed(hotline)
    await hotline.say(LEAD, f"/resolve {number} Mittel sind frei")
    reply = texts(await hotline.say(LEAD, f"/zuweisen {number} Julia Weber"))
    assert "erledigt" in reply  # the status that does not allow it
    ticket = await hotline.ticket(number)
    assert (ticket.status, ticket.assignee) == ("resolved", LEAD)
    assert await hotline.dm(AGENT) == []


async def test_help_lists_the_command_for_staff_only(hotline: Harness) -> None:
    staff = texts(await hotline.say(AGENT, "/hilfe"))
    assert "/zuweisen Nr. PERSON [Notiz] – Ticket einer Kollegin" in staff
    assert "/unclaim Nr. [Notiz]" in staff
    english = texts(await hotline.say(AGENT, "/help", locale="en"))
    assert "/assign no. PERSON [note] – give a ticket to a colleague in the team" in english
    assert "zuweisen" not in texts(await hotline.say(REQUESTER, "/hilfe"))
