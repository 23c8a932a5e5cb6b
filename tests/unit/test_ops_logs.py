"""The operators' log: JSON lines with stable keys, parsed back; text stays the default.

The delivery failure is logged by the real outbox sender against a refusing platform, on
the database of the storage fixture, and its line is parsed as a log shipper would."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryError, InboundHandler, OutboxSender
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from bot.ops.logs import JsonFormatter, configure, log_format
from storage.repositories import outbox

SECRET_TEXT = "Meine Kontonummer ist DE02 1203 0000 0000 2020 51"


class Refusing:
    platform = "teams"

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        raise DeliveryError("502 Bad Gateway from the Bot Connector", retry_after=30)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_a_failed_delivery_is_one_json_line_with_status_and_retry_time(
    json_lines: io.StringIO,
    sessions: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            target=Target("teams", "user", "29:anna"),
            payload=Notice(text=SECRET_TEXT).to_json(),
            at=clock.now(),
        )
    sender = OutboxSender(sessions, {"teams": Refusing()}, clock, instance_id="instance-a")
    await sender.deliver_due()
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    (failed,) = [line for line in lines if line["event"] == "delivery_failed"]
    assert failed["level"] == "info"
    assert failed["platform"] == "teams" and failed["outcome"] == "retry"
    assert failed["status"] == "502 Bad Gateway from the Bot Connector"
    assert failed["retry_at"] == "2026-11-30T08:00:30+00:00"  # 09:00:30 Berlin, as asked
    assert failed["instance"] == "instance-a"
    assert failed["time"].endswith("+00:00")
    assert SECRET_TEXT not in json_lines.getvalue()  # the notice's body is never logged


def test_exceptions_carry_their_type_and_traceback(json_lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.escalation.sweep").exception("sweep failed")
    line = json.loads(json_lines.getvalue().splitlines()[-1])
    assert line["event"] == "sweep_error"
    assert line["error"] == "ValueError" and "Traceback" in line["traceback"]


def test_the_format_comes_from_the_option_then_the_environment() -> None:
    assert log_format(None, {}) == "text"
    assert log_format(None, {"HOTLINE_LOG_FORMAT": "json"}) == "json"
    assert log_format("text", {"HOTLINE_LOG_FORMAT": "json"}) == "text"
    assert log_format(None, {"HOTLINE_LOG_FORMAT": "xml"}) == "text"


def test_configure_replaces_the_handlers(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        configure(logging.INFO, "json")
        logging.getLogger("bot.runtime").info(
            "hotline serving matrix", extra={"event": "bot_started"}
        )
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["event"] == "bot_started" and line["logger"] == "bot.runtime"
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
