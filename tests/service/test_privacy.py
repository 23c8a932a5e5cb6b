"""Data protection: retention periods, export and erasure of a person (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.privacy import PrivacyService, pseudonym
from storage.models import (
    AuditLogRow,
    DialogStateRow,
    NewsletterRow,
    OpenPromptRow,
    OutboxRow,
    TicketEventRow,
    TicketRow,
    UserProfileRow,
    WorkshopRegistrationRow,
)
from storage.repositories import newsletter, workshops
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions

ALICE = "schule.sonne"
BOB = "kita.mond"
MANAGER = "bk.yilmaz"  # complaint manager
AGENT = "hh.weber"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


@pytest.fixture
def privacy(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> PrivacyService:
    return PrivacyService(config, sessions, clock)


async def complaint(hotline: Harness, user: str, text: str) -> int:
    ticket_id = await hotline.file_request(user, topic="beschwerde", text=text)
    await hotline.say(MANAGER, f"/resolve {ticket_id} Wir haben mit dem Team gesprochen.")
    return ticket_id


async def stored(hotline: Harness) -> dict[int, TicketRow]:
    async with hotline.sessions() as session:
        return {row.id: row for row in (await session.scalars(select(TicketRow))).all()}


async def test_retention_deletes_old_complaints_and_anonymises_old_requests(
    hotline: Harness, privacy: PrivacyService, clock: FrozenClock
) -> None:
    start = clock.now()
    old_complaint = await complaint(hotline, ALICE, "Unfreundliche Auskunft am Telefon")
    request = await hotline.file_request(ALICE, topic="haushalt", text="Mittel für Lernmittel")
    await hotline.say(AGENT, f"/resolve {request} Ist gebucht.")
    clock.set(start + timedelta(days=300))
    young_complaint = await complaint(hotline, BOB, "Rückruf kam nie")

    clock.set(start + timedelta(days=370))  # complaints: 365 days, requests: 730 days
    counts = await privacy.apply_retention()
    assert counts["complaints_deleted"] == 1 and counts["tickets_anonymised"] == 0
    tickets = await stored(hotline)
    assert old_complaint not in tickets and young_complaint in tickets
    assert tickets[request].description == "Mittel für Lernmittel"
    async with hotline.sessions() as session:
        orphans = await session.scalars(
            select(TicketEventRow).where(TicketEventRow.ticket_id == old_complaint)
        )
        assert orphans.all() == []

    clock.set(start + timedelta(days=731))
    assert (await privacy.apply_retention())["tickets_anonymised"] == 1
    anonymised = (await stored(hotline))[request]
    assert (anonymised.description, anonymised.requester_id, anonymised.requester_name) == (
        "",
        "anonym",
        None,
    )
    assert (anonymised.topic_id, anonymised.team_id, anonymised.status) == (
        "haushalt",
        "haushalt",
        "resolved",
    )  # the reports still count it
    history = [event.data for event in await hotline.events(request)]
    assert not any("text" in data for data in history)
    assert (await privacy.apply_retention())["tickets_anonymised"] == 0  # once


async def test_export_holds_every_record_of_the_person_and_nothing_of_others(
    hotline: Harness, privacy: PrivacyService
) -> None:
    mine = await hotline.file_request(ALICE, topic="haushalt", text="Alices Frage zum Budget")
    await hotline.say(AGENT, f"/resolve {mine} Antwort an Alice")
    await hotline.say(ALICE, f"/bewertung {mine} 4 Alices Kommentar")
    await hotline.say(AGENT, f"/note {mine} interne Notiz über den Fall")
    theirs = await hotline.file_request(BOB, topic="kreditoren", text="Bobs Rechnung offen")
    await hotline.say(BOB, f"/status {theirs}")

    async with hotline.sessions() as session, session.begin():
        await workshops.upsert(
            session,
            values={
                "code": "w1",
                "title": "W",
                "topic": "haushalt",
                "starts_at": berlin(2027, 1, 5, 9, 0),
                "ends_at": berlin(2027, 1, 5, 12, 0),
                "place": "R",
                "seats": 5,
                "groups": [],
                "trainer_team": "bk",
            },
            at=berlin(2026, 11, 1, 9, 0),
        )
    await hotline.say(ALICE, "/anmelden 1")
    await hotline.say(BOB, "/anmelden 1")
    exported = await privacy.export(user_id=ALICE)
    dump = json.dumps(exported, ensure_ascii=False)
    for expected in ("Alices Frage zum Budget", "Antwort an Alice", "Alices Kommentar"):
        assert expected in dump
    assert exported["profiles"] and exported["messages_to_them"]
    assert [(w["workshop"], w["status"]) for w in exported["workshops"]] == [(1, "registered")]
    assert [ticket["id"] for ticket in exported["tickets"]] == [mine]
    asked = [(q["kind"], q["ticket"], q["outcome"]) for q in exported["questions_asked"]]
    assert [question for question in asked if question[0] == "rating"] == [
        ("rating", mine, "answered")
    ]
    assert ("dialog", None, "moved_on") in asked  # the intake's questions
    for foreign in ("Bobs Rechnung", BOB, "interne Notiz"):
        assert foreign not in dump


async def test_erasure_removes_the_person_and_leaves_others_alone(
    hotline: Harness, privacy: PrivacyService
) -> None:
    mine = await hotline.file_request(ALICE, topic="haushalt", text="Alices Frage zum Budget")
    own_complaint = await complaint(hotline, ALICE, "Alices Beschwerde über die Wartezeit")
    theirs = await hotline.file_request(BOB, topic="kreditoren", text="Bobs Rechnung offen")
    answered = await hotline.file_request(ALICE, topic="haushalt", text="Alices zweite Frage")
    await hotline.say(AGENT, f"/resolve {answered} Antwort an Alice")  # a rating question

    counts = await privacy.erase(user_id=ALICE)
    assert counts["complaints_deleted"] == 1 and counts["tickets_anonymised"] == 2
    tickets = await stored(hotline)
    assert own_complaint not in tickets
    assert tickets[mine].requester_id == "anonym" and tickets[mine].status == "closed"
    assert tickets[mine].next_action_at is None  # nobody left to remind about
    assert tickets[theirs].requester_id == BOB and tickets[theirs].description
    async with hotline.sessions() as session:
        left = [
            str({column.key: getattr(row, column.key) for column in model.__table__.columns})
            for model in (
                TicketRow,
                TicketEventRow,
                UserProfileRow,
                AuditLogRow,
                DialogStateRow,
                OpenPromptRow,
            )
            for row in (await session.scalars(select(model))).all()
        ]
    assert any("Bobs Rechnung offen" in row for row in left)  # the scan sees the data
    assert not [row for row in left if "Alices" in row or ALICE in row]  # nothing anywhere
    async with hotline.sessions() as session:
        profiles = (await session.scalars(select(UserProfileRow.user_id))).all()
        audit = (await session.scalars(select(AuditLogRow))).all()
    assert ALICE not in profiles and BOB in profiles
    deletion = [entry for entry in audit if entry.action == "privacy_delete"]
    assert [entry.user_id for entry in deletion] == [pseudonym(None, ALICE)]
    assert all(ALICE not in json.dumps(entry.detail) for entry in audit)
    # Bob is still served as before.
    assert "Bobs Rechnung offen" in texts(await hotline.say(BOB, f"/status {theirs}"))


async def test_erasure_gives_seats_back_and_staff_exports_hold_no_requester_data(
    hotline: Harness, privacy: PrivacyService
) -> None:
    async with hotline.sessions() as session, session.begin():
        await workshops.upsert(
            session,
            values={
                "code": "w1",
                "title": "W",
                "topic": "haushalt",
                "starts_at": berlin(2027, 1, 5, 9, 0),
                "ends_at": berlin(2027, 1, 5, 12, 0),
                "place": "R",
                "seats": 1,
                "groups": [],
                "trainer_team": "bk",
            },
            at=berlin(2026, 11, 1, 9, 0),
        )
    await hotline.say(ALICE, "/anmelden 1")
    await hotline.say(BOB, "/anmelden 1")  # waiting list
    await privacy.erase(user_id=ALICE)
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(WorkshopRegistrationRow))).all()
    assert sorted((r.user_id, r.status) for r in rows) == [
        ("anonym-1", "cancelled"),
        (BOB, "registered"),
    ]
    assert "ist ein Platz frei geworden" in texts(await hotline.dm(BOB))

    # A staff member's own export holds what concerns them, not the requesters' messages.
    ticket_id = await hotline.file_request(BOB, topic="haushalt", text="Bobs Frage zum Budget")
    await hotline.say(AGENT, f"/claim {ticket_id}")
    await hotline.say(AGENT, f"/ask {ticket_id} Welche Kostenstelle?")
    await hotline.say(BOB, "Kostenstelle 4711 von Bob")
    dump = json.dumps(await privacy.export(user_id=AGENT), ensure_ascii=False)
    assert "4711" not in dump and "Bobs Frage" not in dump


async def test_newsletter_subscriptions_are_exported_and_erased(
    hotline: Harness, privacy: PrivacyService, clock: FrozenClock
) -> None:
    async with hotline.sessions() as session, session.begin():
        for who in (ALICE, BOB):
            await newsletter.subscribe(
                session, platform="local", user_id=who, group_id="f4", locale="de", at=clock.now()
            )
    exported = await privacy.export(user_id=ALICE)
    assert [entry["group"] for entry in exported["newsletter"]] == ["f4"]
    await privacy.erase(user_id=ALICE)
    async with hotline.sessions() as session:
        left = await newsletter.subscribed_groups(session, platform="local", user_id=ALICE)
        bobs = await newsletter.subscribed_groups(session, platform="local", user_id=BOB)
    assert (left, bobs) == (set(), {"f4"})


async def test_retention_forgets_who_received_old_newsletters(
    hotline: Harness, privacy: PrivacyService, clock: FrozenClock
) -> None:
    async with hotline.sessions() as session, session.begin():
        await newsletter.subscribe(
            session, platform="local", user_id=ALICE, group_id="f4", locale="de", at=clock.now()
        )
        letter = await newsletter.create_newsletter(
            session,
            row=NewsletterRow(
                title="Jahresabschluss",
                body="Fristen",
                groups=["f4"],
                author_platform="local",
                author_id="bk.berger",
                author_locale="de",
                created_at=clock.now(),
            ),
            platforms=["local"],
        )
        for delivery in await newsletter.pending_batch(session, limit=10):
            await newsletter.mark_queued(session, delivery_id=delivery.id, at=clock.now())
    clock.set(clock.now() + timedelta(days=366))
    counts = await privacy.apply_retention()
    assert counts["newsletter_deliveries_pruned"] == 1
    async with hotline.sessions() as session:
        assert await newsletter.subscribed_groups(session, platform="local", user_id=ALICE) == {
            "f4"
        }  # consent stays until cancelled
        assert await session.get(NewsletterRow, letter.id) is not None


async def test_retention_forgets_old_questions(hotline: Harness, privacy: PrivacyService) -> None:
    """Who was asked what (a rating question) is transport, not a record: gone after 30 days."""
    ticket_id = await hotline.file_request(ALICE, topic="haushalt")
    await hotline.say(AGENT, f"/resolve {ticket_id} Erledigt.")

    async def questions() -> int:
        async with hotline.sessions() as session:
            return len((await session.scalars(select(OpenPromptRow))).all())

    asked = await questions()
    assert asked >= 1
    hotline.clock.advance(timedelta(days=29))
    await privacy.apply_retention()
    assert await questions() == asked
    hotline.clock.advance(timedelta(days=2))
    await privacy.apply_retention()
    assert await questions() == 0


async def test_retention_keeps_a_notice_still_waiting_for_its_time(
    hotline: Harness, privacy: PrivacyService
) -> None:
    """A reminder written weeks ahead (an appointment in six weeks) waits in the outbox
    longer than the 30 transport days: it is not stale until its own time has long passed."""
    now = hotline.clock.now()

    def notice(key: str, *, written: timedelta, due: timedelta) -> OutboxRow:
        return OutboxRow(
            created_at=now - written,
            platform="local",
            target_kind="user",
            target_address=ALICE,
            payload={"text": "Erinnerung"},
            dedupe_key=key,
            status="pending",
            attempts=0,
            next_attempt_at=now + due,
        )

    async with hotline.sessions() as session, session.begin():
        session.add(notice("ahead", written=timedelta(days=40), due=timedelta(days=5)))
        session.add(notice("stale", written=timedelta(days=40), due=timedelta(days=-35)))
        session.add(notice("done", written=timedelta(days=40), due=timedelta(days=-40)))
    await privacy.apply_retention()
    async with hotline.sessions() as session:
        keys = set((await session.scalars(select(OutboxRow.dedupe_key))).all())
    assert "ahead" in keys
    assert not {"stale", "done"} & keys
