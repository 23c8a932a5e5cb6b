"""A first-level answer that helps, through the local chat (parse -> engine -> outbox -> local
adapter -> render): "ja" ends the conversation without a ticket, and the hotline counts it as
answered at first contact (the stored feedback row and the report's first-contact figure)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.local.shell import Shell
from bot.app import App, build_app
from bot.config.loader import load_config
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.reports import service as reports
from bot.reports.metrics import Share
from storage.migrate import upgrade
from storage.models import KnowledgeFeedbackRow, TicketRow
from storage.repositories.dialog_states import ConversationKey, load_dialog
from tests.conftest import berlin

SAMPLE = load_config(None)
HELPED = "schule.sonne"
NOT_HELPED = "kita.regenbogen"  # not in the config: a requester too
LEAD = "leitung.hoffmann"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """The bot on a fresh SQLite file, Monday 30 November 2026, 10:00."""
    clock = FrozenClock(berlin(2026, 11, 30, 10, 0))
    built = build_app(config=SAMPLE, url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", clock=clock)
    await upgrade(built.db)
    yield built
    await built.close()


async def chat(app: App, user: str, lines: list[str]) -> str:
    """`user` types `lines` into a local shell; everything the shell printed."""
    out = io.StringIO()
    shell = Shell(
        user_id=user,
        display_name=None,
        locale="de",
        config=app.config,
        engine=app.engine,
        sender=app.sender,
        out=out,
    )
    await shell.run_script(io.StringIO("\n".join(lines) + "\n"))
    return out.getvalue()


def test_the_forms_topic_has_exactly_one_answer() -> None:
    # The script relies on it: one FAQ entry means "did it help?" comes right away.
    assert [entry.id for entry in SAMPLE.knowledge_for("formulare")] == ["formulare"]
    assert SAMPLE.topic("formulare").team == "bk"


async def test_a_helpful_answer_closes_without_ticket_and_counts_as_first_contact(
    app: App,
) -> None:
    printed = await chat(app, HELPED, ["Hallo", "1", "formulare", "ja", "/meine"])
    assert "Hat Ihnen das geholfen?" in printed
    assert "Finanzen → Formulare" in printed  # the answer itself was shown
    assert t("intake.glad_to_help", "de") in printed
    assert "eingegangen" not in printed and "Nr. 1" not in printed
    assert "Sie haben noch kein Anliegen gestellt" in printed  # /meine: nothing filed

    async with app.sessions() as session:
        assert (await session.scalars(select(TicketRow))).all() == []
        (row,) = (await session.scalars(select(KnowledgeFeedbackRow))).all()
        stored = await load_dialog(session, key=ConversationKey("local", f"user:{HELPED}", HELPED))
        start, end = reports.month(app.config, None, app.engine.clock.now().date())
        report = await reports.build(session, app.config, app.engine.clock, start, end)
    assert (row.platform, row.user_id, row.topic_id, row.entry_id) == (
        "local",
        HELPED,
        "formulare",
        "formulare",
    )
    assert (row.customer_group_id, row.helped, row.at) == (
        "f1-f3",
        True,
        app.engine.clock.now(),
    )
    assert stored is None or stored.dialog == "idle"  # the conversation is closed
    assert report.tickets == 0
    assert report.first_contact == Share(1, 1)


async def test_the_leads_report_counts_helped_answers_against_tickets(app: App) -> None:
    await chat(app, HELPED, ["Hallo", "1", "formulare", "ja"])
    filed = await chat(
        app,
        NOT_HELPED,
        ["Hallo", "1", "formulare", "nein", "Das Formular X fehlt ganz", "-", "ja"],
    )
    assert "bei Kundenbetreuung und Buchhaltung" in filed and "eingegangen" in filed
    async with app.sessions() as session:
        helped = [row.helped for row in (await session.scalars(select(KnowledgeFeedbackRow)))]
        assert len((await session.scalars(select(TicketRow))).all()) == 1
    assert sorted(helped) == [False, True]
    report = await chat(app, LEAD, ["/bericht"])
    first_contact = next(
        line for line in report.splitlines() if t("report.first_contact", "de") in line
    )
    assert "50,0 % (1/2)" in first_contact, first_contact
