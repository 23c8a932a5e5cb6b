"""Batching by load (bot/kernel/batches.py): alone at once, under load together."""

from __future__ import annotations

import asyncio

import pytest

from bot.kernel.batches import Batcher


async def test_items_arriving_during_a_flush_share_the_next_one() -> None:
    flushed: list[list[int]] = []
    gate, began = asyncio.Event(), asyncio.Event()

    async def flush(items: list[int]) -> list[int]:
        flushed.append(items)
        began.set()
        if len(flushed) == 1:
            await gate.wait()
        return [item * 10 for item in items]

    batcher: Batcher[int, int] = Batcher(flush)
    first = asyncio.create_task(batcher.submit(1))
    await began.wait()  # the first item is flushed alone, at once
    later = [asyncio.create_task(batcher.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40]
    assert flushed == [[1], [2, 3, 4]]


async def test_a_failed_flush_fails_its_items_only() -> None:
    calls = 0

    async def flush(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionRefusedError("away")
        return items

    batcher: Batcher[str, str] = Batcher(flush)
    with pytest.raises(ConnectionRefusedError):
        await batcher.submit("a")
    assert await batcher.submit("b") == "b"
