"""Issue 3's promises: every topic reaches its team, first level first, hygiene, language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.sla import calendar_for, due_at
from storage.models import KnowledgeFeedbackRow, OutboxRow, ProposalRow, TicketRow
from storage.repositories import audit
from storage.repositories.profiles import get_profile
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
SAMPLE = load_config(None)
TICKET_TOPICS = [t.id for t in SAMPLE.topics if t.kind in ("request", "complaint")]
PROPOSAL_TOPICS = [t.id for t in SAMPLE.topics if t.kind in ("idea", "round_table")]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _tickets(hotline: Harness) -> list[TicketRow]:
    async with hotline.sessions() as session:
        return list((await session.scalars(select(TicketRow))).all())


@pytest.mark.parametrize("topic_id", TICKET_TOPICS)
async def test_every_topic_reaches_its_team_with_the_promised_deadline(
    hotline: Harness, config: OrgConfig, topic_id: str
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic=topic_id, text="Bitte um Rückruf heute")
    ticket = await hotline.ticket(ticket_id)
    topic = config.topic(topic_id)
    assert (ticket.topic_id, ticket.team_id) == (topic_id, topic.team)
    assert ticket.level == int(config.team(topic.team).level)
    assert ticket.confidential == topic.is_confidential
    policy = config.sla.policies[
        config.sla.targets_for(config.team(topic.team).level).first_response
    ]
    expected = due_at(policy, calendar_for(config, topic.team), hotline.clock.now())
    assert ticket.first_response_due_at == expected


@pytest.mark.parametrize("topic_id", PROPOSAL_TOPICS)
async def test_ideas_and_round_table_topics_become_proposals(
    hotline: Harness, config: OrgConfig, topic_id: str
) -> None:
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    await hotline.say(REQUESTER, action_id=f"topic:{topic_id}")
    await hotline.say(REQUESTER, "Ein gemeinsamer Kalender für alle Schulungen wäre gut")
    answer = texts(await hotline.say(REQUESTER, "ja"))
    assert "Vorschlag Nr. 1" in answer
    assert await _tickets(hotline) == []
    listing = texts(await hotline.say("leitung.hoffmann", "/themen"))
    assert "gemeinsamer Kalender" in listing
    refused = texts(await hotline.say("bk.schmidt", "/themen"))
    assert "Abteilungsleitungen" in refused and "Kalender" not in refused


async def test_a_helpful_answer_closes_without_ticket_and_counts_as_first_contact(
    hotline: Harness,
) -> None:
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "2")  # F4
    shown = await hotline.say(REQUESTER, "haushalt")
    assert "geholfen" in texts(shown)
    done = texts(await hotline.say(REQUESTER, "ja"))
    assert "Schön, dass ich helfen konnte" in done
    assert await _tickets(hotline) == []
    async with hotline.sessions() as session:
        feedback = (await session.scalars(select(KnowledgeFeedbackRow))).all()
    assert [(f.topic_id, f.customer_group_id, f.helped) for f in feedback] == [
        ("haushalt", "f4", True)
    ]


async def test_requester_hears_of_every_change(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="kontierung")
    agent, specialist = "bk.schmidt", "ccc.schulz"
    steps = [
        (agent, f"/claim {ticket_id}", "bearbeitet jetzt"),
        (agent, f"/handoff {ticket_id} ccc SRM betroffen", "weitergegeben"),
        (specialist, f"/claim {ticket_id}", "bearbeitet jetzt"),
        (specialist, f"/ask {ticket_id} Welche Bestellnummer?", "Rückfrage"),
        (REQUESTER, "4500012345", "Danke, Ihre Antwort"),
        (specialist, f"/unclaim {ticket_id}", "wieder in der Warteschlange"),
        (specialist, f"/resolve {ticket_id} Freigabe erteilt.", "erledigt"),
        (REQUESTER, f"/reopen {ticket_id} Noch offen", "wieder offen"),
    ]
    await hotline.dm(REQUESTER)
    for who, text, expected in steps:
        answers = await hotline.say(who, text)
        told = texts(answers if who == REQUESTER else await hotline.dm(REQUESTER))
        assert expected in told, f"{text!r}: requester was told {told!r}"


async def test_dialog_survives_a_restart(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    first = Harness(config, sessions, clock)
    await first.say(REQUESTER, "Hallo")
    await first.say(REQUESTER, "3")
    await first.say(REQUESTER, "debitoren")
    second = Harness(config, sessions, clock)  # a fresh bot object on the same database
    answer = texts(await second.say(REQUESTER, "Forderung an Schule Y ist doppelt gebucht"))
    assert "Beleg-, Bestell- oder Rechnungsnummer" in answer


async def test_abandoned_dialog_expires_and_says_so(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Hallo")
    hotline.clock.advance(timedelta(minutes=31))
    answer = texts(await hotline.say(REQUESTER, "1"))
    assert "länger als 30 Minuten" in answer and "Kundengruppe" in answer


async def test_too_long_message_is_refused_with_the_limit(hotline: Harness) -> None:
    answer = texts(await hotline.say(REQUESTER, "x" * 2001))
    assert "2001 Zeichen" in answer and "2000" in answer


async def test_language_switch(hotline: Harness) -> None:
    assert "Ich schreibe Ihnen ab jetzt auf Deutsch" in texts(
        await hotline.say(REQUESTER, "/sprache de")
    )
    assert "English" in texts(await hotline.say(REQUESTER, "/sprache en"))
    assert "customer group" in texts(await hotline.say(REQUESTER, "Hello"))
    assert "do not know that language" in texts(await hotline.say(REQUESTER, "/language fr"))


async def test_platform_locale_is_used_until_the_user_chooses(hotline: Harness) -> None:
    assert "Which customer group" in texts(await hotline.say("x", "Hi", locale="en-GB"))


async def test_anonymous_complaint_by_command(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "/beschwerde Die Rückmeldung kam erst nach drei Wochen")
    await hotline.say(REQUESTER, action_id="confirm:yes")  # stay anonymous
    told = texts(await hotline.say(REQUESTER, "ja"))
    assert "vertraulich beim Beschwerdemanagement" in told
    (ticket,) = await _tickets(hotline)
    assert ticket.confidential and ticket.anonymous


async def test_no_complaint_text_in_any_channel_notice(hotline: Harness) -> None:
    secret = "Sachbearbeiter Z hat meine Mail ignoriert"
    ticket_id = await hotline.file_request(REQUESTER, topic="beschwerde", text=secret)
    for who, text in [
        ("bk.berger", f"/claim {ticket_id}"),
        ("bk.berger", f"/status {ticket_id}"),
        ("bk.berger", f"/handoff {ticket_id} kreditoren bitte prüfen"),
        ("kred.wagner", f"/status {ticket_id}"),
        ("bk.berger", f"/resolve {ticket_id} Wir haben mit dem Team gesprochen."),
        (REQUESTER, f"/reopen {ticket_id} {secret}"),
    ]:
        await hotline.say(who, text, channel=None)
        await hotline.say(who, text.replace(str(ticket_id), str(ticket_id)), channel="bk")
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(OutboxRow))).all()
    channel_rows = [r for r in rows if r.target_kind == "channel"]
    assert channel_rows, "the test should have produced some channel traffic"
    assert all(secret not in str(r.payload) for r in channel_rows)
    assert any(secret in str(r.payload) for r in rows if r.target_kind == "user")


async def test_refusals_are_polite_and_audited(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    answer = texts(await hotline.say("kred.wagner", f"/claim {ticket_id}"))
    assert "nur Mitglieder des zuständigen Teams" in answer
    await hotline.say(REQUESTER, "/queue")
    async with hotline.sessions() as session:
        refused = await audit.entries(session, action="refused")
    assert [(e.user_id, e.ticket_id, e.detail["command"]) for e in refused] == [
        ("kred.wagner", ticket_id, "claim"),
        (REQUESTER, None, "queue"),
    ]


async def test_an_internal_error_gets_an_apology_and_keeps_the_message(
    hotline: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(hotline.engine.intake, "turn", broken)
    answer = texts(await hotline.say(REQUESTER, "Hallo, wichtig!"))
    assert "etwas schiefgelaufen" in answer and "Traceback" not in answer
    async with hotline.sessions() as session:
        (entry,) = await audit.entries(session, action="inbound_failed")
    assert entry.detail["text"] == "Hallo, wichtig!"


async def test_a_proposal_row_keeps_who_and_when(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "/thema Neue Vordrucke für Barauslagen")
    await hotline.say(REQUESTER, "ja")
    async with hotline.sessions() as session:
        (row,) = (await session.scalars(select(ProposalRow))).all()
    assert (row.kind, row.requester_id, row.created_at) == (
        "round_table",
        REQUESTER,
        hotline.clock.now(),
    )


async def test_markup_in_user_text_is_not_interpreted(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(
        REQUESTER, topic="debitoren", text="**dringend** <b>x</b>"
    )
    post = (await hotline.channel("debitoren"))[0]
    assert "\\*\\*dringend\\*\\*" in post.text and ticket_id


async def test_control_characters_are_dropped_before_storage(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(
        REQUESTER, topic="debitoren", text="Forderung\x00 doppelt\x07 gebucht\nZeile 2"
    )
    assert (await hotline.ticket(ticket_id)).description == "Forderung doppelt gebucht\nZeile 2"


async def test_every_message_after_a_reply_reaches_the_ticket(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="debitoren")
    await hotline.say("deb.keller", f"/claim {ticket_id}")
    await hotline.say("deb.keller", f"/ask {ticket_id} Welche Kostenstelle und welcher Betrag?")
    await hotline.dm("deb.keller")
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    told = texts(await hotline.say(REQUESTER, "Betrag 300 Euro"))
    assert f"zu Nr. {ticket_id} ergänzt" in told
    agent = texts(await hotline.dm("deb.keller"))
    assert "Kostenstelle 4711" in agent and "Betrag 300 Euro" in agent
    actions = [e.action for e in await hotline.events(ticket_id)]
    assert actions[-2:] == ["customer_reply", "customer_info"]
    assert "Worum geht es" in texts(await hotline.say(REQUESTER, "/neu"))


async def test_handoff_while_waiting_keeps_the_clock_running(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="kontierung")
    await hotline.say("bk.schmidt", f"/claim {ticket_id}")
    await hotline.say("bk.schmidt", f"/ask {ticket_id} Welche Schule?")
    await hotline.say("bk.schmidt", f"/handoff {ticket_id} kreditoren Rechnung betroffen")
    ticket = await hotline.ticket(ticket_id)
    assert ticket.status == "queued" and ticket.paused_at is None
    assert ticket.next_due_at is not None


async def test_history_shows_public_events_and_notes_only_to_staff(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="debitoren")
    await hotline.say("deb.keller", f"/claim {ticket_id}")
    await hotline.say("deb.keller", f"/note {ticket_id} Rückruf bei der Kämmerei")
    await hotline.say("deb.keller", f"/ask {ticket_id} Welcher **Betrag**?")
    staff = texts(await hotline.say("deb.fischer", f"/verlauf {ticket_id}"))
    assert "übernommen" in staff and "Rückruf bei der Kämmerei" in staff
    assert "Rückfrage: Welcher \\*\\*Betrag\\*\\*?" in staff
    own = texts(await hotline.say(REQUESTER, f"/verlauf {ticket_id}"))
    assert "Rückfrage" in own and "Kämmerei" not in own
    assert "nur" in texts(await hotline.say("kred.novak", f"/history {ticket_id}"))


async def test_the_profile_keeps_the_group_and_is_written_only_when_it_changes(
    hotline: Harness, config: OrgConfig
) -> None:
    async def stored() -> tuple[str | None, object]:
        async with hotline.sessions() as session:
            profile = await get_profile(session, platform="local", user_id=REQUESTER)
            assert profile is not None
            return profile.customer_group_id, profile.updated_at

    first, second = (group.id for group in config.customer_groups[:2])
    await hotline.say(REQUESTER, "Hallo")
    assert "Worum geht es?" in texts(await hotline.say(REQUESTER, "1"))
    chosen_at = hotline.clock.now()
    assert await stored() == (first, chosen_at)
    hotline.clock.advance(timedelta(minutes=1))
    assert "Zu welcher Kundengruppe" in texts(await hotline.say(REQUESTER, "zurück"))
    assert "Worum geht es?" in texts(await hotline.say(REQUESTER, "1"))
    assert await stored() == (first, chosen_at)  # chosen again: nothing new to store
    await hotline.say(REQUESTER, "zurück")
    await hotline.say(REQUESTER, "2")
    assert await stored() == (second, hotline.clock.now())
