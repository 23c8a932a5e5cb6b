"""The seeded month the report tests share: four tickets, ratings, answers, an idea and
workshop feedback in November 2026, worked out by hand in test_reports.py."""

from __future__ import annotations

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from bot.kernel.clock import FrozenClock
from bot.service.actors import Actor
from bot.service.satisfaction import SatisfactionService
from bot.service.tickets import TicketService
from storage.models import ProposalRow
from storage.repositories import proposals, workshops
from tests.conftest import berlin
from tests.service.sweep_support import Sessions

ALICE = Actor("local", "schule.sonne", "Schule Sonne")
BOB = Actor("local", "kita.mond", "Kita Mond")
BK = Actor("local", "bk.schmidt")
HH = Actor("local", "hh.weber")


async def seed_november(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> None:
    """Four requests, three first-level answers, an idea and two ratings in November 2026,
    and one request in December (outside the period)."""
    service, ratings = TicketService(config, clock), SatisfactionService(config, clock)

    async def step(moment: tuple[int, ...], action: object) -> object:
        clock.set(berlin(*moment))
        async with sessions() as session, session.begin():
            return await action(session)  # type: ignore[operator]

    def open_(actor: Actor, topic: str) -> object:
        request = NewRequest(
            topic_id=topic, customer_group_id="f1-f3", description="Vertraulicher Inhalt"
        )
        return lambda s: service.open_ticket(s, requester=actor, request=request)

    # 1: Team BK answers at once (first contact, all in time, 0.5 office hours).
    t1 = await step((2026, 11, 2, 9, 0), open_(ALICE, "belegstand"))
    await step((2026, 11, 2, 9, 30), lambda s: service.claim(s, ticket_id=t1.id, actor=BK))
    await step(
        (2026, 11, 2, 10, 0), lambda s: service.resolve(s, ticket_id=t1.id, actor=BK, answer="a")
    )
    # 2: budget team reacts a day late (6.0 office hours), resolves in time.
    t2 = await step((2026, 11, 3, 9, 0), open_(BOB, "haushalt"))
    await step((2026, 11, 4, 9, 0), lambda s: service.claim(s, ticket_id=t2.id, actor=HH))
    await step(
        (2026, 11, 4, 10, 0), lambda s: service.resolve(s, ticket_id=t2.id, actor=HH, answer="b")
    )
    # 3: BK hands off, budget reacts in time (1.25 office hours), never resolved.
    t3 = await step((2026, 11, 5, 9, 0), open_(ALICE, "belegstand"))
    await step(
        (2026, 11, 5, 9, 15),
        lambda s: service.handoff(
            s, ticket_id=t3.id, actor=BK, team_id="haushalt", reason="Budget"
        ),
    )
    await step((2026, 11, 5, 10, 15), lambda s: service.claim(s, ticket_id=t3.id, actor=HH))
    # 4: a complaint nobody touched.
    await step((2026, 11, 6, 9, 0), open_(BOB, "beschwerde"))
    # Ratings, first-level answers, an idea, two workshop feedback forms.
    await step(
        (2026, 11, 1, 9, 0),
        lambda s: workshops.upsert(
            s,
            values={
                "code": "w1",
                "title": "W",
                "topic": "haushalt",
                "starts_at": berlin(2026, 11, 19, 9, 0),
                "ends_at": berlin(2026, 11, 19, 12, 0),
                "place": "R",
                "seats": 5,
                "groups": [],
                "trainer_team": "bk",
            },
            at=clock.now(),
        ),
    )
    ws = 1  # the first workshop of a fresh database
    await step(
        (2026, 11, 9, 9, 0), lambda s: ratings.rate(s, actor=ALICE, ticket_id=t1.id, score=5)
    )
    await step((2026, 11, 9, 9, 5), lambda s: ratings.rate(s, actor=BOB, ticket_id=t2.id, score=2))
    for helped in (True, True, False):
        await step(
            (2026, 11, 10, 11, 0),
            lambda s, h=helped: proposals.record_answer_feedback(
                s,
                at=clock.now(),
                platform="local",
                user_id="x",
                topic_id="haushalt",
                customer_group_id="f4",
                entry_id="e",
                helped=h,
            ),
        )
    idea = ProposalRow(
        kind="idea",
        text="Kalender",
        topic_id="idee",
        customer_group_id=None,
        requester_platform="local",
        requester_id="x",
        requester_name=None,
        created_at=berlin(2026, 11, 12, 9, 0),
    )
    await step((2026, 11, 12, 9, 0), lambda s: proposals.add_proposal(s, row=idea))
    for answers in ({"inhalte": 5, "gesamt": 4}, {"inhalte": 3, "gesamt": 4, "anmerkungen": "gut"}):
        await step(
            (2026, 11, 20, 12, 0),
            lambda s, a=answers: workshops.add_feedback(
                s, workshop_id=ws, answers=a, at=clock.now()
            ),
        )
    await step((2026, 12, 1, 9, 0), open_(ALICE, "haushalt"))  # December: not in November
