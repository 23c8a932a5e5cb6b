"""`check-config --online` for Matrix: what the homeserver says about the configured setup.

The token is tried (whoami, and it must belong to the configured bot user); every team room
and the leads' room is resolved: a room id must have the bot joined (else: invite it), an
alias of the bot's own server that does not exist yet is created by the bot at start (fine),
an alias of another server must exist and the bot must be in its room; every staff Matrix id
must exist (its profile answers). Plain HTTP against the client-server API, no sync, no
keys: the check neither logs in a new device nor touches the bot's key store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass(frozen=True)
class Finding:
    """One checked item: its key path, whether it is fine, and what was found."""

    item: str
    ok: bool
    detail: str


class MatrixProbe:
    """Asks the homeserver about rooms and users with the bot's token."""

    def __init__(self, http: aiohttp.ClientSession, homeserver: str, token: str) -> None:
        self.http, self.base, self.token = http, homeserver.rstrip("/"), token

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """GET a client-server API path; (status, JSON body or {})."""
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(f"{self.base}{path}", headers=headers) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = {}
            return response.status, body if isinstance(body, dict) else {}


async def check_matrix(
    homeserver: str,
    token: str,
    bot_user_id: str,
    rooms: dict[str, str],
    people: dict[str, str],
) -> list[Finding]:
    """`rooms`: key path -> room id or alias; `people`: key path -> Matrix user id."""
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        probe = MatrixProbe(http, homeserver, token)
        try:
            status, body = await probe.get("/_matrix/client/v3/account/whoami")
        except (aiohttp.ClientError, TimeoutError) as error:
            return [Finding("platforms.matrix.homeserver", False, f"unreachable: {error!r}")]
        if status != 200:
            code = body.get("errcode", status)
            return [Finding("platforms.matrix.access_token", False, f"rejected ({code})")]
        if body.get("user_id") != bot_user_id:
            detail = f"belongs to {body.get('user_id')}, not to {bot_user_id}"
            return [Finding("platforms.matrix.access_token", False, detail)]
        found = [Finding("platforms.matrix.access_token", True, f"logs in as {bot_user_id}")]
        status, body = await probe.get("/_matrix/client/v3/joined_rooms")
        joined = set(body.get("joined_rooms", [])) if status == 200 else set()
        server = bot_user_id.partition(":")[2]
        for item, room in sorted(rooms.items()):
            found.append(await _room(probe, item, room, joined, server))
        for item, user_id in sorted(people.items()):
            status, _ = await probe.get(f"/_matrix/client/v3/profile/{quote(user_id, safe='')}")
            ok = status == 200
            found.append(Finding(item, ok, "exists" if ok else f"no such user {user_id}"))
        return found


async def _room(probe: MatrixProbe, item: str, room: str, joined: set[str], server: str) -> Finding:
    room_id = room
    if room.startswith("#"):
        status, body = await probe.get(f"/_matrix/client/v3/directory/room/{quote(room, safe='')}")
        if status != 200:
            if room.partition(":")[2] == server:
                return Finding(item, True, f"{room} does not exist yet: the bot creates it")
            return Finding(item, False, f"{room} does not exist on its homeserver")
        room_id = str(body.get("room_id"))
    if room_id in joined:
        return Finding(item, True, f"{room}: the bot is in the room")
    return Finding(item, False, f"{room}: the bot is not in the room; invite it")
