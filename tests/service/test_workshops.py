"""Workshops end to end: waiting list and moving up, the reminder the working day before,
the anonymous questionnaire after, the trainer's summary (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.newsletter.sending import NewsletterDispatcher
from bot.workshops.jobs import WorkshopJobs
from storage.models import WorkshopFeedbackRow, WorkshopRow
from storage.repositories import profiles
from storage.repositories import workshops as repo
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.newsletter_support import AUTHOR, subscribe
from tests.service.sweep_support import Sessions

ANNA, BEN, CARL = "schule.anna", "schule.ben", "kita.carl"
TRAINER = "bk.schmidt"
WEDNESDAY_9, WEDNESDAY_12 = berlin(2026, 12, 2, 9, 0), berlin(2026, 12, 2, 12, 0)


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def add_workshop(
    sessions: Sessions,
    *,
    code: str = "beschaffung-1",
    seats: int = 2,
    starts: datetime = WEDNESDAY_9,
    ends: datetime = WEDNESDAY_12,
    groups: list[str] | None = None,
) -> int:
    values = {
        "code": code,
        "title": "Beschaffung: Grundlagen",
        "topic": "beschaffung",
        "starts_at": starts,
        "ends_at": ends,
        "place": "Raum 3.14",
        "seats": seats,
        "groups": groups or [],
        "trainer_team": "bk",
    }
    async with sessions() as session, session.begin():
        await repo.upsert(session, values=values, at=berlin(2026, 11, 1, 9, 0))
        row = await session.scalar(select(WorkshopRow).where(WorkshopRow.code == code))
        assert row is not None
        return row.id


async def test_waiting_list_reminder_questionnaire_and_trainer_summary(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    workshop = await add_workshop(sessions)
    listing = await hotline.say(ANNA, "/workshops")
    assert "2 von 2 Plätzen frei" in texts(listing)
    assert [c.id for c in listing[0].choices] == [f"enrol:{workshop}"]

    assert "Sie sind angemeldet" in texts(await hotline.say(ANNA, action_id=f"enrol:{workshop}"))
    assert "Sie sind angemeldet" in texts(await hotline.say(BEN, f"/anmelden {workshop}"))
    waiting = texts(await hotline.say(CARL, f"/anmelden {workshop}"))
    assert "ausgebucht" in waiting and "Platz 1 der Warteliste" in waiting
    assert "bereits auf der Warteliste" in texts(await hotline.say(CARL, f"/anmelden {workshop}"))
    assert "Warteliste möglich" in texts(await hotline.say("kita.dora", "/workshops"))

    # Anna cancels: Carl moves up and is told.
    assert "abgemeldet" in texts(await hotline.say(ANNA, f"/abmelden {workshop}"))
    assert "ist ein Platz frei geworden" in texts(await hotline.dm(CARL))
    people = texts(await hotline.say(TRAINER, f"/teilnehmer {workshop}"))
    assert "2 von 2 Plätzen belegt" in people and "schule.anna" not in people

    # The reminder: on the working day before (Tuesday), once, to those who come.
    jobs = WorkshopJobs(config, sessions, clock)
    clock.set(berlin(2026, 11, 30, 10, 0))
    assert await jobs.run() == 0  # Monday: the next working day is Tuesday
    clock.set(berlin(2026, 12, 1, 10, 0))
    assert await jobs.run() == 2
    assert await jobs.run() == 0
    assert "Erinnerung" in texts(await hotline.dm(BEN))
    assert "Erinnerung" in texts(await hotline.dm(CARL))
    assert "Erinnerung" not in texts(await hotline.dm(ANNA))

    # After the workshop: the form to each participant, and one reminder to fill it in.
    clock.set(berlin(2026, 12, 2, 13, 0))
    assert await jobs.run() == 2
    invite = await hotline.dm(CARL)
    assert [c.id for c in invite[-1].choices] == [f"questionnaire:{workshop}"]

    question = await hotline.say(CARL, action_id=f"questionnaire:{workshop}")
    assert "Frage 1 von 6" in (question[-1].title or "")
    for _ in range(5):
        step = await hotline.say(CARL, action_id=f"wsq:{workshop}:5")
    assert "Frage 6 von 6" in (step[-1].title or "")
    assert "Vielen Dank" in texts(await hotline.say(CARL, "Sehr praxisnah, gern mehr davon"))
    again = texts(await hotline.say(CARL, f"/fragebogen {workshop}"))
    assert "keinen offenen Fragebogen" in again

    clock.set(berlin(2026, 12, 7, 10, 0))  # Monday: Ben has not answered yet
    assert await jobs.run() == 1
    assert await jobs.run() == 0
    assert "Kurze Erinnerung" in texts(await hotline.dm(BEN))
    await hotline.say(BEN, f"/fragebogen {workshop}")
    assert "1 bis 5" in texts(await hotline.say(BEN, "sechs"))  # re-asked politely
    for _ in range(5):
        await hotline.say(BEN, "4")
    await hotline.say(BEN, "-")

    summary = texts(await hotline.say(TRAINER, f"/rueckmeldungen {workshop}"))
    assert "Ausgefüllt: 2 von 2 Teilnehmenden" in summary
    assert "Wie zufrieden waren Sie mit den Inhalten?: Ø 4,5 (Antworten: 2)" in summary
    assert "– Sehr praxisnah, gern mehr davon" in summary
    for name in (BEN, CARL, "Ben", "Carl"):
        assert name not in summary
    async with sessions() as session:
        forms = (await session.scalars(select(WorkshopFeedbackRow))).all()
    assert len(forms) == 2 and all("user" not in str(form.answers) for form in forms)
    refused = texts(await hotline.say(BEN, f"/rueckmeldungen {workshop}"))
    assert "Mitarbeitende" in refused


async def test_workshops_for_other_customer_groups(
    hotline: Harness, sessions: Sessions, clock: FrozenClock
) -> None:
    workshop = await add_workshop(sessions, code="kern-1", groups=["kern"])
    async with sessions() as session, session.begin():
        await profiles.save_profile(
            session,
            platform="local",
            user_id=ANNA,
            customer_group_id="f1-f3",
            locale="de",
            display_name="Anna",
            at=clock.now(),
        )
    assert "keine Termine" in texts(await hotline.say(ANNA, "/workshops"))
    refused = texts(await hotline.say(ANNA, f"/anmelden {workshop}"))
    assert "Kernbereich Verwaltung (KERN)" in refused
    gone = texts(await hotline.say(ANNA, "/anmelden 999"))
    assert "Den Termin gibt es nicht" in gone


async def test_the_last_seat_goes_to_one_person_only(hotline: Harness, sessions: Sessions) -> None:
    workshop = await add_workshop(sessions, seats=1)
    answers = [texts(await hotline.say(user, f"/anmelden {workshop}")) for user in (ANNA, BEN)]
    assert ["Sie sind angemeldet" in a for a in answers] == [True, False]
    assert "Warteliste" in answers[1]


async def test_team_bk_invites_to_a_workshop_by_newsletter(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    workshop = await add_workshop(sessions, code="kern-2", groups=["kern"])
    await subscribe(sessions, clock, ANNA, "kern")
    await subscribe(sessions, clock, BEN, "f4")
    preview = texts(await hotline.say(AUTHOR, f"/newsletter einladen {workshop}"))
    assert "Einladung: Beschaffung: Grundlagen" in preview
    assert f"/anmelden {workshop}" in preview and "Raum 3.14" in preview
    # One recipient: Anna (KERN); Ben receives F4 only.
    assert "Empfangende: 1 (Kundengruppen: Kernbereich Verwaltung (KERN))" in preview
    assert "(Empfangende: 1)" in texts(await hotline.say(AUTHOR, "Ja, senden"))
    await NewsletterDispatcher(config, sessions, clock, min_gap=timedelta(0)).dispatch_due()
    invited = texts(await hotline.dm(ANNA))
    assert "Einladung: Beschaffung: Grundlagen" in invited
    assert "Einladung" not in texts(await hotline.dm(BEN))
    unknown = texts(await hotline.say(AUTHOR, "/newsletter einladen 999"))
    assert "Den Termin gibt es nicht" in unknown
    refused = texts(await hotline.say(ANNA, f"/newsletter einladen {workshop}"))
    assert "Einladung:" not in refused
