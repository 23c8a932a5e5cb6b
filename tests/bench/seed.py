"""A bot database with many live dialogs and open tickets, for the memory benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

CHUNK = 5_000
TEAMS = ("haushalt", "kreditoren", "debitoren", "anlagen", "bk")  # teams of sample.yaml


def _ticket(number: int, now: datetime) -> dict[str, Any]:
    opened = now - timedelta(minutes=number % 10_000)
    return {
        "version": 1,
        "status": "queued",
        "topic_id": "haushalt",
        "customer_group_id": "f1-f3",
        "team_id": TEAMS[number % len(TEAMS)],
        "level": 1,
        "escalation_level": 0,
        "confidential": False,
        "anonymous": False,
        "description": f"Anliegen {number}: Mittel für Schulbücher fehlen im Budget der Schule",
        "requester_platform": "teams",
        "requester_id": f"aad-{number % 20_000}",
        "requester_name": f"Schule {number % 20_000}",
        "requester_locale": "de",
        "created_at": opened,
        "updated_at": opened,
        "queued_at": opened,
        "first_response_due_at": opened + timedelta(days=1),
        "resolution_due_at": opened + timedelta(days=3),
        "next_due_at": opened + timedelta(days=1),
    }


def _dialog(number: int, now: datetime) -> dict[str, Any]:
    return {
        "platform": "teams",
        "conversation_id": f"a:conversation-{number}",
        "user_id": f"aad-{number}",
        "version": 3,
        "dialog": "intake",
        "state": {"kind": "AskTopic", "group": "f1-f3"},
        "updated_at": now - timedelta(seconds=number),
    }


def _profile(number: int, now: datetime) -> dict[str, Any]:
    return {
        "platform": "teams",
        "user_id": f"aad-{number}",
        "customer_group_id": "f1-f3",
        "locale": "de",
        "display_name": f"Schule {number}",
        "updated_at": now,
    }


async def seed(url: str, *, dialogs: int, tickets: int) -> None:
    """Migrate the database at `url`; add `dialogs` live intake dialogs (with profiles) and
    `tickets` open tickets."""
    from storage.engine import make_engine
    from storage.migrate import upgrade
    from storage.models import DialogStateRow, TicketRow, UserProfileRow

    engine = make_engine(url)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        plan = (
            (TicketRow, tickets, _ticket),
            (DialogStateRow, dialogs, _dialog),
            (UserProfileRow, dialogs, _profile),
        )
        for model, count, make in plan:
            for start in range(0, count, CHUNK):
                rows = [make(n, now) for n in range(start, min(start + CHUNK, count))]
                async with engine.begin() as connection:
                    await connection.execute(insert(model), rows)
    finally:
        await engine.dispose()
