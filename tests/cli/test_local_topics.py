"""Scripted local-chat sessions (parse -> engine -> outbox -> local adapter -> render), one per
topic of the sample: every request reaches its configured team with the SLA clock's deadline."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.local.shell import Shell
from bot.app import App, build_app
from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.i18n.formatting import format_deadline
from bot.kernel.clock import FrozenClock
from bot.sla import calendar_for, due_at
from dialogs.intake_prompts import Context, knowledge_for
from storage.migrate import upgrade
from tests.conftest import BERLIN, berlin

SAMPLE = load_config(None)
TOPICS = [t.id for t in SAMPLE.topics if t.kind in ("request", "complaint")]


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    clock = FrozenClock(berlin(2026, 11, 30, 13, 31))  # Monday: under 2 h left today
    built = build_app(config=SAMPLE, url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", clock=clock)
    await upgrade(built.db)
    yield built
    await built.close()


def _script(config: OrgConfig, topic_id: str) -> list[str]:
    topic = config.topic(topic_id)
    lines = ["Hallo", "1", topic.parent or topic.id]
    if topic.parent is not None or config.subtopics(topic.id):
        lines.append(topic.id)  # the sub-topic menu: the sub-topic, or "general" by its id
    entries = knowledge_for(topic.id, Context(config, "de"))
    if len(entries) == 1:
        lines.append("nein")
    elif entries:
        lines.append("Meine Frage ist nicht dabei")
    lines.append("Bitte um Klärung bis Freitag")
    lines.append("nein" if topic.kind == "complaint" else "-")
    lines.append("ja")
    return lines


@pytest.mark.parametrize("topic_id", TOPICS)
async def test_topic_through_the_local_chat(app: App, topic_id: str) -> None:
    out = io.StringIO()
    shell = Shell(
        user_id="schule.sonne",
        display_name=None,
        locale="de",
        config=app.config,
        engine=app.engine,
        sender=app.sender,
        out=out,
    )
    await shell.run_script(io.StringIO("\n".join(_script(app.config, topic_id)) + "\n"))
    printed = out.getvalue()
    topic = app.config.topic(topic_id)
    team = app.config.team(topic.team)
    policy = app.config.sla.policies[app.config.sla.targets_for(team.level).first_response]
    now = app.engine.clock.now()
    due = due_at(policy, calendar_for(app.config, team.id), now)
    assert due.astimezone(BERLIN).date().isoformat() == "2026-12-01"
    deadline = format_deadline(due, "de", BERLIN, now)
    if topic.kind == "complaint":
        assert "vertraulich beim Beschwerdemanagement eingegangen" in printed
    else:
        name = team.shown_to_requesters("de")  # requesters read no internal team codes
        assert f"bei {name} eingegangen. Antwort spätestens {deadline}." in printed
