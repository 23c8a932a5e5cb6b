"""The outbox sender when the database breaks off a delivery round (issue 14: five answers
waited the whole 5-minute lease after a 15 s outage, because the rows of the round stayed
leased by an instance that lived on). What the round left is settled at the next one: a
send that was made but not recorded is recorded and never made again; rows leased but not
tried, and the rows of a claim whose commit failed, go back at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryError, OutboxSender
from bot.kernel.clock import FrozenClock
from storage.models import OutboxRow
from storage.repositories import outbox
from tests.service.test_outbox_sender import FlakyAdapter, _enqueue

Sessions = async_sessionmaker[AsyncSession]
AWAY = ConnectionRefusedError(111, "Connect call failed")


def fail_once(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The next call of outbox.`name` finds the database gone; later calls work."""
    real = getattr(outbox, name)
    calls = [0]

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise AWAY
        return await real(*args, **kwargs)

    monkeypatch.setattr(outbox, name, flaky)


async def _statuses(sessions: Sessions) -> list[tuple[str, bool]]:
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        return [(row.status, row.lease_until is not None) for row in rows]


async def test_a_send_not_recorded_is_recorded_later_and_never_sent_again(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _enqueue(sessions, clock, "Antwort")
    adapter = FlakyAdapter([])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    fail_once(monkeypatch, "mark_delivered")
    with pytest.raises(ConnectionRefusedError):
        await sender.deliver_due()
    assert await sender.deliver_due() == 0
    assert [text for _, text, _ in adapter.sent] == ["Antwort"]  # once
    assert await _statuses(sessions) == [("delivered", False)]


async def test_rows_of_a_broken_round_go_back_at_once(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for text in ("Antwort 1", "Antwort 2"):
        await _enqueue(sessions, clock, text)
    adapter = FlakyAdapter([DeliveryError("502 from the homeserver")])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    fail_once(monkeypatch, "mark_failed")  # recording the failure meets the outage
    with pytest.raises(ConnectionRefusedError):
        await sender.deliver_due()
    assert await sender.deliver_due() == 2  # not 5 minutes later: the clock stands still
    assert [text for _, text, _ in adapter.sent] == ["Antwort 1", "Antwort 2"]


async def test_the_rows_of_a_claim_whose_commit_failed_go_back_at_once(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _enqueue(sessions, clock, "Antwort")
    real = outbox.claim_due
    broken = [True]

    async def committed_then_lost(_session: AsyncSession, **kwargs: Any) -> Any:
        if not broken[0]:
            return await real(_session, **kwargs)
        broken[0] = False
        async with sessions() as other, other.begin():  # the lease is taken and committed ...
            await real(other, **kwargs)
        raise AWAY  # ... but the answer to the commit never arrives

    monkeypatch.setattr(outbox, "claim_due", committed_then_lost)
    adapter = FlakyAdapter([])
    sender = OutboxSender(sessions, {"matrix": adapter}, clock)
    with pytest.raises(ConnectionRefusedError):
        await sender.deliver_due()
    assert await _statuses(sessions) == [("pending", True)]  # leased by this live sender
    assert await sender.deliver_due() == 1
    assert [text for _, text, _ in adapter.sent] == ["Antwort"]
