"""The hotline's core promises, end to end through the engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.engine import Engine
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound
from storage.repositories.dialog_states import ConversationKey, load_dialog
from tests.conftest import berlin
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.schneider"  # Budget / Haushalt
COLLEAGUE = "hh.weber"
OUTSIDER = "kred.wagner"  # Kreditoren, not Haushalt


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def test_request_reaches_team_queue_with_deadline(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel fehlen für X")
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.status, ticket.team_id, ticket.level, ticket.assignee) == (
        "queued",
        "haushalt",
        2,
        None,
    )
    assert ticket.first_response_due_at == berlin(2026, 11, 30, 15, 30)
    assert ticket.resolution_due_at == berlin(2026, 12, 2, 14, 0)  # 16 working hours
    assert ticket.next_due_at == ticket.first_response_due_at
    told = texts(await hotline.dm(REQUESTER))
    assert told == ""  # everything was already returned by the last `say`
    post = await hotline.channel("haushalt")
    assert len(post) == 1 and post[0].ticket_id == ticket_id
    assert "Mittel fehlen für X" in post[0].text
    assert post[0].choices[0].id == f"claim:{ticket_id}"
    assert "15:30" in texts(post)


async def test_requester_is_told_number_team_and_deadline(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Guten Tag")
    await hotline.say(REQUESTER, "3")  # KERN
    menu = await hotline.say(REQUESTER, "kontierung")
    assert "Meine Frage ist nicht dabei" in texts(menu) or "geholfen" in texts(menu)
    await hotline.say(REQUESTER, "Meine Frage ist nicht dabei")
    await hotline.say(REQUESTER, "Welche Kostenstelle für Schulbücher?")
    await hotline.say(REQUESTER, "-")
    answer = texts(await hotline.say(REQUESTER, "1"))
    assert "Nr. 1" in answer and "Kundenbetreuung und Buchhaltung" in answer
    assert "heute, 15:30 Uhr" in answer and "GL 2.11" not in answer


async def test_claim_notifies_requester_and_channel(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.channel("haushalt")
    reply = texts(await hotline.say(AGENT, f"/claim {ticket_id}"))
    assert "übernommen" in reply
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.status, ticket.assignee) == ("claimed", "hh.schneider")
    assert ticket.first_responded_at == hotline.clock.now()
    assert "Martin Schneider" in texts(await hotline.dm(REQUESTER))
    (card,) = await hotline.channel("haushalt")
    assert card.card is not None and card.card.startswith(f"ticket-{ticket_id}-")
    assert card.mentions == ("hh.schneider",)
    assert "Übernommen von Martin Schneider" in texts([card])
    assert [choice.id for choice in card.choices] == ["handoff:1", "resolve:1"]  # no 2nd claim


async def test_second_claim_is_refused_politely_and_changes_nothing(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"claim:{ticket_id}")
    before = await hotline.ticket(ticket_id)
    await hotline.dm(REQUESTER)
    answer = texts(await hotline.say(COLLEAGUE, action_id=f"claim:{ticket_id}"))
    assert "bearbeitet bereits Martin Schneider" in answer
    after = await hotline.ticket(ticket_id)
    assert (after.assignee, after.version) == (before.assignee, before.version)
    assert await hotline.dm(REQUESTER) == []


async def test_only_the_owning_team_may_claim(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    answer = texts(await hotline.say(OUTSIDER, f"/claim {ticket_id}"))
    assert "nur Mitglieder des zuständigen Teams" in answer
    assert "Dieser Befehl ist für Mitarbeitende" in texts(
        await hotline.say(REQUESTER, f"/claim {ticket_id}")
    )
    assert (await hotline.ticket(ticket_id)).status == "queued"
    assert "Nr. 99 kann ich Ihnen nicht zeigen" in texts(await hotline.say(AGENT, "/claim 99"))


async def test_handoff_moves_ticket_to_other_team_and_level(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="kontierung")  # Team BK, level 1
    await hotline.say("bk.berger", f"/claim {ticket_id}")
    hotline.clock.advance(timedelta(hours=5))  # Monday 14:00: less than 2 h left today
    await hotline.dm(REQUESTER)
    await hotline.channel("bk")
    reply = await hotline.say("bk.berger", f"/handoff {ticket_id} ccc SRM-Bestellung betroffen")
    assert "SRM" in texts(reply)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.team_id, ticket.level, ticket.status, ticket.assignee) == (
        "ccc",
        2,
        "queued",
        None,
    )
    assert ticket.first_responded_at is None
    assert ticket.first_response_due_at == berlin(2026, 12, 1, 15, 30)
    assert "weitergegeben" in texts(await hotline.dm(REQUESTER))
    assert "weitergegeben" in texts(await hotline.channel("bk"))
    new_post = await hotline.channel("ccc")
    assert "SRM-Bestellung betroffen" in texts(new_post)
    assert new_post[0].choices[0].id == f"claim:{ticket_id}"
    unknown = texts(await hotline.say("ccc.schulz", f"/handoff {ticket_id} gibtsnicht"))
    assert "gibtsnicht" in unknown and "kreditoren" in unknown


async def test_question_back_pauses_and_reply_resumes_the_clock(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")  # Mon 09:00
    await hotline.say(AGENT, f"/claim {ticket_id}")
    hotline.clock.advance(timedelta(hours=1))  # Mon 10:00, resolution due Wed 14:00
    await hotline.say(AGENT, f"/ask {ticket_id} Welche Schule genau?")
    paused = await hotline.ticket(ticket_id)
    assert paused.status == "waiting_for_customer" and paused.next_due_at is None
    assert "Welche Schule genau?" in texts(await hotline.dm(REQUESTER))
    hotline.clock.set(berlin(2026, 12, 2, 10, 0))  # Wednesday: two days later
    await hotline.say(REQUESTER, "Die Grundschule am Sonnenweg")
    resumed = await hotline.ticket(ticket_id)
    assert resumed.status == "claimed" and resumed.assignee == "hh.schneider"
    # 15 working hours were left at the pause; from Wed 10:00:
    # Wed 10-12 (2) 13-15:30 (2.5), Thu 6 -> 10.5, Fri 3.5 -> 14, Mon +1 h -> 09:30
    assert resumed.resolution_due_at == berlin(2026, 12, 7, 9, 30)
    assert "Sonnenweg" in texts(await hotline.dm(AGENT))
    assert any(e.action == "customer_reply" for e in await hotline.events(ticket_id))


async def test_resolve_answers_requester_and_reopen_brings_it_back(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/resolve {ticket_id} Die Mittel sind jetzt freigegeben.")
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.status, ticket.next_due_at) == ("resolved", None)
    assert "Die Mittel sind jetzt freigegeben." in texts(await hotline.dm(REQUESTER))
    await hotline.channel("haushalt")
    await hotline.say(REQUESTER, f"/reopen {ticket_id} Noch nicht sichtbar")
    reopened = await hotline.ticket(ticket_id)
    assert reopened.status == "reopened" and reopened.next_due_at is not None
    assert "Noch nicht sichtbar" in texts(await hotline.channel("haushalt"))
    actions = [e.action for e in await hotline.events(ticket_id)]
    assert actions == ["queue", "claim", "resolve", "reopen"]


async def test_internal_note_never_reaches_requester(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.dm(REQUESTER)
    await hotline.say(AGENT, f"/note {ticket_id} Rückruf bei Kämmerei nötig")
    assert await hotline.dm(REQUESTER) == []
    note = (await hotline.events(ticket_id))[-1]
    assert (note.action, note.audience, note.actor_platform, note.actor_id) == (
        "note",
        "team",
        "local",
        AGENT,
    )


async def test_complaint_goes_to_complaint_managers_only(hotline: Harness) -> None:
    secret = "Herr X war am Telefon unfreundlich"
    ticket_id = await hotline.file_request(REQUESTER, topic="beschwerde", text=secret)
    assert await hotline.channel("bk") == []
    for manager in ("bk.berger", "bk.yilmaz"):
        assert secret in texts(await hotline.dm(manager))
    ordinary_agent = "bk.schmidt"
    refused = texts(await hotline.say(ordinary_agent, f"/status {ticket_id}"))
    assert secret not in refused and "nicht zeigen" in refused  # not even confirmed to exist
    assert secret not in texts(await hotline.say(ordinary_agent, "/queue"))
    manager_queue = texts(await hotline.say("bk.berger", "/queue"))
    assert f"Nr. {ticket_id}" in manager_queue and secret not in manager_queue
    direct = await hotline.say("bk.berger", f"/status {ticket_id}", channel="bk")
    assert secret not in texts(await hotline.channel("bk"))
    assert secret in texts(direct)
    await hotline.say("bk.berger", f"/claim {ticket_id}", channel="bk")
    assert secret not in texts(await hotline.channel("bk"))


async def test_a_redelivered_event_is_answered_once(hotline: Harness) -> None:
    first = await hotline.say(REQUESTER, "Hallo", event_id="$same")
    second = await hotline.say(REQUESTER, "Hallo", event_id="$same")
    assert first and second == []


async def test_two_instances_handle_one_event_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    engines = [Engine(config, sessions, clock) for _ in range(2)]
    event = Inbound("local", "user:x", "x", "$race", text="Hallo")
    results = await asyncio.gather(*(engine.handle(event) for engine in engines))
    assert sorted(results) == [False, True]


async def test_illegal_transition_is_explained(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    answer = texts(await hotline.say(AGENT, f"/unclaim {ticket_id}"))
    assert "in der Warteschlange" in answer and "nicht" in answer
    assert (await hotline.ticket(ticket_id)).status == "queued"


async def test_english_requester_gets_english(hotline: Harness) -> None:
    answer = texts(await hotline.say("supplier.acme", "Hello", locale="en"))
    assert "customer group" in answer


async def test_concurrent_turns_of_one_user_are_serialised(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """Two instances, two messages of one user at once: each answered once, state consistent."""
    hotline = Harness(config, sessions, clock)
    await hotline.say(REQUESTER, "Hallo")
    engines = [Engine(config, sessions, clock) for _ in range(2)]
    events = [
        Inbound("local", f"user:{REQUESTER}", REQUESTER, f"$c{i}", text=text)
        for i, text in enumerate(["3", "kontierung"])
    ]
    assert await asyncio.gather(*(e.handle(ev) for e, ev in zip(engines, events, strict=True)))
    answers = await hotline.dm(REQUESTER)
    assert 2 <= len(answers) <= 4  # each message answered (a re-ask counts), nothing twice
    async with sessions() as session:
        stored = await load_dialog(
            session, key=ConversationKey("local", f"user:{REQUESTER}", REQUESTER)
        )
    assert stored is not None and stored.version == 3
