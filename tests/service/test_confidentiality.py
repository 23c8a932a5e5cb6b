"""What staff write among themselves stays with staff, and ticket numbers cannot be counted.

Repros from the reliability probe (issue 14): a handoff's reason reached the requester in
/verlauf; /status 999999 ("gibt es nicht") and /status 5 on someone else's ticket ("nur das
Team") told a stranger which numbers exist, a complaint's included.
Through the engine on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.privacy import PrivacyService
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
STRANGER = "kita.mond"  # another requester
AGENT = "hh.weber"  # Haushalt
OTHER_AGENT = "kred.novak"  # Kreditoren
REASON = "Kunde nervt, Sachbearbeiterin Meier hat den Beleg verschlampt"
UNKNOWN = 999999


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


def without_number(text: str, number: int) -> str:
    return re.sub(rf"\b{number}\b", "N", text)


async def test_a_handoff_reason_is_for_staff_only(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {ticket_id}")
    handed = texts(await hotline.say(AGENT, f"/handoff {ticket_id} kreditoren {REASON}"))
    assert "weitergegeben" in handed.casefold() or "Kreditoren" in handed
    told = texts(await hotline.dm(REQUESTER))
    assert "Kunde nervt" not in told
    history = texts(await hotline.say(REQUESTER, f"/verlauf {ticket_id}"))
    assert "Verlauf" in history and "Kunde nervt" not in history
    assert "Kunde nervt" in texts(await hotline.say(OTHER_AGENT, f"/verlauf {ticket_id}"))
    export = json.dumps(
        await PrivacyService(config, sessions, clock).export(user_id=REQUESTER),
        ensure_ascii=False,
    )
    assert str(ticket_id) in export and "Kunde nervt" not in export


@pytest.mark.parametrize("command", ["/status {n}", "/verlauf {n}", "/antwort {n} Hallo"])
async def test_a_stranger_cannot_tell_a_foreign_number_from_a_missing_one(
    hotline: Harness, command: str
) -> None:
    foreign = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {foreign}")
    await hotline.say(AGENT, f"/ask {foreign} Welche Kostenstelle?")
    on_foreign = texts(await hotline.say(STRANGER, command.format(n=foreign)))
    on_missing = texts(await hotline.say(STRANGER, command.format(n=UNKNOWN)))
    assert "kann ich Ihnen nicht zeigen" in on_foreign
    assert without_number(on_foreign, foreign) == without_number(on_missing, UNKNOWN)


async def test_a_complaints_number_is_not_confirmed_to_other_staff(hotline: Harness) -> None:
    text = "Sehr unfreundliche Auskunft am Telefon"
    complaint = await hotline.file_request(REQUESTER, topic="beschwerde", text=text)
    ordinary = await hotline.file_request(REQUESTER, topic="haushalt")
    for command in ("/status {n}", "/claim {n}", "/verlauf {n}"):
        on_complaint = texts(await hotline.say(OTHER_AGENT, command.format(n=complaint)))
        on_missing = texts(await hotline.say(OTHER_AGENT, command.format(n=UNKNOWN)))
        assert text not in on_complaint
        assert without_number(on_complaint, complaint) == without_number(on_missing, UNKNOWN)
    # An ordinary ticket of another team: staff see the queues anyway, the reason stays precise.
    assert "nur Mitglieder des zuständigen Teams" in texts(
        await hotline.say(OTHER_AGENT, f"/claim {ordinary}")
    )


async def test_the_requester_still_sees_their_own(hotline: Harness) -> None:
    mine = await hotline.file_request(REQUESTER, topic="haushalt")
    assert "kann ich Ihnen nicht zeigen" not in texts(
        await hotline.say(REQUESTER, f"/status {mine}")
    )


async def test_nothing_of_the_complaint_relay_reaches_a_channel_or_names_the_anonymous(
    hotline: Harness, config: OrgConfig, sessions: Sessions
) -> None:
    """Issue 17: a complaint forwarded to a team under its pseudonym. The team's leads read
    it by DM; no channel reads anything of it; a complainant who stayed anonymous is never
    named to the team; the complainant never reads the team's name or its people."""
    hotline.names[REQUESTER] = "Frau Sonnenschein"
    await hotline.say(REQUESTER, "/beschwerde")
    asked = await hotline.say(REQUESTER, "Sehr unfreundliche Auskunft zum Beleg 4711")
    await hotline.say(REQUESTER, action_id=_pressed(asked))
    done = await hotline.say(REQUESTER, "ja")
    complaint = next(n.ticket_id for n in done if n.ticket_id is not None)
    assert (await hotline.ticket(complaint)).anonymous
    await hotline.say("bk.yilmaz", f"/claim {complaint}")
    forwarded = texts(await hotline.say("bk.yilmaz", f"/weiterleiten {complaint} kreditoren"))
    pseudonym = re.search(r"B-\d+", forwarded)
    assert pseudonym is not None, forwarded
    await hotline.say(OTHER_AGENT, f"/rueckfrage {pseudonym.group(0)} Welcher Tag war das?")
    told = texts(await hotline.say(REQUESTER, "Letzter Dienstag"))  # the question, the thanks
    team_side = texts(await hotline.dm("kred.wagner")) + texts(await hotline.dm(OTHER_AGENT))
    assert "Letzter Dienstag" in team_side and "Beleg 4711" in team_side
    assert "Sonnenschein" not in team_side and REQUESTER not in team_side
    assert f"Nr. {complaint}" not in team_side
    for team in config.teams:
        posted = texts(await hotline.channel(team.id))
        assert pseudonym.group(0) not in posted and "Beleg 4711" not in posted
        assert "Welcher Tag" not in posted and "Letzter Dienstag" not in posted
    history = texts(await hotline.say(REQUESTER, f"/verlauf {complaint}"))
    assert "Welcher Tag war das?" in told and "Welcher Tag war das?" in history
    for name in ("Kreditoren", "Novak", pseudonym.group(0)):
        assert name not in told and name not in history


def _pressed(notices: list[Notice]) -> str:
    """The "stay anonymous" button of the complaint intake."""
    for notice in notices:
        for choice in notice.choices:
            if choice.label == "Ja, anonym bleiben":
                return choice.id
    raise AssertionError(f"no anonymity question: {texts(notices)}")
