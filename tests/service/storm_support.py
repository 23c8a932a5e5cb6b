"""A deadline storm on a travelling clock: many tickets miss their deadlines while the bot
runs (it sweeps and delivers at every moment something falls due), and what each person's
chat received meanwhile."""

from __future__ import annotations

import collections
import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from adapters.local.adapter import LocalChatAdapter
from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from storage.models import LocalMessageRow, OutboxRow, TicketRow
from tests.service.sweep_support import Sessions


async def next_moment(sessions: Sessions, now: datetime) -> datetime | None:
    """The earliest moment after `now` at which a ticket or an outbox row falls due."""
    async with sessions() as session:
        ticket = await session.scalar(
            select(func.min(TicketRow.next_action_at)).where(TicketRow.next_action_at > now)
        )
        row = await session.scalar(
            select(func.min(OutboxRow.next_attempt_at)).where(
                OutboxRow.next_attempt_at > now, OutboxRow.delivered_at.is_(None)
            )
        )
    found = [moment for moment in (ticket, row) if moment is not None]
    return min(found) if found else None


async def live_bot(
    config: OrgConfig,
    sessions: Sessions,
    clock: FrozenClock,
    until: datetime,
    *,
    only: Sequence[str] | None = None,
) -> int:
    """Run the bot from now until `until`: at every moment something falls due, sweep and
    deliver (as the running bot does within its sweep interval); `only`: deliver to these
    addresses only (the staff DMs a test counts, not a thousand channel posts). Returns the
    sweep rounds."""
    sweeper = Sweeper(config, sessions, clock)
    sender = OutboxSender(
        sessions,
        {"local": LocalChatAdapter(sessions, clock)},
        clock,
        bundling=config.escalation.bundling,
    )
    rounds = 0
    while True:
        await sweeper.sweep()
        for address in only or [None]:
            while await sender.deliver_due(batch=500, address=address):
                pass
        rounds += 1
        moment = await next_moment(sessions, clock.now())
        if moment is None or moment > until:
            return rounds
        clock.set(moment)


async def received(sessions: Sessions, after_id: int = 0) -> collections.Counter[str]:
    """Messages each local conversation received (after message id `after_id`)."""
    async with sessions() as session:
        rows = await session.execute(
            select(LocalMessageRow.conversation, func.count())
            .where(LocalMessageRow.id > after_id)
            .group_by(LocalMessageRow.conversation)
        )
        return collections.Counter({str(name): int(count) for name, count in rows.all()})


async def last_message_id(sessions: Sessions) -> int:
    """The newest local message's id (0 when there is none)."""
    async with sessions() as session:
        return int(await session.scalar(select(func.max(LocalMessageRow.id))) or 0)


async def received_dms(sessions: Sessions, address: str) -> list[Notice]:
    """The notices a person's local chat received, in order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(LocalMessageRow.payload)
            .where(LocalMessageRow.conversation == f"user:{address}")
            .order_by(LocalMessageRow.id)
        )
        return [Notice.from_json(payload) for payload in rows.all()]


async def dms_by_kind(sessions: Sessions, address: str) -> collections.Counter[str]:
    """The bundlable DMs a person's local chat received, counted by kind."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxRow.bundle_kind)
            .join(LocalMessageRow, LocalMessageRow.outbox_id == OutboxRow.id)
            .where(LocalMessageRow.conversation == f"user:{address}")
        )
        return collections.Counter(str(kind) for (kind,) in rows.all() if kind is not None)


_LINE = re.compile(r"^(?:Nr\.|No\.) (\d+) ·", re.MULTILINE)
_ALSO = re.compile(r"^(?:Außerdem: Nr\.|Also: no\.) ([\d, ]+)$", re.MULTILINE)


def listed(payload: dict[str, object]) -> list[int]:
    """The tickets a delivered DM names: its own, or the ones a bundle lists."""
    if payload.get("ticket_id") is not None:
        return [int(str(payload["ticket_id"]))]
    text = str(payload["text"])
    numbers = [int(found) for found in _LINE.findall(text)]
    for group in _ALSO.findall(text):
        numbers += [int(number) for number in group.split(", ")]
    return numbers


async def delivered_tickets(
    sessions: Sessions, address: str
) -> dict[str, collections.Counter[int]]:
    """Per kind: how often each ticket was named in the DMs a person received."""
    found: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxRow.bundle_kind, LocalMessageRow.payload)
            .join(LocalMessageRow, LocalMessageRow.outbox_id == OutboxRow.id)
            .where(LocalMessageRow.conversation == f"user:{address}")
        )
        for kind, payload in rows.all():
            if kind is not None:
                found[str(kind)].update(listed(payload))
    return found
