"""A DM remembered by this instance that the homeserver refuses is looked up again."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.settings import MatrixSettings
from bot.clock import FrozenClock
from bot.config.loader import load_config
from bot.delivery import DeliveryError
from bot.notices import Notice, Target
from tests.conftest import berlin

ANNA = Target("matrix", "user", "@anna:localhost")


class Directory:
    """The room directory's DM part: what this instance remembers, what the database says."""

    def __init__(self, remembered: str | None, stored: str) -> None:
        self.remembered, self.stored = remembered, stored

    def remembered_dm(self, user_id: str) -> str | None:
        return self.remembered

    def forget_dm(self, user_id: str) -> None:
        self.remembered = None

    async def room_for_user(self, user_id: str) -> str:
        return self.remembered or self.stored


def adapter(
    directory: Directory, refusing: set[str], tmp_path: Path
) -> tuple[MatrixAdapter, list[str]]:
    settings = MatrixSettings(
        "http://127.0.0.1:1", "@hotline:localhost", "t", ("localhost",), tmp_path
    )
    made = MatrixAdapter(settings, load_config(None), None, FrozenClock(berlin(2026, 11, 30, 9)))  # type: ignore[arg-type]
    made.rooms = directory  # type: ignore[assignment]
    posted: list[str] = []

    async def post(room_id: str, notice: Notice, outbox_id: int) -> str:
        if room_id in refusing:
            raise DeliveryError(f"M_FORBIDDEN in {room_id}", permanent=True)
        posted.append(room_id)
        return "$event"

    made._post = post  # type: ignore[method-assign]
    return made, posted


async def test_a_refused_remembered_dm_is_replaced_by_the_stored_one(tmp_path: Path) -> None:
    made, posted = adapter(
        Directory("!old:localhost", "!new:localhost"), {"!old:localhost"}, tmp_path
    )
    assert await made._send(ANNA, Notice(text="Hallo"), 1) == "$event"
    assert posted == ["!new:localhost"]


@pytest.mark.parametrize(
    "directory", [Directory("!old:localhost", "!old:localhost"), Directory(None, "!old:localhost")]
)
async def test_a_refusal_in_the_stored_dm_stays_permanent(
    directory: Directory, tmp_path: Path
) -> None:
    made, posted = adapter(directory, {"!old:localhost"}, tmp_path)
    with pytest.raises(DeliveryError) as refused:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert refused.value.permanent and posted == []
