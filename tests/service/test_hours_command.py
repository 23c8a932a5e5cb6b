"""/arbeitszeit (/hours) through the engine as local-chat users, on SQLite and PostgreSQL:
shown, set, refused with the format, reset; German and English; staff only, direct only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config.model import OrgConfig
from bot.config.weekly_hours import parse
from bot.kernel.clock import FrozenClock
from storage.models import AuditLogRow
from storage.repositories import people_hours
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions

AGENT = "hh.weber"
OFFICE = "Mo-Do 08:30-12:00 13:00-15:30, Fr 08:30-12:00"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def stored(sessions: Sessions, person_id: str = AGENT) -> object:
    async with sessions() as session:
        return await people_hours.get_hours(session, person_id=person_id)


async def test_set_show_and_reset_round_trip(hotline: Harness, sessions: Sessions) -> None:
    (shown,) = await hotline.say(AGENT, "/arbeitszeit")
    assert shown.text.startswith(f"Ihre Arbeitszeit: {OFFICE} (die Bürozeiten des Teams).")

    (saved,) = await hotline.say(AGENT, "/arbeitszeit Mo-Do 08:00-12:30")
    assert saved.text.startswith("Gespeichert: Ihre Arbeitszeit ist jetzt Mo-Do 08:00-12:30.")
    assert "/arbeitszeit zurücksetzen" in saved.text
    assert await stored(sessions) == parse("Mo-Do 08:00-12:30")

    (shown,) = await hotline.say(AGENT, "/arbeitszeit")
    assert "Mo-Do 08:00-12:30 (mit /arbeitszeit gesetzt)" in shown.text
    (english,) = await hotline.say(AGENT, "/hours", locale="en")
    assert english.text.startswith("Your working hours: Mon-Thu 08:00-12:30 (set with /hours).")

    (again,) = await hotline.say(AGENT, "/hours Mon,Wed 8-12, Fri 9-11", locale="en")
    assert again.text.startswith("Saved: your working hours are now Mon 08:00-12:00, Wed")
    assert await stored(sessions) == parse("Mo,Mi 8-12, Fr 9-11")

    (reset,) = await hotline.say(AGENT, "/arbeitszeit zurücksetzen")
    assert reset.text == f"Zurückgesetzt: Es gilt wieder {OFFICE} (die Bürozeiten des Teams)."
    assert await stored(sessions) is None
    (none,) = await hotline.say(AGENT, "/hours reset", locale="en")
    assert "You had not set your own working hours" in none.text

    async with sessions() as session:
        actions = (await session.scalars(select(AuditLogRow.action))).all()
    assert [a for a in actions if a.startswith("hours_")] == [
        "hours_set",
        "hours_set",
        "hours_reset",
    ]


@pytest.mark.parametrize(
    ("typed", "locale", "problem", "usage"),
    [
        pytest.param(
            "/arbeitszeit Mo-Do morgens",
            "de",
            "„morgens“ ist weder ein Tag noch eine Uhrzeit von-bis",
            "So geht es: /arbeitszeit Mo-Do 08:00-12:30 (Tage: Mo Di Mi Do Fr Sa So",
            id="de-unknown",
        ),
        pytest.param(
            "/arbeitszeit 8-12",
            "de",
            "vor „8-12“ fehlen die Tage",
            "So geht es: /arbeitszeit Mo-Do 08:00-12:30",
            id="de-no-days",
        ),
        pytest.param(
            "/hours Mon-Thu",
            "en",
            'the time after "Mon-Thu" is missing',
            "Usage: /hours Mon-Thu 08:00-12:30 (days: Mon Tue Wed Thu Fri Sat Sun",
            id="en-no-time",
        ),
        pytest.param(
            "/hours Mon 12-8",
            "en",
            '"12-8" does not end after it starts',
            "Usage: /hours Mon-Thu 08:00-12:30",
            id="en-backwards",
        ),
    ],
)
async def test_bad_input_gets_a_polite_usage_answer_and_changes_nothing(
    hotline: Harness, sessions: Sessions, typed: str, locale: str, problem: str, usage: str
) -> None:
    (answer,) = await hotline.say(AGENT, typed, locale=locale)
    assert problem in answer.text and usage in answer.text
    assert await stored(sessions) is None


async def test_hours_outside_the_office_are_refused(hotline: Harness, sessions: Sessions) -> None:
    (answer,) = await hotline.say(AGENT, "/arbeitszeit Sa-So 9-12")
    assert "ganz außerhalb der Bürozeiten" in answer.text and OFFICE in answer.text
    assert await stored(sessions) is None


async def test_config_hours_show_and_a_command_overrides_them(
    hotline: Harness, sessions: Sessions
) -> None:
    (shown,) = await hotline.say("anl.wolf", "/arbeitszeit")
    assert "Mo-Do 08:30-12:00 (aus der Konfiguration)" in shown.text
    await hotline.say("anl.wolf", "/arbeitszeit Mo-Fr 8:30-12")
    (shown,) = await hotline.say("anl.wolf", "/arbeitszeit")
    assert "Mo-Fr 08:30-12:00 (mit /arbeitszeit gesetzt)" in shown.text
    (reset,) = await hotline.say("anl.wolf", "/arbeitszeit zuruecksetzen")
    assert "Mo-Do 08:30-12:00 (aus der Konfiguration)" in reset.text


async def test_only_staff_and_only_in_the_direct_chat(hotline: Harness, sessions: Sessions) -> None:
    refused = await hotline.say("schule.sonne", "/arbeitszeit Mo 8-12")
    assert "für Mitarbeitende der Teams" in texts(refused)
    await hotline.say(AGENT, "/arbeitszeit Mo 8-12", channel="haushalt")
    (answer,) = await hotline.channel("haushalt")
    assert "direkt" in answer.text
    assert await stored(sessions) is None


async def test_help_lists_the_command_for_staff_only(hotline: Harness) -> None:
    assert "/arbeitszeit" in texts(await hotline.say(AGENT, "/hilfe"))
    assert "/hours" in texts(await hotline.say(AGENT, "/help", locale="en"))
    assert "/arbeitszeit" not in texts(await hotline.say("schule.sonne", "/hilfe"))
