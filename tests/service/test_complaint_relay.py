"""The pseudonymous complaint relay through the engine, as local-chat users, on both stores.

A complaint manager forwards a complaint to the team concerned under a pseudonym; the
team's members ask through the hotline; the complainant answers as to any question back;
the managers read copies of every step. Nothing reaches a channel, the team never reads
the ticket number, nor the name of a complainant who stayed anonymous.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.service.complaint_relay import AlreadyForwarded, ComplaintRelay
from bot.service.privacy import PrivacyService
from storage.models import AuditLogRow, ComplaintRelayRow, OutboxRow, RelayQuestionRow
from storage.repositories import absences
from tests.harness import Harness, button, texts

Sessions = async_sessionmaker[AsyncSession]
COMPLAINANT = "schule.sonne"
NAME = "Frau Sonnenschein"
MANAGER = "bk.yilmaz"  # complaint manager
OTHER_MANAGER = "bk.berger"  # complaint manager (and admin)
LEAD = "kred.wagner"  # leads Kreditoren
MEMBER = "kred.novak"  # Kreditoren, not a lead
STRANGER = "hh.weber"  # Haushalt
COMPLAINT = "Der Beleg wurde dreimal ohne Begründung abgelehnt, sehr ärgerlich"
FORWARDED = "Beleg dreimal abgelehnt, keine Begründung genannt"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    harness = Harness(config, sessions, clock)
    harness.names[COMPLAINANT] = NAME
    return harness


async def file_complaint(hotline: Harness, *, anonymous: bool) -> int:
    """A complaint by COMPLAINANT, claimed by MANAGER; returns its number."""
    if anonymous:
        request = NewRequest("beschwerde", "f1-f3", COMPLAINT, anonymous=True)
        async with hotline.sessions() as session, session.begin():
            requester = Actor("local", COMPLAINANT, NAME)
            row = await hotline.engine.service.open_ticket(
                session, requester=requester, request=request
            )
            ticket_id = row.id
    else:
        ticket_id = await hotline.file_request(COMPLAINANT, topic="beschwerde", text=COMPLAINT)
    await hotline.say(MANAGER, f"/claim {ticket_id}")
    await hotline.dm(COMPLAINANT)
    return ticket_id


async def forward(hotline: Harness, ticket_id: int, text: str = FORWARDED) -> str:
    """MANAGER forwards to Kreditoren; returns the pseudonym."""
    answer = texts(await hotline.say(MANAGER, f"/weiterleiten {ticket_id} kreditoren {text}"))
    found = re.search(r"als (B-\d+)", answer)
    assert found is not None, answer
    return found.group(1)


def only(notices: list[Notice]) -> str:
    """The text of the one notice answered."""
    assert len(notices) == 1, texts(notices)
    return notices[0].text


async def all_channels(hotline: Harness) -> list[Notice]:
    return [n for team in hotline.config.teams for n in await hotline.channel(team.id)]


async def test_forward_ask_answer_round_trip(hotline: Harness) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    await all_channels(hotline)  # what the intake posted (nothing for a complaint)
    pseudonym = await forward(hotline, ticket_id)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.assignee, ticket.team_id) == ("bk.yilmaz", "bk")  # the holder is unchanged
    # The lead reads the forwarded text under the pseudonym; no number, no name.
    relayed = await hotline.dm(LEAD)
    shown = texts(relayed)
    assert f"Beschwerde {pseudonym}" in shown and FORWARDED in shown
    assert f"Nr. {ticket_id}" not in shown and NAME not in shown and COMPLAINT not in shown
    assert all(not n.channel_safe for n in relayed)
    assert await hotline.dm(MEMBER) == []  # the relay reaches the team's leads
    assert FORWARDED in texts(await hotline.dm(OTHER_MANAGER))  # the managers' copy
    # A member of the team asks; the complainant reads the hotline's question.
    asked = texts(await hotline.say(MEMBER, f"/rueckfrage {pseudonym.lower()} Wann genau?"))
    assert "geht über die Hotline" in asked
    told = texts(await hotline.dm(COMPLAINANT))
    assert f"Rückfrage zu Ihrem Anliegen Nr. {ticket_id}: Wann genau?" in told
    assert "Kreditoren" not in told and "Novak" not in told and pseudonym not in told
    assert (await hotline.ticket(ticket_id)).status == "waiting_for_customer"
    copies = texts(await hotline.dm(OTHER_MANAGER))
    assert "Wann genau?" in copies and "Novak" in copies
    # The complainant answers as to any question back; the team reads it under the pseudonym.
    await hotline.say(COMPLAINANT, "Am 3. Dezember, vormittags")
    for person in (LEAD, MEMBER):
        answer = texts(await hotline.dm(person))
        assert f"Antwort auf die Rückfrage zu {pseudonym}" in answer, person
        assert "Am 3. Dezember" in answer and f"Nr. {ticket_id}" not in answer
    assert f"unter {pseudonym} an" in texts(await hotline.dm(OTHER_MANAGER))
    assert (await hotline.ticket(ticket_id)).status == "claimed"
    assert await all_channels(hotline) == []  # nothing of the relay in any channel


async def test_a_named_complainant_is_named_to_the_team(hotline: Harness) -> None:
    ticket_id = await file_complaint(hotline, anonymous=False)
    assert not (await hotline.ticket(ticket_id)).anonymous
    pseudonym = await forward(hotline, ticket_id)
    shown = texts(await hotline.dm(LEAD))
    assert f"Beschwerde {pseudonym} · {NAME}" in shown


async def test_the_pseudonym_is_stable_per_complaint_and_not_the_number(
    hotline: Harness,
) -> None:
    first = await file_complaint(hotline, anonymous=True)
    second = await file_complaint(hotline, anonymous=True)
    one = await forward(hotline, first)
    again = texts(await hotline.say(MANAGER, f"/weiterleiten {first} haushalt"))
    assert f"als {one} an" in again  # the same pseudonym for every team
    assert COMPLAINT in texts(await hotline.dm("hh.schneider"))  # no text: the description
    other = await forward(hotline, second)
    assert one != other and one != f"B-{first}" and other != f"B-{second}"


async def test_who_may_forward_and_ask(hotline: Harness) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    refused = only(await hotline.say(STRANGER, f"/weiterleiten {ticket_id} kreditoren x"))
    assert refused == "Beschwerden leitet nur das Beschwerdemanagement weiter."
    as_requester = only(await hotline.say(COMPLAINANT, f"/weiterleiten {ticket_id} kreditoren"))
    assert as_requester == t("error.staff_only", "de")
    pseudonym = await forward(hotline, ticket_id)
    unknown = texts(await hotline.say(STRANGER, "/rueckfrage B-99999999 Frage"))
    assert "99999999" in unknown  # not a pseudonym: read as a ticket number, refused as such
    for who in (STRANGER, OTHER_MANAGER):
        await hotline.dm(who)
        answer = only(await hotline.say(who, f"/rueckfrage {pseudonym} Wer war das?"))
        assert answer == t("relay.not_yours", "de")
    # an unknown pseudonym reads the same as one forwarded to another team
    missing = "B-1" if pseudonym != "B-1" else "B-2"
    unknown_pseudonym = only(await hotline.say(STRANGER, f"/rueckfrage {missing} Frage"))
    assert unknown_pseudonym == t("relay.not_yours", "de")
    await hotline.say(MEMBER, f"/rueckfrage {pseudonym} Frage", channel="kreditoren")
    in_channel = only(await hotline.channel("kreditoren"))
    assert in_channel == t("cmd.direct_only", "de") and pseudonym not in in_channel
    async with hotline.sessions() as session:
        refusals = (
            await session.scalars(select(AuditLogRow).where(AuditLogRow.action == "refused"))
        ).all()
    reasons = {row.detail["reason"] for row in refusals}
    assert {"relay.managers_only", "relay.not_yours"} <= reasons
    assert all(row.ticket_id is None for row in refusals if row.user_id == STRANGER)


async def test_audit_entries_name_no_bodies(hotline: Harness) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    pseudonym = await forward(hotline, ticket_id)
    await hotline.say(MEMBER, f"/rueckfrage {pseudonym} Wann genau?")
    await hotline.say(COMPLAINANT, f"/antwort {ticket_id} Am Montag")
    async with hotline.sessions() as session:
        rows = (
            await session.scalars(
                select(AuditLogRow)
                .where(AuditLogRow.action.like("relay_%"))
                .order_by(AuditLogRow.id)
            )
        ).all()
    assert [row.action for row in rows] == ["relay_forward", "relay_question", "relay_answer"]
    dumped = json.dumps([row.detail for row in rows], ensure_ascii=False)
    assert FORWARDED not in dumped and "Wann genau" not in dumped and "Montag" not in dumped
    staff = texts(await hotline.say(MANAGER, f"/verlauf {ticket_id}"))
    assert "an ein Team weitergeleitet" in staff and "Rückfrage eines Teams" in staff
    assert "Antwort an das Team weitergeleitet" in staff
    mine = texts(await hotline.say(COMPLAINANT, f"/verlauf {ticket_id}"))
    assert "weitergeleitet" not in mine and "Rückfrage: Wann genau?" in mine


async def test_export_shows_the_complainants_side_and_erasure_drops_the_mapping(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    pseudonym = await forward(hotline, ticket_id)
    await hotline.say(MEMBER, f"/rueckfrage {pseudonym} Wann genau?")
    await hotline.say(COMPLAINANT, "Am Montag")
    privacy = PrivacyService(config, sessions, clock)
    exported = await privacy.export(user_id=COMPLAINANT)
    (mine,) = [t for t in exported["tickets"] if t["id"] == ticket_id]
    assert [(q["question"], q["answer"]) for q in mine["relay_questions"]] == [
        ("Wann genau?", "Am Montag")
    ]
    dumped = json.dumps(exported, ensure_ascii=False)
    assert FORWARDED not in dumped and "kreditoren" not in dumped.casefold()
    assert "novak" not in dumped.casefold()
    counts = await privacy.erase(user_id=COMPLAINANT)
    async with sessions() as session:
        for model in (ComplaintRelayRow, RelayQuestionRow):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
        left = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    assert not [r for r in left if pseudonym in json.dumps(r.payload, ensure_ascii=False)]
    # what was shown of the relay is taken back where it was shown: the lead's DM too
    taken_back = [
        r for r in left if r.payload["retract"] and r.payload["card"].startswith("relay-")
    ]
    assert {r.target_address for r in taken_back} >= {LEAD, MEMBER, OTHER_MANAGER}
    assert all(r.target_kind == "user" for r in taken_back)
    assert counts["cards_retracted"] >= len(taken_back)


async def test_retention_drops_the_mapping_with_the_complaint(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    await forward(hotline, ticket_id)
    await hotline.say(MANAGER, f"/erledigt {ticket_id} Wir haben mit dem Team gesprochen")
    clock.advance(timedelta(days=config.privacy.complaints_days + 30))
    counts = await PrivacyService(config, sessions, clock).apply_retention()
    assert counts["complaints_deleted"] == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ComplaintRelayRow)) == 0


COMPLAINANT_MATRIX = "@sonne:stadt.example"
MANAGER_TEAMS = "010258d0-5132-4ca7-8b23-4fdd4a15e2ea"  # Deniz Yılmaz in Teams
MEMBER_MATRIX = "@tomasz.novak:stadt.example"
LEAD_IDS = {"kred.wagner", "@petra.wagner:stadt.example", "16f4b3cf-ec15-4298-9f96-983314eb9fc9"}


async def test_across_matrix_and_teams_every_step_is_a_direct_message(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """The complainant on Matrix, the manager in Teams, the team's member on Matrix: the
    same relay, and every row the outbox holds for it is a DM on the person's platform."""
    platforms = {name: replace(p, enabled=True) for name, p in config.platforms.items()}
    hotline = Harness(replace(config, platforms=platforms), sessions, clock)
    request = NewRequest("beschwerde", "f1-f3", COMPLAINT, anonymous=True)
    async with sessions() as session, session.begin():
        row = await hotline.engine.service.open_ticket(
            session, requester=Actor("matrix", COMPLAINANT_MATRIX, NAME), request=request
        )
        ticket_id = row.id
    await hotline.say(MANAGER_TEAMS, f"/claim {ticket_id}", platform="teams")
    answer = texts(
        await hotline.say(
            MANAGER_TEAMS, f"/weiterleiten {ticket_id} kreditoren {FORWARDED}", platform="teams"
        )
    )
    found = re.search(r"B-\d+", answer)
    assert found is not None, answer
    pseudonym = found.group(0)
    asked = await hotline.say(MEMBER_MATRIX, f"!rueckfrage {pseudonym} Wann?", platform="matrix")
    assert "geht über die Hotline" in texts(asked)
    await hotline.say(COMPLAINANT_MATRIX, "Am Montag", platform="matrix")
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    relayed = [r for r in rows if pseudonym in json.dumps(r.payload, ensure_ascii=False)]
    assert relayed and all(r.target_kind == "user" for r in relayed)
    assert all(r.payload["channel_safe"] is False for r in relayed)
    to_lead = {(r.platform, r.target_address) for r in relayed if r.target_address in LEAD_IDS}
    assert {platform for platform, _ in to_lead} == {"local", "matrix", "teams"}
    question = [r for r in rows if "Rückfrage zu Ihrem Anliegen" in r.payload["text"]]
    assert [(r.platform, r.target_address) for r in question] == [("matrix", COMPLAINANT_MATRIX)]
    answered = [r for r in relayed if "Am Montag" in r.payload["text"]]
    assert ("matrix", MEMBER_MATRIX) in {(r.platform, r.target_address) for r in answered}


