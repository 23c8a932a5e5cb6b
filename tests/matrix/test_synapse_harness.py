"""The Synapse harness works: users register, rooms (plain and encrypted) carry messages
between two nio clients, the test config really relaxes the rate limits, and a stopped,
paused or restarted server keeps its users and rooms."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.matrix.conftest import ClientFactory, UserFactory
from tests.matrix.synapse import (
    RegisteredUser,
    SynapseServer,
    SynapseStartError,
    free_port,
    nio_client,
    synapse_environment,
)
from tests.matrix.synapse_config import (
    CONFIG_FILE,
    RATE_LIMITS,
    UNLIMITED,
    homeserver_config,
    write_workdir,
)

nio = pytest.importorskip("nio", reason="matrix-nio is not installed in this venv")

# Incremental /sync returns at most 10 timeline events per room by default (platform notes).
SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 100}}}
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


async def sync_once(client: Any) -> Any:
    response = await client.sync(timeout=1000, sync_filter=SYNC_FILTER)
    assert isinstance(response, nio.SyncResponse), response
    return response


async def sync_until(client: Any, done: Callable[[], bool], within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not done():
            await sync_once(client)


async def receive_texts(
    client: Any, room_id: str, count: int, within: float = 20.0
) -> tuple[list[Any], bool]:
    """Sync until `count` m.text events from others arrived in `room_id`.

    Returns the events and whether any sync marked the timeline `limited` (events lost).
    Megolm events whose room key arrives in a later sync are decrypted once it is there.
    """
    texts: list[Any] = []
    pending: list[Any] = []
    limited = False
    async with asyncio.timeout(within):
        while len(texts) < count:
            response = await sync_once(client)
            room = response.rooms.join.get(room_id)
            events = list(room.timeline.events) if room else []
            limited = limited or bool(room and room.timeline.limited)
            for event in [*pending, *events]:
                if isinstance(event, nio.MegolmEvent):
                    with contextlib.suppress(nio.EncryptionError):
                        event = client.decrypt_event(event)
                if isinstance(event, nio.MegolmEvent):
                    if event not in pending:
                        pending.append(event)
                    continue
                if event in pending:
                    pending.remove(event)
                if isinstance(event, nio.RoomMessageText) and event.sender != client.user_id:
                    texts.append(event)
    return texts, limited


async def two_in_a_room(
    make_client: ClientFactory, alice: RegisteredUser, bob: RegisteredUser, *, encrypted: bool
) -> tuple[Any, Any, str]:
    """Alice creates a room (optionally encrypted), invites Bob, Bob joins; both synced."""
    a, b = await make_client(alice), await make_client(bob)
    created = await a.room_create(
        name="harness",
        invite=[bob.user_id],
        initial_state=[ENCRYPTION_STATE] if encrypted else [],
    )
    assert isinstance(created, nio.RoomCreateResponse), created
    room_id: str = created.room_id
    await sync_until(b, lambda: room_id in b.invited_rooms)
    joined = await b.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    await sync_until(a, lambda: room_id in a.rooms and bob.user_id in a.rooms[room_id].users)
    await sync_once(b)  # Bob's since token now lies after the join
    return a, b, room_id


async def send_text(client: Any, room_id: str, body: str) -> str:
    sent = await client.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": body},
        ignore_unverified_devices=True,
    )
    assert isinstance(sent, nio.RoomSendResponse), sent  # a 429 would show up here
    event_id: str = sent.event_id
    return event_id


async def get_json(url: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(url, headers=headers) as response,
    ):
        return response.status, await response.json()


def answers(server: SynapseServer, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{server.base_url}/_matrix/client/versions", timeout=timeout):
            return True
    except OSError:
        return False


# --- the server and its config ----------------------------------------------------------

# Runs inside the Synapse venv: loads our homeserver.yaml the way Synapse does and reports
# every rate limiter it ends up with, plus the top-level keys no config module mentions.
CONFIG_PROBE = r"""
import json, pathlib, sys
import yaml
import synapse.config
from synapse.config.homeserver import HomeServerConfig
from synapse.config.ratelimiting import RatelimitSettings

