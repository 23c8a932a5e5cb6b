"""How the Matrix adapter's sends map nio's answers to DeliveryError, without a homeserver:
429 waits as long as the homeserver asks, refusals are permanent, a room nio has not synced
yet is waited for (and never reported as an adapter bug)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from nio import LocalProtocolError, RoomSendError, RoomSendResponse

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.errors import MatrixDeliveryError
from adapters.matrix.settings import MatrixSettings
from bot.config.loader import load_config
from bot.delivery import DeliveryError
from bot.kernel.clock import FrozenClock
from tests.conftest import berlin

ROOM = "!dm:localhost"


class Client:
    """nio's room_send and rooms: answers given in advance; 'no room' raises as nio does."""

    def __init__(self, *answers: Any, known: bool = True) -> None:
        self.answers = list(answers)
        self.rooms: dict[str, object] = {ROOM: object()} if known else {}
        self.sent: list[str] = []

    async def room_send(self, room_id: str, event_type: str, content: Any, **_: Any) -> Any:
        if room_id not in self.rooms:
            raise LocalProtocolError(f"No such room with id {room_id} found.")
        self.sent.append(room_id)
        return self.answers.pop(0)


def adapter(client: Client, tmp_path: Path) -> MatrixAdapter:
    settings = MatrixSettings(
        "http://127.0.0.1:1", "@hotline:localhost", "t", ("localhost",), tmp_path
    )
    made = MatrixAdapter(settings, load_config(None), None, FrozenClock(berlin(2026, 11, 30, 9)))  # type: ignore[arg-type]
    made.client = client
    return made


def error(errcode: str | None, retry_after_ms: int | None = None) -> RoomSendError:
    body: dict[str, Any] = {} if errcode is None else {"errcode": errcode, "error": "no"}
    if retry_after_ms is not None:
        body["retry_after_ms"] = retry_after_ms
    return RoomSendError.from_dict(body, ROOM)


async def test_a_sent_event_returns_its_id(tmp_path: Path) -> None:
    made = adapter(Client(RoomSendResponse("$sent", ROOM)), tmp_path)
    assert await made._room_send(ROOM, {"body": "x"}, "hotline-1") == "$sent"


async def test_429_waits_as_long_as_the_homeserver_asks(tmp_path: Path) -> None:
    made = adapter(Client(error("M_LIMIT_EXCEEDED", 2500)), tmp_path)
    with pytest.raises(DeliveryError) as failed:
        await made._room_send(ROOM, {"body": "x"}, "hotline-1")
    assert failed.value.retry_after == 2.5 and not failed.value.permanent
    assert isinstance(failed.value, MatrixDeliveryError)
    assert failed.value.errcode == "M_LIMIT_EXCEEDED" and not failed.value.refused


@pytest.mark.parametrize(
    ("errcode", "permanent", "refused"),
    [
        ("M_FORBIDDEN", True, True),
        ("M_NOT_FOUND", True, True),
        ("M_UNKNOWN_TOKEN", True, False),
        ("M_UNKNOWN", False, False),
        (None, False, False),  # a 5xx without a Matrix error body
    ],
)
async def test_other_errors(
    errcode: str | None, permanent: bool, refused: bool, tmp_path: Path
) -> None:
    made = adapter(Client(error(errcode)), tmp_path)
    with pytest.raises(MatrixDeliveryError) as failed:
        await made._room_send(ROOM, {"body": "x"}, "hotline-1")
    assert failed.value.retry_after is None
    assert (failed.value.permanent, failed.value.refused) == (permanent, refused)


async def test_a_room_nio_has_not_synced_is_a_short_retry_not_a_bug(tmp_path: Path) -> None:
    made = adapter(Client(known=False), tmp_path)
    with pytest.raises(DeliveryError) as failed:
        await made._room_send(ROOM, {"body": "x"}, "hotline-1")
    assert failed.value.retry_after == 1 and not failed.value.permanent
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    assert isinstance(failed.value, MatrixDeliveryError) and failed.value.refused


async def test_a_new_room_is_awaited_until_the_sync_shows_it(tmp_path: Path) -> None:
    client = Client(known=False)
    made = adapter(client, tmp_path)
    waiting = asyncio.create_task(made._room_known(ROOM))
    await asyncio.sleep(0.01)
    made._pulse_synced()  # a sync without the room: still waiting
    await asyncio.sleep(0.01)
    assert not waiting.done()
    client.rooms[ROOM] = object()
    made._pulse_synced()
    await asyncio.wait_for(waiting, 1)
