"""The evaluation of a seeded month matches figures worked out by hand (SQLite, PostgreSQL)."""

from __future__ import annotations

import re
import struct
from datetime import date
from pathlib import Path

import pytest

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from bot.kernel.clock import FrozenClock
from bot.reports import chart, render
from bot.reports.breakdown import Deadlines
from bot.reports.metrics import Share
from bot.reports.service import build, month, period
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.report_seed import ALICE, BK, BOB, HH, seed_november
from tests.service.sweep_support import Sessions

KRED = Actor("local", "kred.wagner")


async def test_the_november_report_matches_the_figures_worked_out_by_hand(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_november(config, sessions, clock)
    clock.set(berlin(2026, 12, 2, 9, 0))
    start, end = period(config, date(2026, 11, 1), date(2026, 11, 30))
    async with sessions() as session:
        report = await build(session, config, clock, start, end)
    assert report.tickets == 4
    assert report.by_team == {"bk": 2, "haushalt": 2}
    assert report.by_level == {1: 2, 2: 2}
    assert (report.first_contact.hits, report.first_contact.total) == (3, 6)  # 2 FAQ + #1
    assert report.by_channel == {"chat": 4, "phone": 0}
    assert report.first_contact_by_channel == {"chat": Share(3, 6), "phone": Share(0, 0)}
    assert (report.first_response.hits, report.first_response.total) == (2, 4)
    assert (report.resolution.hits, report.resolution.total) == (2, 4)
    assert (report.response_hours_median, report.response_hours_p90) == (1.25, 6.0)
    assert report.handoffs_by_team == {"bk": 1}
    assert (report.complaints, report.ideas, report.round_table) == (1, 1, 0)
    assert (report.csat_average, report.csat_count) == (3.5, 2)
    assert report.csat_by_team == {"bk": (5.0, 1), "haushalt": (2.0, 1)}
    assert [week.opened for week in report.weeks] == [0, 4, 0, 0, 0, 0]  # 26 Oct ... 30 Nov
    assert report.workshop_forms == 2
    assert report.workshop_scales == {"inhalte": (4.0, 2), "gesamt": (4.0, 2)}

    markdown = render.to_markdown(config, report)
    assert "Auswertung der Hotline 01.11.2026 – 30.11.2026" in markdown
    assert "| Beim ersten Kontakt gelöst | 50,0 % (3/6) |" in markdown
    assert "Vertraulicher Inhalt" not in markdown  # no ticket text, no complaint content
    assert render.to_markdown(config, report, "en").count("50.0 % (3/6)") == 1


async def test_deadlines_and_response_times_per_level_and_per_team(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """The November seed plus a ticket for the accounts-payable team (level 2 like budget):
    the level sums both teams, each team keeps its own figures. A ticket counts where it is
    now, so #3 (handed from BK to budget) is budget's and level 2's."""
    await seed_november(config, sessions, clock)
    service = TicketService(config, clock)
    request = NewRequest(topic_id="kreditoren", customer_group_id="f1-f3", description="x")
    clock.set(berlin(2026, 11, 16, 9, 0))
    async with sessions() as session, session.begin():
        fifth = await service.open_ticket(session, requester=ALICE, request=request)
    clock.set(berlin(2026, 11, 16, 9, 45))  # reacted after 0.75 office hours, never resolved
    async with sessions() as session, session.begin():
        await service.claim(session, ticket_id=fifth.id, actor=KRED)
    clock.set(berlin(2026, 12, 2, 9, 0))
    start, end = period(config, date(2026, 11, 1), date(2026, 11, 30))
    async with sessions() as session:
        report = await build(session, config, clock, start, end)
    bk = Deadlines(2, Share(1, 2), Share(1, 2), 0.5, 0.5)  # #1 in time, the complaint #4 not
    assert report.deadlines_by_level == {
        1: bk,
        2: Deadlines(3, Share(2, 3), Share(1, 3), 1.25, 6.0),  # #2 late, #3 and #5 in time
    }
    assert report.deadlines_by_team == {  # config order: bk, kreditoren, ..., haushalt
        "bk": bk,
        "kreditoren": Deadlines(1, Share(1, 1), Share(0, 1), 0.75, 0.75),
        "haushalt": Deadlines(2, Share(1, 2), Share(1, 2), 1.25, 6.0),
    }
    assert list(report.deadlines_by_team) == ["bk", "kreditoren", "haushalt"]
    assert [w.opened for w in report.team_weeks["kreditoren"]] == [0, 0, 0, 1, 0, 0]
    assert list(report.team_weeks) == ["bk", "kreditoren", "haushalt"]


def png_title(path: Path) -> str:
    """The Title text chunk of a PNG (and a check that the file is a PNG at all)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"tEXt" and body.startswith(b"Title\x00"):
            return body[6:].decode("latin-1")
        if kind == b"iTXt" and body.startswith(b"Title\x00"):  # non-Latin-1 text, UTF-8
            _, _, rest = body[6 + 2 :].partition(b"\x00")  # flag, method, language
            _, _, text = rest.partition(b"\x00")  # translated keyword
            return text.decode("utf-8")
        offset += 12 + length
    raise AssertionError("no Title in the PNG")


async def test_the_weekly_chart_is_a_png_with_its_title(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, tmp_path: Path
) -> None:
    await seed_november(config, sessions, clock)
    start, end = period(config, date(2026, 11, 1), date(2026, 11, 30))
    async with sessions() as session:
        report = await build(session, config, clock, start, end)
    path = chart.to_png(config, report, tmp_path / "chart.png")
    title = png_title(path)
    assert title == chart.title(config, report)
    assert "Fristeinhaltung und Volumen je Woche" in title


async def test_leads_ask_for_the_month_in_chat(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_november(config, sessions, clock)
    clock.set(berlin(2026, 12, 2, 9, 0))
    hotline = Harness(config, sessions, clock)
    answer = texts(await hotline.say("leitung.hoffmann", "/bericht 2026-11"))
    assert re.search(r"\nAnliegen \(Tickets\) +4\b", answer), answer
    assert "Fristen je Team" in answer
    assert "mit einer" not in answer
    assert "2026-11" in texts(await hotline.say("leitung.hoffmann", "/bericht November"))
    refused = texts(await hotline.say("schule.sonne", "/bericht"))
    assert "Abteilungsleitungen" in refused


@pytest.mark.parametrize(("text", "first", "last"), [("2026-02", 1, 28), ("2028-02", 1, 29)])
def test_month_periods(config: OrgConfig, text: str, first: int, last: int) -> None:
    start, end = month(config, text, date(2026, 12, 2))
    assert (start.day, (end.date().toordinal() - start.date().toordinal())) == (first, last)


async def test_first_reaction_survives_a_handoff_and_waiting_is_no_miss(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    service = TicketService(config, clock)

    async def at(moment: tuple[int, ...], action: object) -> object:
        clock.set(berlin(*moment))
        async with sessions() as session, session.begin():
            return await action(session)  # type: ignore[operator]

    request = NewRequest(topic_id="belegstand", customer_group_id="f1-f3", description="x")
    first = await at(
        (2026, 11, 2, 9, 0), lambda s: service.open_ticket(s, requester=ALICE, request=request)
    )
    await at((2026, 11, 2, 9, 30), lambda s: service.claim(s, ticket_id=first.id, actor=BK))
    await at(
        (2026, 11, 3, 9, 0),
        lambda s: service.handoff(s, ticket_id=first.id, actor=BK, team_id="haushalt", reason="r"),
    )
    await at((2026, 11, 5, 9, 0), lambda s: service.claim(s, ticket_id=first.id, actor=HH))
    waiting = await at(
        (2026, 11, 9, 9, 0), lambda s: service.open_ticket(s, requester=BOB, request=request)
    )
    await at((2026, 11, 9, 9, 30), lambda s: service.claim(s, ticket_id=waiting.id, actor=BK))
    await at(
        (2026, 11, 9, 10, 0), lambda s: service.ask(s, ticket_id=waiting.id, actor=BK, question="?")
    )
    clock.set(berlin(2026, 11, 30, 12, 0))  # the second ticket still waits for its requester
    start, end = period(config, date(2026, 11, 1), date(2026, 11, 30))
    async with sessions() as session:
        report = await build(session, config, clock, start, end)
    # BK claimed after 0.5 office hours, budget two days later: 0.5 counts, for both tickets.
    assert (report.response_hours_median, report.response_hours_p90) == (0.5, 0.5)
    assert (report.resolution.hits, report.resolution.total) == (0, 1)  # only the first
