"""/queue lists the team's open tickets by deadline, the earliest first; a configured dialog
timeout (not the default 30 minutes) decides when a half-finished dialog expires.

SQLite and PostgreSQL. Office hours of the sample: Mon-Thu 08:30-12:00 and 13:00-15:30.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.config
from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from tests.conftest import berlin
from tests.harness import Harness, plain_ids, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # Budget / Haushalt
SAMPLE = Path(bot.config.__file__).parent / "sample.yaml"


def queued_numbers(answer: str) -> list[int]:
    """The ticket numbers of a /queue answer, in the order listed."""
    return [int(number) for number in re.findall(r"Nr\. (\d+) ·", answer)]


async def test_queue_lists_open_tickets_earliest_deadline_first(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    clock.set(berlin(2026, 11, 30, 9, 0))  # Monday
    first = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel für Projekt A")
    await hotline.say(AGENT, f"/claim {first}")  # now due: its status update, Tue 11:00
    clock.set(berlin(2026, 11, 30, 9, 10))
    second = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel für Projekt B")
    clock.set(berlin(2026, 11, 30, 14, 0))  # under 2 office hours left: due the next day
    third = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel für Projekt C")
    elsewhere = await hotline.file_request(REQUESTER, topic="kreditoren", text="Rechnung offen")
    done = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel für Projekt D")
    await hotline.say(AGENT, f"/resolve {done} Erledigt.")

    due = {n: (await hotline.ticket(n)).next_due_at for n in (first, second, third)}
    assert due[second] == berlin(2026, 11, 30, 15, 30)
    assert due[first] == berlin(2026, 12, 1, 11, 0)  # 8 office hours after the 09:00 claim
    assert due[third] == berlin(2026, 12, 1, 15, 30)

    await hotline.dm(AGENT)
    answer = texts(await hotline.say(AGENT, "/queue"))
    assert queued_numbers(answer) == [second, first, third], answer
    assert elsewhere not in queued_numbers(answer) and done not in queued_numbers(answer)
    lead = texts(await hotline.say("hh.schneider", "/warteschlange"))
    assert queued_numbers(lead) == [second, first, third]


@pytest.fixture
def five_minutes(tmp_path: Path) -> OrgConfig:
    """The sample organisation with `dialogs: timeout: 5m`, read through the loader."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count("  timeout: 30m\n") == 1
    path = tmp_path / "hotline.yaml"
    path.write_text(text.replace("  timeout: 30m\n", "  timeout: 5m\n"), encoding="utf-8")
    config = load_config(path)
    assert config.dialogs.timeout == timedelta(minutes=5)
    return config


async def test_a_dialog_expires_after_the_configured_five_minutes(
    five_minutes: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(five_minutes, sessions, clock)
    expired = t("intake.expired", "de", minutes=5)
    await hotline.say(REQUESTER, "Hallo")  # asks for the customer group
    clock.advance(timedelta(minutes=4))
    topic_menu = await hotline.say(REQUESTER, "1")
    assert expired not in texts(topic_menu)
    assert "topic:haushalt" in plain_ids(topic_menu)
    clock.advance(timedelta(minutes=4))  # 4 minutes after the last answer: still running
    answer = await hotline.say(REQUESTER, "haushalt")
    assert expired not in texts(answer)
    assert any(i == "confirm:yes" or i.startswith("answer:") for i in plain_ids(answer))
    clock.advance(timedelta(minutes=6))
    restarted = await hotline.say(REQUESTER, "nein")
    assert restarted[0].text == expired
    assert t("intake.greeting", "de") in texts(restarted)
    # the group was remembered when chosen: the restart asks for the topic again
    assert "topic:haushalt" in plain_ids(restarted)


async def test_a_question_back_follow_up_expires_after_the_configured_timeout(
    five_minutes: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(five_minutes, sessions, clock)
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {ticket_id}")
    await hotline.say(AGENT, f"/ask {ticket_id} Welche Kostenstelle?")
    await hotline.say(REQUESTER, "Kostenstelle 4711")  # the reply; follow-ups join the ticket
    clock.advance(timedelta(minutes=4))
    added = texts(await hotline.say(REQUESTER, "Betrag 300 Euro"))
    assert t("ticket.info_added", "de", id=ticket_id) in added
    clock.advance(timedelta(minutes=6))
    fresh = texts(await hotline.say(REQUESTER, "Noch eine ganz andere Frage"))
    assert t("intake.greeting", "de") in fresh
    actions = [event.action for event in await hotline.events(ticket_id)]
    assert actions.count("customer_info") == 1


async def test_complaint_managers_see_complaints_merged_by_deadline_only_in_private(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    clock.set(berlin(2026, 11, 30, 9, 0))  # Monday
    first = await hotline.file_request(REQUESTER, topic="kontierung", text="Welches Sachkonto?")
    await hotline.say("bk.schmidt", f"/claim {first}")  # now due: its status update, Tue 11:00
    clock.set(berlin(2026, 11, 30, 9, 10))
    complaint = await hotline.file_request(
        REQUESTER, topic="beschwerde", text="Sehr unfreundlich behandelt"
    )
    clock.set(berlin(2026, 11, 30, 14, 0))
    third = await hotline.file_request(REQUESTER, topic="sonstiges", text="Allgemeine Frage hier")
    assert (await hotline.ticket(complaint)).next_due_at == berlin(2026, 11, 30, 15, 30)

    await hotline.dm("bk.yilmaz")
    await hotline.channel("bk")
    manager = texts(await hotline.say("bk.yilmaz", "/queue", channel="bk"))
    assert queued_numbers(manager) == [complaint, first, third], manager
    assert await hotline.channel("bk") == []  # the list with a complaint went to the DM
    colleague = texts(await hotline.say("bk.schmidt", "/queue", channel="bk"))
    assert colleague == ""  # answered in the channel, where a colleague's list may go
    posted = texts(await hotline.channel("bk"))
    assert queued_numbers(posted) == [first, third]
    assert "unfreundlich" not in posted
