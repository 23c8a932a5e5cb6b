"""/hilfe is generated from the command declarations and the audience check that runs them:
each person sees exactly the commands they may use."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


@pytest.mark.parametrize(
    ("user", "teams", "leads"),
    [("schule.sonne", False, False), ("hh.weber", True, False), ("hh.schneider", True, True)],
)
async def test_each_person_sees_the_commands_they_may_use(
    hotline: Harness, user: str, teams: bool, leads: bool
) -> None:
    answer = texts(await hotline.say(user, "/hilfe"))
    assert "/neu – neues Anliegen" in answer
    assert "/bewertung Nr. 1-5 [Kommentar] – " in answer
    assert ("Für Mitarbeitende der Teams:" in answer) is teams and (
        "/claim Nr. – Ticket übernehmen" in answer
    ) is teams
    assert ("Für Gruppen- und Abteilungsleitungen" in answer) is leads
    assert ("/eskalationen" in answer) is leads


async def test_the_help_follows_the_language_and_the_prefix(hotline: Harness) -> None:
    answer = texts(await hotline.say("schule.sonne", "!help", locale="en"))
    assert "!new – new request" in answer and "!rate no. 1-5 [comment]" in answer