async def test_without_a_team_the_manager_picks_one_and_a_second_press_changes_nothing(
    hotline: Harness,
) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    cards = [
        n for n in await hotline.dm(OTHER_MANAGER) if n.ticket_id == ticket_id and n.choices
    ]  # the complaint card in the managers' DMs
    assert [c.id for c in cards[0].choices] == [
        f"claim:{ticket_id}",
        f"relay:{ticket_id}",
        f"resolve:{ticket_id}",
    ]
    picker = await hotline.say(MANAGER, action_id=f"relay:{ticket_id}")  # "Weiterleiten"
    assert "An welches Team soll ich" in texts(picker)
    assert all(not n.channel_safe for n in picker)
    pressed = button(picker, f"relay:{ticket_id}:kreditoren")
    assert pressed is not None, texts(picker)
    done = texts(await hotline.say(MANAGER, action_id=pressed))
    assert "weitergeleitet" in done
    assert COMPLAINT in texts(await hotline.dm(LEAD))  # the description
    again = texts(await hotline.say(MANAGER, action_id=pressed))
    assert "schon als B-" in again
    assert await hotline.dm(LEAD) == []
    refused = only(await hotline.say(STRANGER, f"/weiterleiten {ticket_id}"))
    assert refused == t("relay.managers_only", "de")  # no teams offered to others