path = sys.argv[1]
config = HomeServerConfig.load_config("probe", ["-c", path])
limits = {
    value.key: [value.per_second, value.burst_count]
    for value in vars(config.ratelimiting).values()
    if isinstance(value, RatelimitSettings)
}
sources = "".join(
    p.read_text() for p in pathlib.Path(synapse.config.__file__).parent.glob("*.py")
)
ours = yaml.safe_load(open(path))
parents = {key.split(".")[0] for key in limits}  # rc_login.address etc. are read nested
unknown = sorted(k for k in ours if f'"{k}"' not in sources and k not in parents)
print(json.dumps({"limits": limits, "unknown": unknown}))
"""
# Not a request limiter: bytes per second of remote media downloads (federation only).
NOT_REQUEST_LIMITS = {"rc_remote_media_downloads"}


def test_synapse_loads_the_test_config_with_every_rate_limit_relaxed(
    synapse: SynapseServer,
) -> None:
    probe = subprocess.run(
        [str(synapse.venv / "bin" / "python"), "-c", CONFIG_PROBE, CONFIG_FILE],
        cwd=synapse.workdir,
        env=synapse_environment(synapse.venv),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    assert report["unknown"] == [], "keys this Synapse does not read"
    limits = {k: v for k, v in report["limits"].items() if k not in NOT_REQUEST_LIMITS}
    assert set(limits) <= set(RATE_LIMITS), "new limiters: add them to RATE_LIMITS"
    assert set(limits) == set(RATE_LIMITS), "RATE_LIMITS names limiters Synapse lacks"
    strict = {k: v for k, v in limits.items() if v != [UNLIMITED["per_second"], 1_000_000]}
    assert strict == {}, "rate limits still in force"


def test_config_is_offline() -> None:
    config = homeserver_config(Path("/nonexistent"), 8008)
    assert config["trusted_key_servers"] == []
    assert config["federation_domain_whitelist"] == []
    [listener] = config["listeners"]
    assert listener["bind_addresses"] == ["127.0.0.1"]
    assert listener["resources"] == [{"names": ["client"], "compress": False}]
    assert listener["tls"] is False


async def test_registered_users_are_logged_in_and_unique(
    synapse: SynapseServer, matrix_user: UserFactory
) -> None:
    status, versions = await get_json(f"{synapse.base_url}/_matrix/client/versions")
    assert status == 200 and "v1.1" in versions["versions"]
    admin = await matrix_user("ops", admin=True)
    user = await matrix_user("ops")
    assert admin.user_id != user.user_id
    assert admin.user_id.startswith("@ops-") and admin.user_id.endswith(":localhost")
    for who in (admin, user):
        status, whoami = await get_json(
            f"{synapse.base_url}/_matrix/client/v3/account/whoami", who.access_token
        )
        assert status == 200
        assert (whoami["user_id"], whoami["device_id"]) == (who.user_id, who.device_id)
    admin_api = f"{synapse.base_url}/_synapse/admin/v2/users/{user.user_id}"
    assert (await get_json(admin_api, admin.access_token))[0] == 200
    assert (await get_json(admin_api, user.access_token))[0] == 403
    with pytest.raises(ValueError):
        await matrix_user("Not Valid")


# --- messages ---------------------------------------------------------------------------


async def test_plain_room_delivers_a_burst_in_order(
    matrix_user: UserFactory, matrix_client: ClientFactory
) -> None:
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    a, b, room_id = await two_in_a_room(matrix_client, alice, bob, encrypted=False)
    # 30 > Synapse's default message burst (10) and > the default sync timeline limit (10).
    bodies = [f"message {n}" for n in range(30)]
    for body in bodies:
        await send_text(a, room_id, body)
    texts, limited = await receive_texts(b, room_id, len(bodies))
    assert [t.body for t in texts] == bodies
    assert not limited
    assert all(t.sender == alice.user_id for t in texts)


async def test_encrypted_room_both_ways(
    synapse: SynapseServer, matrix_user: UserFactory, matrix_client: ClientFactory
) -> None:
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    a, b, room_id = await two_in_a_room(matrix_client, alice, bob, encrypted=True)
    assert a.rooms[room_id].encrypted
    for sender, receiver, body in ((a, b, "hello bob"), (b, a, "hello alice")):
        if sender.should_query_keys:
            await sender.keys_query()
        event_id = await send_text(sender, room_id, body)
        # On the server the event is ciphertext ...
        status, raw = await get_json(
            f"{synapse.base_url}/_matrix/client/v3/rooms/{room_id}/event/{event_id}",
            sender.access_token,
        )
        assert status == 200 and raw["type"] == "m.room.encrypted"
        assert body not in json.dumps(raw)
        # ... and the other side decrypts it.
        [text], _ = await receive_texts(receiver, room_id, 1)
        assert (text.body, text.decrypted) == (body, True)


# --- down time --------------------------------------------------------------------------


async def test_restart_keeps_users_rooms_and_sync_tokens(
    private_synapse: SynapseServer, tmp_path: Path
) -> None:
    server = private_synapse
    alice, bob = await server.register("alice"), await server.register("bob")
    clients: list[Any] = []

    async def make(user: RegisteredUser) -> Any:
        clients.append(await nio_client(user, tmp_path / "store"))
        return clients[-1]

    try:
        a, b, room_id = await two_in_a_room(make, alice, bob, encrypted=False)
        await send_text(a, room_id, "before")
        assert [t.body for t in (await receive_texts(b, room_id, 1))[0]] == ["before"]
        base_url = server.base_url

        await server.stop_async()
        assert not server.running and not answers(server)
        await server.start_async()

        assert server.base_url == base_url
        joined = await a.joined_rooms()
        assert isinstance(joined, nio.JoinedRoomsResponse) and room_id in joined.rooms
        await send_text(a, room_id, "after")
        texts, _ = await receive_texts(b, room_id, 1)
        assert [t.body for t in texts] == ["after"]  # incremental: the old token still works
        carol = await server.register("carol")  # the shared secret survived too
        assert carol.homeserver == base_url
    finally:
        for client in clients:
            await client.close()


async def test_pause_hangs_requests_until_resume(private_synapse: SynapseServer) -> None:
    private_synapse.pause()
    try:
        assert not answers(private_synapse, timeout=0.5)
    finally:
        private_synapse.resume()
    assert answers(private_synapse, timeout=5)
    private_synapse.restart()  # the blocking variant
    assert answers(private_synapse)
    assert (await private_synapse.register("after-restart")).user_id.startswith("@after-restart-")


def test_a_server_that_cannot_start_reports_its_log(synapse: SynapseServer, tmp_path: Path) -> None:
    import yaml

    workdir = tmp_path / "broken"
    config = write_workdir(workdir, free_port())
    config["database"] = {"name": "no-such-engine"}
    (workdir / CONFIG_FILE).write_text(yaml.safe_dump(config))
    broken = SynapseServer(synapse.venv, startup_timeout=30)
    with pytest.raises(SynapseStartError, match="exited with code") as error:
        broken.start(workdir)
    assert "no-such-engine" in str(error.value)
    assert not broken.running
