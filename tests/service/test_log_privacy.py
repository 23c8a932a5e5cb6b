"""Logs never carry message bodies, user ids or payloads, also when a statement fails
inside a turn (repro, issue 14: SQLAlchemy printed the parameters of the failing statement,
so the user's message landed in the ERROR log)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.command_runner import Turn
from bot.conversation.router import Router
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
USER = "schule.geheimnis"
BODY = "Meine Steuer-ID ist 12 345 678 901"


async def test_a_failing_turn_logs_neither_the_message_nor_the_person(
    config: OrgConfig,
    sessions: Sessions,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing_route(self: Router, turn: Turn) -> list[Notice]:
        statement = text("INSERT INTO no_such_table (body, who) VALUES (:body, :who)")
        await turn.session.execute(statement, {"body": turn.inbound.text, "who": USER})
        return []

    monkeypatch.setattr(Router, "route", failing_route)
    hotline = Harness(config, sessions, clock)
    with caplog.at_level(logging.DEBUG):
        answer = texts(await hotline.say(USER, BODY))
    assert "schiefgelaufen" in answer  # the apology, and the message kept in the audit log
    logged = "\n".join([record.getMessage() for record in caplog.records] + [caplog.text])
    assert "no_such_table" in logged  # the failure itself is logged ...
    assert BODY not in logged and "12 345 678 901" not in logged  # ... without the message
    assert USER not in logged  # ... and without the person