async def test_an_absent_lead_is_stood_in_for_by_a_deputy_of_the_team(
    hotline: Harness, sessions: Sessions, clock: FrozenClock
) -> None:
    now = clock.now()
    async with sessions() as session, session.begin():
        await absences.add(
            session,
            person_id=LEAD,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=3),
            deputy_id=MEMBER,
            created_by=LEAD,
            now=now,
        )
    ticket_id = await file_complaint(hotline, anonymous=True)
    pseudonym = await forward(hotline, ticket_id)
    assert f"Beschwerde {pseudonym}" in texts(await hotline.dm(MEMBER))
    assert await hotline.dm(LEAD) == []


async def test_an_answer_to_the_managers_own_question_never_reaches_the_team(
    hotline: Harness,
) -> None:
    """One answer, one asker: while the manager's question is open the team may not ask,
    and the complainant's answer (their name, say) stays with complaint management."""
    ticket_id = await file_complaint(hotline, anonymous=True)
    pseudonym = await forward(hotline, ticket_id)
    await hotline.say(MANAGER, f"/rueckfrage {ticket_id} Wie heißen Sie?")
    for person in (LEAD, MEMBER, COMPLAINANT):
        await hotline.dm(person)
    refused = only(await hotline.say(MEMBER, f"/rueckfrage {pseudonym} Wann genau?"))
    assert refused == t("relay.busy", "de")
    assert "Wann genau?" not in texts(await hotline.dm(COMPLAINANT))
    await hotline.say(COMPLAINANT, "Ich bin Frau Sonnenschein")
    for person in (LEAD, MEMBER):
        assert "Sonnenschein" not in texts(await hotline.dm(person)), person
    assert "Sonnenschein" in texts(await hotline.dm(MANAGER))  # the asker reads it
    async with hotline.sessions() as session:
        asked = await session.scalar(select(func.count()).select_from(RelayQuestionRow))
    assert asked == 0
    # Once the manager's question is answered, the team asks and reads its own answer.
    await hotline.say(MEMBER, f"/rueckfrage {pseudonym} Wann genau?")
    await hotline.say(COMPLAINANT, "Am 3. Dezember")
    answer = texts(await hotline.dm(MEMBER))
    assert "Am 3. Dezember" in answer and "Sonnenschein" not in answer


