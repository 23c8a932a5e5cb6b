"""The satisfaction survey after a resolved ticket (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.config.model import OrgConfig
from storage.models import SatisfactionRow
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions

REQUESTER = "schule.sonne"
AGENT = "hh.weber"
TEAM_LEAD = "hh.schneider"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def resolved(hotline: Harness) -> int:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/resolve {ticket_id} Die Mittel sind gebucht.")
    return ticket_id


async def ratings(hotline: Harness) -> list[tuple[int, int, str | None]]:
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(SatisfactionRow))).all()
    return [(row.ticket_id, row.score, row.comment) for row in rows]


async def test_resolved_ticket_asks_for_a_rating_and_takes_a_comment(hotline: Harness) -> None:
    ticket_id = await resolved(hotline)
    told = await hotline.dm(REQUESTER)
    question = told[-1]
    assert "Wie zufrieden sind Sie" in question.text
    assert [c.id for c in question.choices] == [
        *(f"rate:{ticket_id}:{score}" for score in range(1, 6)),
        f"reopen:{ticket_id}",
    ]
    answer = await hotline.say(REQUESTER, action_id=f"rate:{ticket_id}:5")
    assert "5 von 5" in texts(answer) and "anmerken" in texts(answer)
    thanks = await hotline.say(REQUESTER, "Schnell und freundlich, danke!")
    assert "Kommentar ist angekommen" in texts(thanks)
    assert await ratings(hotline) == [(ticket_id, 5, "Schnell und freundlich, danke!")]
    assert await hotline.dm(TEAM_LEAD) == []  # a good rating bothers nobody
    # The next message is free text again: a new request starts.
    after = texts(await hotline.say(REQUESTER, "Hallo"))
    assert "Kommentar" not in after


async def test_a_low_rating_reaches_the_team_lead_with_its_comment(hotline: Harness) -> None:
    ticket_id = await resolved(hotline)
    await hotline.dm(TEAM_LEAD)
    await hotline.say(REQUESTER, f"/bewertung {ticket_id} 2 Hat drei Tage gedauert")
    lead = texts(await hotline.dm(TEAM_LEAD))
    assert f"Nr. {ticket_id} wurde mit 2 von 5 bewertet" in lead
    assert "Hat drei Tage gedauert" in lead
    assert await ratings(hotline) == [(ticket_id, 2, "Hat drei Tage gedauert")]


async def test_no_comment_and_rerating(hotline: Harness) -> None:
    ticket_id = await resolved(hotline)
    await hotline.say(REQUESTER, action_id=f"rate:{ticket_id}:3")
    assert "Bis zum nächsten Mal" in texts(await hotline.say(REQUESTER, "nein"))
    await hotline.say(REQUESTER, f"/bewertung {ticket_id} 4")
    assert await ratings(hotline) == [(ticket_id, 4, None)]


async def test_the_requester_can_reopen_instead(hotline: Harness) -> None:
    ticket_id = await resolved(hotline)
    answer = await hotline.say(REQUESTER, action_id=f"reopen:{ticket_id}")
    assert "wieder offen" in texts(answer) or "wieder geöffnet" in texts(answer)
    assert (await hotline.ticket(ticket_id)).status == "reopened"
    assert await ratings(hotline) == []


@pytest.mark.parametrize(
    ("who", "text", "expected"),
    [
        (REQUESTER, "/bewertung {id} 7", "mit einer Zahl von 1 bis 5"),
        (REQUESTER, "/bewertung {id} gut", "mit einer Zahl von 1 bis 5"),
        ("schule.mond", "/bewertung {id} 5", "nur Ihre eigenen Anliegen"),  # not the requester
    ],
)
async def test_bad_ratings_are_answered_politely(
    hotline: Harness, who: str, text: str, expected: str
) -> None:
    ticket_id = await resolved(hotline)
    answer = texts(await hotline.say(who, text.format(id=ticket_id)))
    assert expected in answer
    assert await ratings(hotline) == []


async def test_an_open_ticket_cannot_be_rated(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    answer = texts(await hotline.say(REQUESTER, f"/bewertung {ticket_id} 5"))
    assert "erledigte Anliegen" in answer
