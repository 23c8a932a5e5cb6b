"""Phone notes (/telefon) through the engine, as local-chat users, on both stores.

Team BK records a call; the ticket is a normal one with channel "phone". A caller who is
a known chat user gets the status messages; a caller reached only by phone or e-mail gets
nothing (nobody to send it to), the card says "Rückruf an …", and resolving asks whether
the callback happened.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from storage.models import OutboxRow
from tests.harness import Harness, button, texts

Sessions = async_sessionmaker[AsyncSession]
BK = "bk.berger"  # Team BK (first level)
AGENT = "hh.schneider"  # Budget / Haushalt (second level)
CALLER = "schule.sonne"  # a requester who has written to the hotline before


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def record_call(
    hotline: Harness, contact: str, *, solved: bool = False, staff: str = BK
) -> int:
    """Walk /telefon as `staff` (topic Haushalt); returns the ticket number."""
    await hotline.say(staff, "/telefon")
    await hotline.say(staff, "Frau Sommer")
    topics = await hotline.say(staff, "1")  # the first customer group
    pressed = button(topics, "ptopic:haushalt")
    assert pressed is not None, texts(topics)
    await hotline.say(staff, action_id=pressed)
    await hotline.say(staff, "Mittel für Lehrmittel reichen nicht")
    asked = await hotline.say(staff, contact)
    choice = button(asked, "psolved:yes" if solved else "psolved:no")
    assert choice is not None, texts(asked)
    summary = await hotline.say(staff, action_id=choice)
    assert "Speichern" in texts(summary)
    done = await hotline.say(staff, "ja")
    ids = [n.ticket_id for n in done if n.ticket_id is not None]
    assert ids, texts(done)
    return ids[-1]


def owed(notices: list[Notice], word: str) -> str:
    """The Senden/Abbrechen button under a draft ("owed:send:N:draft")."""
    ids = [c.id for n in notices for c in n.choices if c.id.startswith(f"owed:{word}:")]
    assert ids, texts(notices)
    return ids[0]


async def _outbox_to(hotline: Harness, platform: str) -> int:
    async with hotline.sessions() as session:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.platform == platform)
        return int(await session.scalar(query) or 0)


async def test_a_call_with_a_phone_number_is_a_callback_ticket(hotline: Harness) -> None:
    ticket_id = await record_call(hotline, "+49 221 123-4567")
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.channel, ticket.status, ticket.team_id) == ("phone", "queued", "haushalt")
    assert (ticket.requester_platform, ticket.requester_id) == ("phone", "+492211234567")
    assert ticket.requester_name == "Frau Sommer"
    assert ticket.first_response_due_at is not None  # its own deadlines
    (card,) = await hotline.channel("haushalt")
    assert "Rückruf an +492211234567" in texts([card])
    assert "Eingang: Telefon" in texts([card])
    status = texts(await hotline.say(AGENT, f"/status {ticket_id}"))
    assert "Erreichbar: Rückruf an +492211234567" in status
    assert await _outbox_to(hotline, "phone") == 0  # nothing to nobody


async def test_a_call_from_a_known_chat_user_gets_the_status_messages(hotline: Harness) -> None:
    await hotline.file_request(CALLER, topic="haushalt")  # the hotline knows them now
    await hotline.dm(CALLER)
    ticket_id = await record_call(hotline, CALLER)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.channel, ticket.requester_platform, ticket.requester_id) == (
        "phone",
        "local",
        CALLER,
    )
    queued = await hotline.dm(CALLER)
    assert any(n.ticket_id == ticket_id for n in queued)
    await hotline.say(AGENT, f"/erledigt {ticket_id} Die Mittel sind freigegeben.")
    resolved = texts(await hotline.dm(CALLER))
    assert "Die Mittel sind freigegeben." in resolved
    assert "Wie zufrieden" in resolved or "zufrieden" in resolved  # the survey, as usual
    assert "Rückruf" not in texts(await hotline.channel("haushalt"))


async def test_an_unknown_chat_name_is_answered_politely(hotline: Harness) -> None:
    await hotline.say(BK, "/telefon")
    await hotline.say(BK, "Herr Winter")
    await hotline.say(BK, "1")
    await hotline.say(BK, action_id="ptopic:haushalt")
    await hotline.say(BK, "Eine Frage zum Budget")
    said = texts(await hotline.say(BK, "niemand.bekannt"))
    assert "kennt die Hotline nicht" in said
    assert "Telefonnummer scheint nicht" in texts(await hotline.say(BK, "12"))
    assert "E-Mail-Adresse scheint nicht" in texts(await hotline.say(BK, "a@b"))
    asked = await hotline.say(BK, "Winter@Schule.Example")
    assert button(asked, "psolved:no") is not None


async def test_only_team_bk_records_calls(hotline: Harness) -> None:
    said = texts(await hotline.say(AGENT, "/telefon"))
    assert "Team BK" in said
    assert "Worum" not in said
    said = texts(await hotline.say(CALLER, "/telefon"))
    assert "Wer hat angerufen" not in said


async def test_cancel_and_back_work_as_in_the_intake(hotline: Harness) -> None:
    await hotline.say(BK, "/telefon")
    await hotline.say(BK, "Frau Herbst")
    groups_again = await hotline.say(BK, "1")
    back = await hotline.say(BK, "zurück")
    assert "Kundengruppe" in texts(back)
    assert "Kundengruppe" not in texts(groups_again)
    assert "verworfen" in texts(await hotline.say(BK, "abbrechen"))
    assert "keine Eingabe" in texts(await hotline.say(BK, "abbrechen"))


async def test_solved_on_the_spot_is_resolved_at_first_contact(hotline: Harness) -> None:
    ticket_id = await record_call(hotline, "0221 7654321", solved=True)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.channel, ticket.status, ticket.team_id) == ("phone", "resolved", "bk")
    assert ticket.assignee == "bk.berger"
    assert ticket.resolved_at == ticket.created_at
    assert await _outbox_to(hotline, "phone") == 0


async def test_resolving_a_callback_asks_whether_the_callback_happened(hotline: Harness) -> None:
    ticket_id = await record_call(hotline, "sommer@schule.example")
    asked = await hotline.say(AGENT, f"/erledigt {ticket_id} Budget erklärt, alles klar.")
    assert "Rückruf an sommer@schule.example erfolgt?" in texts(asked)
    assert "Ja, Rückruf erfolgt" in texts(asked)
    assert (await hotline.ticket(ticket_id)).status == "queued"  # not yet
    not_yet = owed(asked, "cancel")
    assert "bleibt offen" in texts(await hotline.say(AGENT, action_id=not_yet))
    assert (await hotline.ticket(ticket_id)).status == "queued"
    asked = await hotline.say(AGENT, f"/erledigt {ticket_id} Budget erklärt, alles klar.")
    done = owed(asked, "send")
    assert "Rückruf ist vermerkt" in texts(await hotline.say(AGENT, action_id=done))
    ticket = await hotline.ticket(ticket_id)
    assert ticket.status == "resolved"
    history = texts(await hotline.say(AGENT, f"/verlauf {ticket_id}"))
    assert "Rückruf erfolgt" in history
    assert "telefonisch erfasst" in history
    assert await _outbox_to(hotline, "phone") == 0


async def test_an_earlier_questions_button_is_stale_and_slash_cancel_ends_the_note(
    hotline: Harness,
) -> None:
    await hotline.say(BK, "/telefon")
    groups = await hotline.say(BK, "Frau Herbst")
    old = button(groups, "pgroup:f4")
    assert old is not None and "@" in old  # the button names its question
    await hotline.say(BK, "1")  # the group: the topic is asked now
    assert "nicht mehr aktuell" in texts(await hotline.say(BK, action_id=old))
    topics = await hotline.say(BK, "zurück")
    assert "Kundengruppe" in texts(topics)
    assert "abgebrochen" in texts(await hotline.say(BK, "/abbrechen"))
    assert "keine Eingabe" in texts(await hotline.say(BK, "/abbrechen"))
