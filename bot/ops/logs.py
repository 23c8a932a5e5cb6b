"""Logging for operators: one line per event, as text or as JSON with stable keys.

Event names are English, lower_snake_case and grep-able (`delivery_failed`, `bot_started`);
the keys beside them are the same everywhere (event, platform, ticket, team, instance,
outcome, duration, status, retry_at). Messages and values never carry what users wrote:
the code passes ids, counts and platform error texts, never a notice's or message's body.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

FORMAT_ENV = "HOTLINE_LOG_FORMAT"
FORMATS = ("text", "json")
KEYS = ("platform", "ticket", "team", "instance", "outcome", "duration", "status", "retry_at")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC), level, logger, event, message, the known
    keys present on the record, and the exception's type and traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or _event_of(record),
            "message": record.getMessage(),
        }
        for key in KEYS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info:
            line["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _event_of(record: logging.LogRecord) -> str:
    """A record without an explicit event: the logger's last part and the level."""
    return f"{record.name.rsplit('.', 1)[-1]}_{record.levelname.lower()}"


def log_format(explicit: str | None, environ: dict[str, str] | None = None) -> str:
    """--log-format wins, then HOTLINE_LOG_FORMAT, then text."""
    env = os.environ if environ is None else environ
    chosen = explicit or env.get(FORMAT_ENV) or "text"
    return chosen if chosen in FORMATS else "text"


def configure(level: int, form: str) -> None:
    """Route the root logger to stderr in the chosen form (replacing earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces its context ("Context impl SQLiteImpl.") at INFO whenever the schema
    # version is read: noise for operators, who see the outcome (or `migrations` in /readyz).
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
