"""DMs and team rooms that refuse the bot: a DM is looked up again or replaced by a new one
(a requester who left their DM still hears from us); a team room is retried, slowly."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.matrix.adapter import CHANNEL_RETRY_SECONDS, MatrixAdapter
from adapters.matrix.errors import NOT_IN_ROOM, MatrixDeliveryError
from adapters.matrix.settings import MatrixSettings
from bot.config.loader import load_config
from bot.delivery import DeliveryError
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from tests.conftest import berlin

ANNA = Target("matrix", "user", "@anna:localhost")
TEAM = Target("matrix", "channel", "!team:localhost")


def forbidden(room_id: str) -> MatrixDeliveryError:
    return MatrixDeliveryError(f"M_FORBIDDEN in {room_id}", errcode="M_FORBIDDEN", permanent=True)


class Directory:
    """The room directory's DM part: what this instance remembers, what the database says."""

    def __init__(
        self,
        remembered: str | None,
        stored: str,
        *,
        left: bool = False,
        joins: bool = False,
        opened: tuple[str, ...] = (),
        replaced: str | None = None,
    ) -> None:
        self.remembered, self.stored, self.left, self.joins = remembered, stored, left, joins
        self.replaced = replaced  # the DM opened in place of a left or refused one
        self.created: list[str] = list(opened)  # DMs this instance opened lately
        self.joined: list[str] = []

    def may_reopen(self, user_id: str) -> bool:
        return not self.created

    def reopen_in(self, user_id: str) -> float:
        return 0.0 if self.may_reopen(user_id) else 1800.0

    def just_opened(self, room_id: str) -> bool:
        return room_id in self.created

    def remembered_dm(self, user_id: str) -> str | None:
        return self.remembered

    def forget_dm(self, user_id: str) -> None:
        self.remembered = None

    async def room_for_user(self, user_id: str) -> str:
        return self.remembered or self.stored

    async def user_left(self, room_id: str, user_id: str) -> bool:
        return self.left and room_id == self.stored

    async def new_dm(self, user_id: str) -> str:
        assert self.may_reopen(user_id), "one new DM per user and hour"
        room_id = f"!new{len(self.created)}:localhost"
        self.created.append(room_id)
        self.remembered = self.stored = room_id
        return room_id

    async def replaced_dm(self, user_id: str) -> str | None:
        return self.replaced

    async def replace_dm(self, user_id: str) -> str:
        self.replaced = await self.new_dm(user_id)
        return self.replaced

    async def room_for_channel(self, address: str) -> str:
        return address

    async def join_channel(self, room_id: str) -> bool:
        self.joined.append(room_id)
        return self.joins


def adapter(
    directory: Directory, refusing: set[str], tmp_path: Path, error: DeliveryError | None = None
) -> tuple[MatrixAdapter, list[str]]:
    settings = MatrixSettings(
        "http://127.0.0.1:1", "@hotline:localhost", "t", ("localhost",), tmp_path
    )
    made = MatrixAdapter(settings, load_config(None), None, FrozenClock(berlin(2026, 11, 30, 9)))  # type: ignore[arg-type]
    made.rooms = directory  # type: ignore[assignment]
    posted: list[str] = []

    async def post(
        room_id: str, notice: Notice, outbox_id: int, recipient: str | None = None
    ) -> str:
        if room_id in directory.joined and directory.joins:
            refusing.discard(room_id)
        if room_id in refusing:
            raise error or forbidden(room_id)
        posted.append(room_id)
        return "$event"

    made._post = post  # type: ignore[method-assign]
    return made, posted


async def test_a_refused_remembered_dm_is_replaced_by_the_stored_one(tmp_path: Path) -> None:
    directory = Directory("!old:localhost", "!stored:localhost")
    made, posted = adapter(directory, {"!old:localhost"}, tmp_path)
    assert await made._send(ANNA, Notice(text="Hallo"), 1) == "$event"
    assert posted == ["!stored:localhost"] and directory.created == []


@pytest.mark.parametrize(
    "directory", [Directory("!old:localhost", "!old:localhost"), Directory(None, "!old:localhost")]
)
async def test_a_refused_stored_dm_is_replaced_by_a_new_dm(
    directory: Directory, tmp_path: Path
) -> None:
    made, posted = adapter(directory, {"!old:localhost"}, tmp_path)
    assert await made._send(ANNA, Notice(text="Hallo"), 1) == "$event"
    assert directory.created == ["!new0:localhost"] and posted == ["!new0:localhost"]