async def test_an_answer_after_a_managers_newer_question_closes_the_teams_unanswered(
    hotline: Harness,
) -> None:
    """Should the newest open question be a manager's (the relay question left open past
    a settlement, say), the answer is not relayed and the relay question is closed."""
    ticket_id = await file_complaint(hotline, anonymous=True)
    pseudonym = await forward(hotline, ticket_id)
    await hotline.say(MEMBER, f"/rueckfrage {pseudonym} Wann genau?")
    async with hotline.sessions() as session, session.begin():  # the wait ends unanswered
        ticket = await hotline.engine.service.get(session, ticket_id)
        ticket.status = "claimed"
    await hotline.say(MANAGER, f"/rueckfrage {ticket_id} Wie heißen Sie?")
    await hotline.dm(MEMBER)
    await hotline.say(COMPLAINANT, "Ich bin Frau Sonnenschein")
    assert "Sonnenschein" not in texts(await hotline.dm(MEMBER))
    async with hotline.sessions() as session:
        question = (await session.scalars(select(RelayQuestionRow))).one()
    assert question.answered_at is not None and question.answer is None


async def test_a_complaint_recorded_by_phone_reads_anonymously(hotline: Harness) -> None:
    """A caller never chose to be named to a team: a phone note's complaint is anonymous,
    and the requester's address (here a phone number) is never shown."""
    request = NewRequest("beschwerde", "f1-f3", COMPLAINT, channel="phone")
    assert not request.anonymous
    async with hotline.sessions() as session, session.begin():
        caller = Actor("phone", "+49 30 1234567", "Herr Anrufer")
        row = await hotline.engine.service.open_ticket(session, requester=caller, request=request)
        ticket_id = row.id
    await hotline.say(MANAGER, f"/claim {ticket_id}")
    pseudonym = await forward(hotline, ticket_id)
    shown = texts(await hotline.dm(LEAD))
    assert f"Beschwerde {pseudonym}" in shown
    assert "Anrufer" not in shown and "1234567" not in shown


