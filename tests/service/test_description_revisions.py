"""Edits and deletions of the message that gave a request's description, through the engine,
on SQLite and PostgreSQL: followed while the request is written or unclaimed, a note for the
team once claimed, removed everywhere when deleted; other messages' edits change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from storage.models import InboundEventRow
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.schneider"
OLD = "Mittel für Schulbücher fehlen im Budget"
NEW = "Mittel für Tablets fehlen im Budget"
DELETED = "(von der anfragenden Person gelöscht)"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def test_an_edit_while_writing_goes_into_the_ticket(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    await hotline.say(REQUESTER, action_id="topic:haushalt")
    await hotline.say(REQUESTER, "nein")  # the first-level answer did not help
    await hotline.say(REQUESTER, OLD, event_id="$desc")
    answer = await hotline.say(REQUESTER, NEW, edits="$desc")
    assert "geänderte Beschreibung übernommen" in texts(answer)
    assert "Rechnungsnummer" in texts(answer)  # the open question, asked again
    await hotline.say(REQUESTER, "-")
    confirmation = texts(await hotline.say(REQUESTER, "ja"))
    assert "eingegangen" in confirmation
    ticket = await hotline.ticket(1)
    assert (ticket.description, ticket.description_event) == (NEW, "$desc")


async def test_a_deletion_while_writing_asks_for_the_description_again(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    await hotline.say(REQUESTER, action_id="topic:haushalt")
    await hotline.say(REQUESTER, "nein")
    await hotline.say(REQUESTER, OLD, event_id="$desc")
    answer = texts(await hotline.say(REQUESTER, redacts="$desc"))
    assert "ich habe sie verworfen" in answer and "Bitte beschreiben Sie" in answer
    await hotline.say(REQUESTER, NEW, event_id="$again")
    await hotline.say(REQUESTER, "-")
    await hotline.say(REQUESTER, "ja")
    ticket = await hotline.ticket(1)
    assert (ticket.description, ticket.description_event) == (NEW, "$again")


async def test_an_edit_while_unclaimed_updates_description_card_and_trail(
    hotline: Harness,
) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt", text=OLD, event_id="$d")
    await hotline.channel("haushalt")
    await hotline.dm(REQUESTER)
    told = await hotline.say(REQUESTER, NEW, edits="$d", event_id="$e1")
    assert f"geänderte Beschreibung zu Nr. {number} übernommen" in texts(told)
    ticket = await hotline.ticket(number)
    assert ticket.description == NEW
    (card,) = await hotline.channel("haushalt")
    assert NEW in card.text and OLD not in card.text and card.card is not None
    edit = (await hotline.events(number))[-1]
    assert (edit.action, edit.data, edit.actor_id) == ("description_edit", {}, REQUESTER)


async def test_an_edit_after_the_claim_is_a_note_for_whoever_has_it(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt", text=OLD, event_id="$d")
    await hotline.say(AGENT, f"/claim {number}")
    await hotline.channel("haushalt")
    await hotline.dm(REQUESTER)
    told = await hotline.say(REQUESTER, NEW, edits="$d")
    assert "als Ergänzung weitergegeben" in texts(told)
    assert (await hotline.ticket(number)).description == OLD
    note = texts(await hotline.dm(AGENT))
    assert f"Die anfragende Person hat ihre Nachricht zu Nr. {number} bearbeitet: {NEW}" in note
    assert await hotline.channel("haushalt") == []
    edit = (await hotline.events(number))[-1]
    assert (edit.action, edit.data) == ("edit_note", {"text": NEW})


async def test_edits_of_other_messages_or_by_others_change_nothing_silently(
    hotline: Harness, sessions: Sessions
) -> None:
    await hotline.say(REQUESTER, "Hallo", event_id="$hello")
    number = await hotline.file_request(REQUESTER, topic="haushalt", text=OLD, event_id="$d")
    await hotline.channel("haushalt")
    await hotline.dm(REQUESTER)
    before = await hotline.ticket(number)
    assert await hotline.say(REQUESTER, "Guten Tag", edits="$hello") == []
    assert await hotline.say(REQUESTER, "", redacts="$hello") == []
    assert await hotline.say(AGENT, NEW, edits="$d") == []  # not the sender
    assert await hotline.say(REQUESTER, NEW, edits="$d", channel="haushalt") == []
    after = await hotline.ticket(number)
    assert (after.description, after.version) == (OLD, before.version)
    assert await hotline.channel("haushalt") == [] and await hotline.dm(REQUESTER) == []
    async with sessions() as session:  # each was still seen once: a redelivery is a no-op
        seen = await session.scalar(select(func.count()).select_from(InboundEventRow))
    assert seen and seen >= 4


async def test_a_deletion_removes_the_text_from_ticket_card_status_and_notes(
    hotline: Harness,
) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt", text=OLD, event_id="$d")
    await hotline.say(AGENT, f"/claim {number}")
    await hotline.say(REQUESTER, NEW, edits="$d")  # a note with the edited text
    await hotline.channel("haushalt")
    await hotline.dm(REQUESTER)
    told = await hotline.say(REQUESTER, redacts="$d")
    assert "ich habe sie auch aus Ihrem Anliegen entfernt" in texts(told)
    ticket = await hotline.ticket(number)
    assert (ticket.description, ticket.description_event) == ("", None)
    (card,) = await hotline.channel("haushalt")
    assert DELETED in card.text and OLD not in card.text
    events = await hotline.events(number)
    assert events[-1].action == "description_delete"
    assert all(NEW not in str(e.data) and OLD not in str(e.data) for e in events)
    status = texts(await hotline.say(AGENT, f"/status {number}"))
    assert DELETED in status and OLD not in status


async def test_a_closed_ticket_takes_no_edit_but_loses_a_deleted_text(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt", text=OLD, event_id="$d")
    await hotline.say(AGENT, f"/resolve {number} Erledigt, danke.")
    service = TicketService(hotline.config, hotline.clock)
    async with hotline.sessions() as session, session.begin():
        requester = Actor("local", REQUESTER, None, "de")
        await service.close(session, ticket_id=number, actor=requester)
    await hotline.dm(REQUESTER)
    await hotline.dm(AGENT)
    assert await hotline.say(REQUESTER, NEW, edits="$d") == []
    assert (await hotline.ticket(number)).description == OLD
    assert await hotline.dm(AGENT) == []
    await hotline.say(REQUESTER, redacts="$d")
    closed = await hotline.ticket(number)
    assert (closed.status, closed.description) == ("closed", "")


async def test_a_complaints_edit_updates_the_managers_private_card_only(
    hotline: Harness,
) -> None:
    secret = "Herr X war am Telefon sehr unfreundlich"
    number = await hotline.file_request(REQUESTER, topic="beschwerde", text=secret, event_id="$c")
    await hotline.dm("bk.berger")
    await hotline.say(REQUESTER, "Herr Y war am Telefon sehr unfreundlich", edits="$c")
    (card,) = await hotline.dm("bk.berger")
    assert "Herr Y" in card.text and card.card is not None and not card.channel_safe
    assert await hotline.channel("bk") == []
    assert (await hotline.ticket(number)).description.startswith("Herr Y")
