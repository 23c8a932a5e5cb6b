"""A marker written into every place a person's text can go, and found again anywhere in the
database: every column of every table of the models, so a table added later is scanned too."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.local.adapter import LocalChatAdapter
from adapters.local.shell import typed_row
from bot.delivery import OutboxSender
from bot.kernel.notices import Inbound, Notice, Target, inbound_to_json
from storage.models import Base, OutboxRow
from storage.repositories import audit, inbox, local_chat, outbox, platform_state
from tests.harness import Harness, button, texts

MANAGER = "bk.yilmaz"  # complaint manager
HAUSHALT = "hh.schneider"
DEBITOREN = "deb.keller"


@dataclass(frozen=True)
class Written:
    """The tickets a person filed while the marker was written."""

    complaint: int
    rated: int
    first: int
    second: int


async def scan(sessions: async_sessionmaker[AsyncSession], needle: str) -> set[str]:
    """Every "table.column" whose stored value contains `needle` (JSON as text)."""
    found: set[str] = set()
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                found |= {
                    f"{table.name}.{column}"
                    for column, value in row.items()
                    if needle in _text(value)
                }
    return found


async def database_tables(sessions: async_sessionmaker[AsyncSession]) -> set[str]:
    """The tables the database holds (its own schema, as migrated)."""
    async with sessions() as session:
        connection = await session.connection()
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


async def write_everywhere(
    hotline: Harness, who: str, marker: str, *, finish: bool = False, adapter_state: bool = True
) -> Written:
    """`who` leaves `marker` in every path their text takes; with `finish`, every ticket
    ends resolved (so retention can reach it)."""
    complaint = await hotline.file_request(who, topic="beschwerde", text=f"Beschwerde {marker}")
    await hotline.say(MANAGER, f"/resolve {complaint} Wir haben mit dem Team gesprochen.")
    rated = await hotline.file_request(who, topic="haushalt", text=f"Frage {marker}")
    await hotline.say(HAUSHALT, f"/claim {rated}")
    await hotline.say(HAUSHALT, f"/resolve {rated} Ist gebucht.")
    await hotline.say(who, f"/bewertung {rated} 2 Kommentar {marker}")
    first = await hotline.file_request(who, topic="haushalt", text=f"Mittel fehlen {marker}")
    second = await hotline.file_request(who, topic="debitoren", text=f"Doppelt {marker}")
    for agent, number in ((HAUSHALT, first), (DEBITOREN, second)):
        await hotline.say(agent, f"/claim {number}")
        await hotline.say(agent, f"/ask {number} Welche Kostenstelle?")
    which = await hotline.say(who, f"Antwort {marker}")  # to which request? picked:
    assert await hotline.say(who, action_id=button(which, f"reply:{first}"))
    await _begin_request(hotline, who, "local")  # a new request: its text is asked for...
    hotline.clock.advance(timedelta(minutes=3))
    await hotline.say(HAUSHALT, f"/ask {first} Und der Betrag?")  # ...when a question comes
    held = await hotline.say(who, f"Noch offen {marker}")  # held: which does it belong to?
    assert "Wozu gehört" in texts(held)
    if finish:
        await hotline.say(HAUSHALT, f"/resolve {first} Erledigt.")
        await hotline.say(DEBITOREN, f"/resolve {second} Erledigt.")
    await _half_written(hotline, who, f"Entwurf {marker}")
    await _typed_not_sent(hotline, who, f"Getippt {marker}")
    await deliver_local(hotline)
    await _transport(hotline, who, marker, about=first)
    if adapter_state:
        await _adapter_state(hotline, who, marker)
    return Written(complaint, rated, first, second)


async def _begin_request(hotline: Harness, who: str, platform: str) -> None:
    """Walk a new request up to the question for its description."""
    notices = await hotline.say(who, "/neu", platform=platform)
    if any(c.id.startswith("group:") for n in notices for c in n.choices[:1]):
        notices = await hotline.say(who, "1", platform=platform)
    notices = await hotline.say(who, action_id="topic:haushalt", platform=platform)
    for _ in range(3):  # sub-topic menu, FAQ menu, "did it help?"
        for wanted in ("answer:none", "confirm:no"):
            if (pressed := button(notices[-1:], wanted)) is not None:
                notices = await hotline.say(who, action_id=pressed, platform=platform)
                break


async def _half_written(hotline: Harness, who: str, text: str) -> None:
    """A request begun on Teams (the same id there) whose description is typed, not sent."""
    await _begin_request(hotline, who, "teams")
    await hotline.say(who, text, platform="teams")


async def _typed_not_sent(hotline: Harness, who: str, text: str) -> None:
    """A line typed into a local shell, journalled; its turn has not run."""
    line = Inbound("local", f"user:{who}", who, uuid.uuid4().hex, text=text)
    async with hotline.sessions() as session, session.begin():
        await local_chat.keep_typed(session, typed_row(line, hotline.clock.now()))


async def deliver_local(hotline: Harness) -> None:
    """Every local notice delivered: cards and messages land in the local chat."""
    adapters = {"local": LocalChatAdapter(hotline.sessions, hotline.clock)}
    await OutboxSender(hotline.sessions, adapters, hotline.clock).deliver_due()


async def _transport(hotline: Harness, who: str, marker: str, *, about: int) -> None:
    """Raw Matrix events in the inbox (a message, a reaction), notices waiting and given up
    in the outbox, and a message that failed kept in the audit log."""
    now = hotline.clock.now()
    message = Inbound("matrix", "!dm:stadt.example", who, f"$m-{marker}", text=f"Matrix {marker}")
    reaction = {"kind": "reaction", "room_id": "!dm:stadt.example", "sender": who}
    async with hotline.sessions() as session, session.begin():
        await inbox.put(
            session,
            platform="matrix",
            event_id=message.event_id,
            payload={"kind": "message", "inbound": inbound_to_json(message)},
            at=now,
        )
        await inbox.put(
            session,
            platform="matrix",
            event_id=f"$r-{marker}",
            payload={**reaction, "event_id": f"$r-{marker}", "reacts_to": "$card", "key": "👍"},
            at=now,
        )
        for target in (Target("local", "user", HAUSHALT), Target("teams", "user", HAUSHALT)):
            notice = Notice(text=f"Erinnerung {marker}", ticket_id=about, channel_safe=False)
            await outbox.enqueue(session, target=target, payload=notice.to_json(), at=now)
        dropped = Notice(text=f"Nicht verschickt: {marker}", channel_safe=False)  # no ticket
        await outbox.enqueue(
            session, target=Target("teams", "user", who), payload=dropped.to_json(), at=now
        )
        last = await session.scalar(select(OutboxRow.id).order_by(OutboxRow.id.desc()).limit(1))
        assert last is not None
        await outbox.mark_failed(session, outbox_id=last, error="gone", retry_at=None)
        await audit.audit(
            session,
            at=now,
            platform="local",
            user_id=who,
            action="inbound_failed",
            detail={"event_id": "e-failed", "text": f"Kaputt {marker}", "action_id": None},
        )


async def _adapter_state(hotline: Harness, who: str, marker: str) -> None:
    """What adapters keep per person: a Matrix DM room, a Teams reference with the name."""
    now = hotline.clock.now()
    reference = {"conversation_id": "a:1", "user": {"id": who, "name": f"Name {marker}"}}
    async with hotline.sessions() as session, session.begin():
        await platform_state.set_value(
            session,
            platform="teams",
            key=platform_state.person_key(platform_state.TEAMS_USER, who),
            value=json.dumps(reference),
            at=now,
        )
        await platform_state.set_value(
            session,
            platform="matrix",
            key=platform_state.person_key(platform_state.DM, who),
            value="!dm:stadt.example",
            at=now,
        )
