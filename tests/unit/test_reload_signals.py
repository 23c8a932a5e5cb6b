"""SIGHUPs arriving while a reload runs fold into one more reload (bot/runtime.py Reloads):
the file read last is the one in force, and reloads never run side by side."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot import runtime
from bot.app import App
from bot.runtime import Reloads

APP = cast(App, SimpleNamespace(config_file=Path("hotline.yaml")))  # all the fake reads


async def test_signals_during_a_reload_fold_into_one_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[asyncio.Event] = []
    release = asyncio.Event()
    running = 0
    most = 0

    async def reload_config(app: Any, path: Path | None) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        started.append(asyncio.Event())
        started[-1].set()
        await release.wait()
        running -= 1

    monkeypatch.setattr(runtime, "reload_config", reload_config)
    reloads = Reloads(APP)
    reloads.request()
    for _ in range(100):  # a few loop turns: the reload task starts and waits
        if started:
            break
        await asyncio.sleep(0)
    assert started
    for _ in range(3):
        reloads.request()  # three more signals while the first reload waits
    release.set()
    await reloads.finish()
    assert len(started) == 2 and most == 1


async def test_a_failing_reload_is_logged_and_the_next_signal_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    async def reload_config(app: Any, path: Path | None) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")

    monkeypatch.setattr(runtime, "reload_config", reload_config)
    reloads = Reloads(APP)
    reloads.request()
    await reloads.finish()
    assert "config reload failed" in caplog.text
    reloads.request()
    await reloads.finish()
    assert len(calls) == 2
