"""Starting the Matrix adapter: the device follows the token (whoami at every start), a
homeserver that is away at start is retried in the background instead of ending the service,
and an event the engine fails on goes back to the inbox worker instead of being dropped."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nio import WhoamiError, WhoamiResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import login as login_module
from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.login import DEVICE_ID, key_store, login
from adapters.matrix.settings import MatrixSettings, MatrixSetupError
from bot.config.loader import load_config
from bot.delivery import DeliveryError
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, Notice, Target, inbound_to_json
from storage.repositories import platform_state

Sessions = async_sessionmaker[AsyncSession]
BOT = "@hotline:localhost"


def settings(tmp_path: Path) -> MatrixSettings:
    return MatrixSettings("http://127.0.0.1:1", BOT, "token", ("localhost",), tmp_path / "store")


class Client:
    """nio's login part: whoami answers as told; restore_login is recorded."""

    should_upload_keys = False

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.access_token = ""
        self.restored: tuple[str, str, str] | None = None
        self.closed = False

    async def whoami(self) -> Any:
        return self.answer

    def restore_login(self, user_id: str, device_id: str, token: str) -> None:
        self.restored = (user_id, device_id, token)

    async def close(self) -> None:
        self.closed = True


async def stored_device(sessions: Sessions) -> str | None:
    async with sessions() as session:
        return await platform_state.get_value(session, platform="matrix", key=DEVICE_ID)


async def test_a_token_of_another_device_moves_the_bot_to_that_device(
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with sessions() as session, session.begin():
        await platform_state.set_value(
            session, platform="matrix", key=DEVICE_ID, value="OLDDEVICE", at=clock.now()
        )
    client = Client(WhoamiResponse(BOT, "NEWDEVICE", False))
    monkeypatch.setattr(login_module, "new_client", lambda _: client)
    with caplog.at_level(logging.WARNING, logger="adapters.matrix.login"):
        assert await login(settings(tmp_path), sessions, clock) is client
    assert client.restored == (BOT, "NEWDEVICE", "token")
    assert await stored_device(sessions) == "NEWDEVICE"
    assert any("OLDDEVICE" in record.getMessage() for record in caplog.records)


async def test_the_same_device_is_kept_quietly(
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(WhoamiResponse(BOT, "DEVICE", False))
    monkeypatch.setattr(login_module, "new_client", lambda _: client)
    await login(settings(tmp_path), sessions, clock)
    store = key_store(settings(tmp_path), "DEVICE")
    store.parent.mkdir(parents=True)
    store.touch()  # as nio's restore_login makes it
    with caplog.at_level(logging.WARNING, logger="adapters.matrix.login"):
        await login(settings(tmp_path), sessions, clock)
    assert await stored_device(sessions) == "DEVICE" and caplog.records == []


async def test_a_known_device_without_its_key_store_is_an_error(
    sessions: Sessions,
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A standby taking over with a key store of its own (not the shared one)."""
    client = Client(WhoamiResponse(BOT, "DEVICE", False))
    monkeypatch.setattr(login_module, "new_client", lambda _: client)
    await login(settings(tmp_path), sessions, clock)
    with caplog.at_level(logging.WARNING, logger="adapters.matrix.login"):
        await login(settings(tmp_path), sessions, clock)
    [record] = caplog.records
    assert record.levelno == logging.ERROR and "store_path" in record.getMessage()


async def test_an_invalid_token_is_a_setup_error(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(WhoamiError.from_dict({"errcode": "M_UNKNOWN_TOKEN", "error": "bad"}))
    monkeypatch.setattr(login_module, "new_client", lambda _: client)
    with pytest.raises(MatrixSetupError):
        await login(settings(tmp_path), sessions, clock)
    assert client.closed


class Loop:
    """A sync loop that only runs."""

    async def run(self) -> None:
        await asyncio.Event().wait()


def adapter(sessions: Sessions, clock: FrozenClock, tmp_path: Path) -> MatrixAdapter:
    return MatrixAdapter(settings(tmp_path), load_config(None), sessions, clock)


async def nothing(inbound: Inbound) -> None:
    pass


async def test_a_homeserver_away_at_start_is_retried_in_the_background(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    made = adapter(sessions, clock, tmp_path)
    attempts: list[int] = []

    async def connect() -> Any:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            raise aiohttp.ClientConnectionError("connection refused")
        return Loop()

    made._connect = connect  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.adapter"):
        await made.start(nothing)  # returns: the service runs on (other platforms too)
    assert attempts == [0] and not made._ready.is_set()
    assert any("not usable at start" in record.getMessage() for record in caplog.records)
    await asyncio.wait_for(made._ready.wait(), 5)
    assert attempts == [0, 1]
    assert {task.get_name() for task in made._tasks} >= {"matrix-sync", "matrix-inbox"}
    await made.stop()


async def test_a_setup_error_at_start_is_not_retried(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path
) -> None:
    made = adapter(sessions, clock, tmp_path)

    async def connect() -> Any:
        raise MatrixSetupError("the Matrix access token is not valid")

    made._connect = connect  # type: ignore[method-assign]
    with pytest.raises(MatrixSetupError):
        await made.start(nothing)
    assert made._tasks == []


async def test_an_engine_failure_goes_back_to_the_inbox_worker(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path
) -> None:
    made = adapter(sessions, clock, tmp_path)

    async def failing(inbound: Inbound) -> None:
        raise OSError("database is locked")

    made._on_inbound = failing
    made.rooms = object()  # type: ignore[assignment]
    inbound = Inbound(
        "matrix", "!team:localhost", "@anna:localhost", "$1", "/queue", is_direct=False
    )
    with pytest.raises(OSError, match="database is locked"):
        await made._handle_stored({"kind": "message", "inbound": inbound_to_json(inbound)})


async def test_a_setup_error_in_the_background_start_ends_the_retries(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The homeserver was away at start; when it answers, the token turns out revoked:
    logged as critical once, no more attempts, and the adapter reports not ready."""
    made = adapter(sessions, clock, tmp_path)
    attempts: list[int] = []

    async def connect() -> Any:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            raise aiohttp.ClientConnectionError("connection refused")
        raise MatrixSetupError("the Matrix access token is not valid")

    made._connect = connect  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.adapter"):
        await made.start(nothing)
        await asyncio.wait_for(asyncio.gather(*made._tasks), 5)  # the retries end
    assert attempts == [0, 1] and not made.ready
    assert isinstance(made.setup_error, MatrixSetupError)
    critical = [record for record in caplog.records if record.levelno == logging.CRITICAL]
    assert len(critical) == 1 and "access token is not valid" in critical[0].getMessage()
    with pytest.raises(DeliveryError) as refused:  # at once, not after the 30 s start wait
        await asyncio.wait_for(
            made.send(Target("matrix", "user", "@anna:localhost"), Notice(text="x"), outbox_id=1),
            1,
        )
    assert not refused.value.permanent
    await made.stop()
