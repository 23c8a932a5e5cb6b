"""Calls in the report: counted per channel, and a call solved on the spot is resolved at
first contact (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import date

from bot.config.model import OrgConfig
from bot.domain.requests import PhoneCall
from bot.kernel.clock import FrozenClock
from bot.reports import csv_export, render
from bot.reports.metrics import Share
from bot.reports.service import build, period
from bot.service.phone import PhoneNotes
from bot.service.tickets import TicketService
from tests.conftest import berlin
from tests.service.report_seed import BK, seed_november
from tests.service.sweep_support import Sessions


def call(*, solved: bool) -> PhoneCall:
    return PhoneCall(
        caller="Frau Sommer",
        customer_group_id="f1-f3",
        topic_id="haushalt",
        description="Mittel für Lehrmittel",
        contact_kind="phone",
        contact="+492211234567",
        solved=solved,
    )


async def test_calls_are_counted_per_channel_and_solved_calls_at_first_contact(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await seed_november(config, sessions, clock)
    notes = PhoneNotes(config, clock, TicketService(config, clock))
    for day, solved in ((10, True), (11, False)):
        clock.set(berlin(2026, 11, day, 10, 0))
        async with sessions() as session, session.begin():
            await notes.record(session, staff=BK, call=call(solved=solved), known=None)
    clock.set(berlin(2026, 12, 2, 9, 0))
    start, end = period(config, date(2026, 11, 1), date(2026, 11, 30))
    async with sessions() as session:
        report = await build(session, config, clock, start, end)
    assert report.tickets == 6
    assert report.by_channel == {"chat": 4, "phone": 2}
    assert report.first_contact_by_channel == {"chat": Share(3, 6), "phone": Share(1, 2)}
    assert (report.first_contact.hits, report.first_contact.total) == (4, 8)  # + the call
    assert report.by_team == {"bk": 3, "haushalt": 3}  # the solved call is Team BK's

    markdown = render.to_markdown(config, report)
    assert "## Nach Eingang" in markdown
    assert "| Telefon | 2 | 50,0 % (1/2) |" in markdown
    assert "| Chat | 4 | 50,0 % (3/6) |" in markdown
    lines = csv_export.to_csv(config, report).decode("utf-8-sig").splitlines()
    assert "Eingang;Telefon;Anliegen (Tickets);2;Anzahl;;" in lines
    assert "Eingang;Telefon;Beim ersten Kontakt gelöst;50,0;%;1;2" in lines
    assert "Eingang;Chat;Beim ersten Kontakt gelöst;50,0;%;3;6" in lines