async def blocked_by(engine: AsyncEngine, pid: int) -> bool:
    """Whether some session waits for a lock `pid` holds."""
    async with engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
        return bool(await connection.scalar(query, {"pid": pid}))


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # SQLite serialises writers
async def test_two_presses_of_forward_at_once_relay_once(
    hotline: Harness, db: AsyncEngine, clock: FrozenClock
) -> None:
    ticket_id = await file_complaint(hotline, anonymous=True)
    relay, manager = ComplaintRelay(hotline.config, clock), Actor("local", MANAGER)
    args = {"ticket_id": ticket_id, "actor": manager, "team_id": "kreditoren", "text": ""}

    async def second_press() -> None:
        async with hotline.sessions() as second, second.begin():
            await relay.forward(second, **args)  # type: ignore[arg-type]

    async with hotline.sessions() as first, first.begin():
        pid = int(await first.scalar(text("SELECT pg_backend_pid()")) or 0)
        await relay.forward(first, **args)  # type: ignore[arg-type]
        pressed = asyncio.create_task(second_press())
        for _ in range(2000):  # until the second press waits for the lock (or is done)
            if pressed.done() or await blocked_by(db, pid):
                break
            await asyncio.sleep(0.005)
        assert not pressed.done()  # it waits for the first press's transaction
    with pytest.raises(AlreadyForwarded):
        await pressed
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(ComplaintRelayRow))).all()
    assert len(rows) == 1
    assert len([n for n in await hotline.dm(LEAD) if "Beschwerde" in (n.title or "")]) == 1