async def test_a_dm_unknown_to_nio_after_a_restart_is_replaced(tmp_path: Path) -> None:
    """The bot left the DM before a restart: nio does not know the room at all."""
    directory = Directory(None, "!old:localhost")
    unknown = MatrixDeliveryError("no such room", errcode=NOT_IN_ROOM, retry_after=1)
    made, posted = adapter(directory, {"!old:localhost"}, tmp_path, unknown)
    await made._send(ANNA, Notice(text="Hallo"), 1)
    assert posted == ["!new0:localhost"]


async def test_a_dm_just_opened_and_not_synced_yet_is_retried_not_replaced(
    tmp_path: Path,
) -> None:
    directory = Directory(None, "!fresh:localhost", opened=("!fresh:localhost",))
    unknown = MatrixDeliveryError("no such room", errcode=NOT_IN_ROOM, retry_after=1)
    made, _ = adapter(directory, {"!fresh:localhost"}, tmp_path, unknown)
    with pytest.raises(DeliveryError) as failed:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert failed.value.retry_after == 1 and directory.created == ["!fresh:localhost"]


async def test_a_user_who_declines_is_not_invited_again_within_the_hour(tmp_path: Path) -> None:
    """They left the new DM too: nothing is posted into the left room (nobody reads it, yet
    the outbox would count it delivered); the notice waits until a new DM may be opened."""
    directory = Directory(None, "!new0:localhost", left=True, opened=("!new0:localhost",))
    made, posted = adapter(directory, set(), tmp_path)
    with pytest.raises(DeliveryError) as waiting:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert waiting.value.retry_after == 1800.0 and not waiting.value.permanent
    assert posted == [] and directory.created == ["!new0:localhost"]


async def test_a_new_dm_is_opened_once_per_notice(tmp_path: Path) -> None:
    directory = Directory(None, "!old:localhost")
    made, posted = adapter(directory, {"!old:localhost", "!new0:localhost"}, tmp_path)
    with pytest.raises(DeliveryError) as refused:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert refused.value.permanent and posted == [] and directory.created == ["!new0:localhost"]


async def test_a_requester_who_left_gets_a_new_dm_at_once(tmp_path: Path) -> None:
    directory = Directory(None, "!old:localhost", left=True)
    made, posted = adapter(directory, set(), tmp_path)
    await made._send(ANNA, Notice(text="Hallo"), 1)
    assert posted == ["!new0:localhost"] and directory.replaced == "!new0:localhost"


async def test_a_user_who_leaves_the_replacement_too_has_declined(tmp_path: Path) -> None:
    """No new invite every hour: the notice fails for good until the user writes again."""
    directory = Directory(None, "!new0:localhost", left=True, replaced="!new0:localhost")
    made, posted = adapter(directory, set(), tmp_path)
    with pytest.raises(DeliveryError) as declined:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert declined.value.permanent and "declined" in str(declined.value)
    assert posted == [] and directory.created == []


async def test_a_replacement_that_shuts_the_bot_out_is_not_replaced_again(
    tmp_path: Path,
) -> None:
    directory = Directory(None, "!new0:localhost", replaced="!new0:localhost")
    made, posted = adapter(directory, {"!new0:localhost"}, tmp_path)
    with pytest.raises(DeliveryError) as declined:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert declined.value.permanent and posted == [] and directory.created == []


async def test_other_failures_in_a_dm_are_retried_in_the_same_dm(tmp_path: Path) -> None:
    directory = Directory(None, "!old:localhost")
    busy = MatrixDeliveryError("M_LIMIT_EXCEEDED", errcode="M_LIMIT_EXCEEDED", retry_after=2)
    made, _ = adapter(directory, {"!old:localhost"}, tmp_path, busy)
    with pytest.raises(DeliveryError) as failed:
        await made._send(ANNA, Notice(text="Hallo"), 1)
    assert failed.value is busy and directory.created == []


async def test_a_team_room_that_refuses_the_bot_is_retried_slowly(tmp_path: Path) -> None:
    directory = Directory(None, "!old:localhost", joins=False)
    made, posted = adapter(directory, {TEAM.address}, tmp_path)
    with pytest.raises(DeliveryError) as refused:
        await made._send(TEAM, Notice(text="Neu: Nr. 3"), 1)
    assert not refused.value.permanent
    assert refused.value.retry_after == CHANNEL_RETRY_SECONDS
    assert directory.joined == [TEAM.address] and posted == []


async def test_a_team_room_is_joined_again_when_the_bot_was_invited(tmp_path: Path) -> None:
    directory = Directory(None, "!old:localhost", joins=True)
    made, posted = adapter(directory, {TEAM.address}, tmp_path)
    assert await made._send(TEAM, Notice(text="Neu: Nr. 3"), 1) == "$event"
    assert posted == [TEAM.address]
