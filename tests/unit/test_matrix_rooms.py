"""The room directory against a homeserver that fails: m.direct is only taken as empty on a
404 (a 500 must not make the bot erase every DM recorded there), a room_create 429 waits as
long as asked, a membership lookup that fails is no "never a member", and a team room
alias that failed to resolve at start is resolved again."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from nio import (
    JoinResponse,
    RoomCreateError,
    RoomGetStateEventError,
    RoomGetStateEventResponse,
    RoomResolveAliasError,
    RoomResolveAliasResponse,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import rooms as rooms_module
from adapters.matrix.rooms import RoomDirectory
from bot.delivery import DeliveryError
from bot.kernel.clock import FrozenClock

Sessions = async_sessionmaker[AsyncSession]
ANNA = "@anna:localhost"


class Answer:
    def __init__(self, status: int, body: Any = None) -> None:
        self.status, self.body = status, body

    async def json(self) -> Any:
        return self.body

    def release(self) -> None:
        pass


class Client:
    user_id = "@hotline:localhost"
    access_token = "t"

    def __init__(self, *gets: Answer) -> None:
        self.gets = list(gets)
        self.puts: list[dict[str, Any]] = []
        self.rooms: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}
        self.resolved: list[str] = []
        self.joined: list[str] = []
        self.member_state: Any = None

    async def send(self, method: str, path: str, **kwargs: Any) -> Answer:
        assert path.endswith("/account_data/m.direct")
        if method == "GET":
            return self.gets.pop(0)
        self.puts.append(json.loads(kwargs["data"]))
        return Answer(200)

    async def room_create(self, **_: Any) -> Any:
        return RoomCreateError.from_dict(
            {"errcode": "M_LIMIT_EXCEEDED", "error": "slow down", "retry_after_ms": 4000}
        )

    async def room_resolve_alias(self, alias: str) -> Any:
        self.resolved.append(alias)
        if alias in self.aliases:
            return RoomResolveAliasResponse(alias, self.aliases[alias], [])
        return RoomResolveAliasError.from_dict({"errcode": "M_NOT_FOUND", "error": "no"})

    async def join(self, room_id: str) -> Any:
        self.joined.append(room_id)
        return JoinResponse(room_id)

    async def room_get_state_event(self, room_id: str, kind: str, state_key: str) -> Any:
        return self.member_state


def state_error(errcode: str) -> RoomGetStateEventError:
    return RoomGetStateEventError.from_dict({"errcode": errcode, "error": "no"}, "!dm:localhost")


def directory(client: Client, sessions: Sessions, clock: FrozenClock, **channels: str) -> Any:
    return RoomDirectory(client, sessions, clock, channels=channels, encrypt_direct_rooms=False)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def sleep(seconds: float) -> None:
        pass

    monkeypatch.setattr(asyncio, "sleep", sleep)


async def test_no_map_yet_404_starts_one(sessions: Sessions, clock: FrozenClock) -> None:
    client = Client(Answer(404, {"errcode": "M_NOT_FOUND"}))
    await directory(client, sessions, clock)._mark_direct(ANNA, "!dm:localhost")
    assert client.puts == [{ANNA: ["!dm:localhost"]}]


async def test_an_existing_map_is_extended(sessions: Sessions, clock: FrozenClock) -> None:
    client = Client(Answer(200, {"@bob:localhost": ["!bob:localhost"], ANNA: ["!a:localhost"]}))
    await directory(client, sessions, clock)._mark_direct(ANNA, "!dm:localhost")
    assert client.puts == [
        {"@bob:localhost": ["!bob:localhost"], ANNA: ["!a:localhost", "!dm:localhost"]}
    ]


async def test_a_failed_read_never_overwrites_the_map(
    sessions: Sessions, clock: FrozenClock
) -> None:
    client = Client(Answer(500), Answer(502), Answer(429))
    await directory(client, sessions, clock)._mark_direct(ANNA, "!dm:localhost")
    assert client.puts == [] and client.gets == []  # read three times, written never


async def test_a_failed_read_is_retried(sessions: Sessions, clock: FrozenClock) -> None:
    client = Client(Answer(500), Answer(200, {"@bob:localhost": ["!bob:localhost"]}))
    await directory(client, sessions, clock)._mark_direct(ANNA, "!dm:localhost")
    assert client.puts == [{"@bob:localhost": ["!bob:localhost"], ANNA: ["!dm:localhost"]}]


async def test_a_429_on_room_create_waits_as_asked(sessions: Sessions, clock: FrozenClock) -> None:
    with pytest.raises(DeliveryError) as failed:
        await directory(Client(), sessions, clock).room_for_user(ANNA)
    assert failed.value.retry_after == 4.0 and not failed.value.permanent


async def test_an_alias_that_failed_at_start_is_resolved_again(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    rooms = directory(client, sessions, clock)
    rooms.channels = {"#haushalt:localhost": "#haushalt:localhost"}
    await rooms.resolve_channels()  # the alias is not there yet
    assert rooms.unresolved == ["#haushalt:localhost"]
    client.aliases["#haushalt:localhost"] = "!team:localhost"
    await rooms.resolve_missing()  # too soon: at most once a minute
    assert client.resolved == ["#haushalt:localhost"]
    monkeypatch.setattr(rooms_module, "RESOLVE_AGAIN_SECONDS", 0.0)
    assert await rooms.room_for_channel("#haushalt:localhost") == "!team:localhost"
    assert client.joined == ["!team:localhost"]
    assert rooms.channel_of("!team:localhost") == "#haushalt:localhost"
    assert not rooms.is_direct("!team:localhost")
    await rooms.resolve_channels()  # a resolved alias is not asked for again
    assert client.resolved == ["#haushalt:localhost", "#haushalt:localhost"]


async def test_a_new_dm_may_be_opened_again_once_the_hour_is_over(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms = directory(Client(), sessions, clock)
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    assert rooms.may_reopen(ANNA) and rooms.reopen_in(ANNA) == 0.0
    rooms._opened[ANNA] = ("!new:localhost", 1000.0)
    now[0] = 1000.0 + 600
    assert not rooms.may_reopen(ANNA) and rooms.reopen_in(ANNA) == 3000.0
    now[0] = 1000.0 + 3600
    assert rooms.may_reopen(ANNA) and rooms.reopen_in(ANNA) == 0.0


@pytest.mark.parametrize(
    ("answer", "membership"),
    [
        (RoomGetStateEventResponse({"membership": "leave"}, "m.room.member", "!dm", ANNA), "leave"),
        (state_error("M_NOT_FOUND"), None),  # never a member
        (state_error("M_FORBIDDEN"), None),  # the bot may not look: its send is refused next
    ],
)
async def test_membership_as_the_homeserver_has_it(
    sessions: Sessions, clock: FrozenClock, answer: Any, membership: str | None
) -> None:
    client = Client()
    client.member_state = answer
    assert await directory(client, sessions, clock).membership("!dm", ANNA) == membership


async def test_a_failed_membership_lookup_is_retried_not_read_as_never(
    sessions: Sessions, clock: FrozenClock
) -> None:
    client = Client()
    client.member_state = state_error("M_LIMIT_EXCEEDED")
    with pytest.raises(DeliveryError) as failed:
        await directory(client, sessions, clock).membership("!dm", ANNA)
    assert not failed.value.permanent


async def test_a_user_who_writes_again_may_be_given_a_new_dm_again(
    sessions: Sessions, clock: FrozenClock
) -> None:
    rooms = directory(Client(), sessions, clock)
    await rooms.remember_direct(ANNA, "!b:localhost", wrote=False)  # what new_dm records
    await rooms._set_replaced(ANNA, "!b:localhost")
    assert await rooms.replaced_dm(ANNA) == "!b:localhost"
    await rooms.remember_direct(ANNA, "!b:localhost", wrote=False)  # the bot posts there
    assert await rooms.replaced_dm(ANNA) == "!b:localhost"
    await rooms.remember_direct(ANNA, "!b:localhost")  # the user writes in it
    assert await rooms.replaced_dm(ANNA) is None


async def test_team_rooms_a_reload_adds_are_resolved_and_joined(
    sessions: Sessions, clock: FrozenClock
) -> None:
    client = Client()
    client.aliases = {"#neu:localhost": "!neu:localhost"}
    rooms = directory(client, sessions, clock, **{"!alt:localhost": "!alt:localhost"})
    client.rooms["!alt:localhost"] = object()  # joined at start
    await rooms.add_channels(["!alt:localhost", "#neu:localhost", "!raum:localhost"])
    assert client.resolved == ["#neu:localhost"]
    assert sorted(client.joined) == ["!neu:localhost", "!raum:localhost"]
    assert await rooms.room_for_channel("#neu:localhost") == "!neu:localhost"
    assert await rooms.room_for_channel("!raum:localhost") == "!raum:localhost"
    client.joined.clear()
    await rooms.add_channels(["#neu:localhost"])  # nothing new: nothing asked
    assert client.joined == [] and client.resolved == ["#neu:localhost"]
