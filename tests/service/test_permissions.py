"""Every command refuses every role that may not use it (and lets the others through)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.actors import Actor
from bot.service.permissions import Role, roles_of
from storage.repositories import audit
from tests.harness import Harness

Sessions = async_sessionmaker[AsyncSession]

# One sample person per role (see bot/config/sample.yaml).
REQUESTER = "schule.sonne"
OTHER_REQUESTER = "schule.mond"
AGENT = "hh.weber"  # Budget / Haushalt, not a lead
OTHER_AGENT = "kred.novak"  # Kreditoren, not a lead
TEAM_LEAD = "hh.schneider"
DEPARTMENT_LEAD = "leitung.meyer"
COMPLAINT_MANAGER = "bk.yilmaz"
ADMIN = "bk.berger"


def test_sample_people_have_the_roles_this_test_assumes(config: OrgConfig) -> None:
    def roles(user: str) -> frozenset[Role]:
        return roles_of(config, Actor("local", user))

    assert roles(REQUESTER) == {Role.REQUESTER}
    assert roles(AGENT) == {Role.REQUESTER, Role.AGENT}
    assert roles(OTHER_AGENT) == {Role.REQUESTER, Role.AGENT}
    assert Role.TEAM_LEAD in roles(TEAM_LEAD)
    assert roles(DEPARTMENT_LEAD) == {Role.REQUESTER, Role.DEPARTMENT_LEAD}
    assert Role.COMPLAINT_MANAGER in roles(COMPLAINT_MANAGER)
    assert Role.ADMIN not in roles(COMPLAINT_MANAGER)
    assert Role.ADMIN in roles(ADMIN)


# (command, who, allowed) on a budget ticket N and a complaint C.
CASES: list[tuple[str, str, bool]] = [
    ("/queue", REQUESTER, False),
    ("/queue", AGENT, True),
    ("/queue", DEPARTMENT_LEAD, True),
    ("/themen", REQUESTER, False),
    ("/themen", AGENT, False),
    ("/themen", OTHER_AGENT, False),
    ("/themen", TEAM_LEAD, True),
    ("/themen", DEPARTMENT_LEAD, True),
    ("/themen", ADMIN, True),
    ("/status N", REQUESTER, True),
    ("/status N", OTHER_REQUESTER, False),
    ("/status N", AGENT, True),
    ("/status N", OTHER_AGENT, False),
    ("/status N", DEPARTMENT_LEAD, True),
    ("/status N", COMPLAINT_MANAGER, False),  # a BK member, but the ticket is Haushalt's
    ("/status C", REQUESTER, True),
    ("/status C", AGENT, False),
    ("/status C", "bk.schmidt", False),  # Team BK, but not complaint management
    ("/status C", DEPARTMENT_LEAD, False),
    ("/status C", COMPLAINT_MANAGER, True),
    ("/claim N", REQUESTER, False),
    ("/claim N", OTHER_AGENT, False),
    ("/claim N", AGENT, True),
    ("/claim N", DEPARTMENT_LEAD, True),
    ("/claim N", ADMIN, True),
    ("/claim C", AGENT, False),
    ("/claim C", "bk.schmidt", False),
    ("/claim C", DEPARTMENT_LEAD, False),
    ("/claim C", COMPLAINT_MANAGER, True),
    ("/unclaim N", OTHER_AGENT, False),
    ("/handoff N ccc falsch", REQUESTER, False),
    ("/handoff N ccc falsch", OTHER_AGENT, False),
    ("/handoff N ccc falsch", AGENT, True),
    ("/handoff C kreditoren bitte prüfen", COMPLAINT_MANAGER, False),
    ("/ask N Welche Schule?", REQUESTER, False),
    ("/ask N Welche Schule?", OTHER_AGENT, False),
    ("/note N intern", REQUESTER, False),
    ("/note N intern", OTHER_AGENT, False),
    ("/note N intern", AGENT, True),
    ("/note C intern", AGENT, False),
    ("/resolve N erledigt", REQUESTER, False),
    ("/resolve N erledigt", OTHER_AGENT, False),
    ("/resolve N erledigt", AGENT, True),
    ("/resolve C erledigt", "bk.schmidt", False),
    ("/resolve C erledigt", COMPLAINT_MANAGER, True),
]


@pytest.mark.parametrize(
    ("command", "who", "allowed"), CASES, ids=[f"{c}|{w}" for c, w, _ in CASES]
)
async def test_command_permissions(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, command: str, who: str, allowed: bool
) -> None:
    hotline = Harness(config, sessions, clock)
    budget = await hotline.file_request(REQUESTER, topic="haushalt")
    complaint = await hotline.file_request(REQUESTER, topic="beschwerde", text="Sehr unfreundlich")
    if command.startswith("/unclaim"):
        await hotline.say(AGENT, f"/claim {budget}")
    text = command.replace(" N", f" {budget}").replace(" C", f" {complaint}")
    await hotline.dm(who)  # only the answer to the command counts below
    answer = " ".join(n.text for n in await hotline.say(who, text))
    async with sessions() as session:
        refusals = await audit.entries(session, action="refused")
    if allowed:
        assert not refusals, f"{who} was refused {text}: {answer}"
    else:
        assert len(refusals) == 1 and refusals[0].user_id == who, answer
        assert "Sehr unfreundlich" not in answer
        # "nicht zeigen": a ticket the person may not see is not confirmed to exist
        polite = ("nur", "Mitarbeitende", "Leitungen", "Beschwerdemanagement", "nicht zeigen")
        assert any(word in answer for word in polite), answer
