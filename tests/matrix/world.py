"""A running bot with its team rooms on one Synapse, and waiting for its outbox.

- ``make_world``: registers the bot and an agent, creates the team rooms (optionally
  encrypted), starts the bot; ``World.requester`` opens DMs with it on demand.
- ``wait_for_outbox``: until every notice is delivered and its reactions are added.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

import nio

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from tests.matrix.bot_fixture import (
    TOKEN_ENV,
    Chat,
    HotlineBot,
    create_room,
    eventually,
    hotline_config,
    wait_for_join,
)
from tests.matrix.synapse import RegisteredUser, SynapseServer


class ClientMaker(Protocol):
    async def __call__(self, user: RegisteredUser) -> nio.AsyncClient: ...


@dataclass
class World:
    """A running bot with its team rooms, on one Synapse; makes requesters on demand."""

    server: SynapseServer
    bot_user: RegisteredUser
    bot: HotlineBot
    agent: Chat  # hh.schneider of team "haushalt"; creator of the team rooms
    team_rooms: dict[str, str]
    make_client: ClientMaker
    encrypted_dms: bool = False
    colleagues: dict[str, Chat] = field(default_factory=dict)  # person id -> chat

    @property
    def bot_id(self) -> str:
        return self.bot_user.user_id

    async def chat_for(self, prefix: str) -> Chat:
        user = await self.server.register(prefix)
        chat = Chat(await self.make_client(user), self.bot_id)
        await chat.sync(timeout_ms=0)
        return chat

    async def requester(
        self, prefix: str = "requester", *, encrypted: bool | None = None, wait: bool = False
    ) -> tuple[Chat, str]:
        """A fresh user who opens a DM with the bot (is_direct; optionally encrypted).

        With `wait`, return only once the bot has joined (as Element users would see it)."""
        chat = await self.chat_for(prefix)
        encrypt = self.encrypted_dms if encrypted is None else encrypted
        room_id = await create_room(chat.client, [self.bot_id], direct=True, encrypted=encrypt)
        await chat.sync_until(lambda: room_id in chat.client.rooms)  # nio sends only there
        if wait:
            await wait_for_join(chat, room_id, self.bot_id)
        return chat, room_id


async def _accept_invite(chat: Chat, room_id: str) -> None:
    await chat.sync_until(lambda: room_id in chat.client.invited_rooms)
    joined = await chat.client.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined


async def make_world(
    server: SynapseServer,
    data_dir: Path,
    make_client: ClientMaker,
    set_env: Callable[[str, str], None],
    *,
    teams: tuple[str, ...] = ("haushalt",),
    colleagues: Mapping[str, str] = MappingProxyType({}),
    allowed_homeservers: tuple[str, ...] = ("localhost",),
    encrypted_dms: bool = False,
    encrypted_rooms: bool = False,
    join_team_rooms: bool = True,
    by_alias: bool = False,
    database_url: str | None = None,
    configure: Callable[[OrgConfig], OrgConfig] | None = None,
    platforms: tuple[str, ...] = ("matrix",),
) -> World:
    """Register bot and agent, create the team rooms (bot invited), start the bot.

    `colleagues` maps further person ids (e.g. "ccc.schulz") to user-name prefixes; those
    users are registered, mapped in the config and invited into their team's room. With
    `by_alias`, each team room gets an alias and the config names the room by it
    (World.team_rooms still holds the room ids). `configure` changes the Matrix config before
    the bot starts (e.g. adds Teams, served too when `platforms` names it)."""
    bot_user = await server.register("hotline")
    agent = Chat(await make_client(await server.register("agent")), bot_user.user_id)
    await agent.sync(timeout_ms=0)
    others: dict[str, Chat] = {}
    for person_id, prefix in colleagues.items():
        others[person_id] = Chat(await make_client(await server.register(prefix)), bot_user.user_id)
        await others[person_id].sync(timeout_ms=0)
    config_people = {"hh.schneider": agent.user_id} | {p: c.user_id for p, c in others.items()}
    base = load_config(None)
    rooms: dict[str, str] = {}
    configured: dict[str, str] = {}
    for team_id in teams:
        members = {p.id for p in base.team(team_id).members}
        invite = [bot_user.user_id] + [c.user_id for p, c in others.items() if p in members]
        alias = f"hotline-{team_id}-{uuid.uuid4().hex[:6]}" if by_alias else None
        rooms[team_id] = await create_room(
            agent.client,
            invite,
            name=f"Hotline {team_id}",
            encrypted=encrypted_rooms,
            alias=alias,
        )
        configured[team_id] = rooms[team_id] if alias is None else f"#{alias}:{server.server_name}"
        for person_id, chat in others.items():
            if person_id in members:
                await _accept_invite(chat, rooms[team_id])
    config = hotline_config(
        homeserver=server.base_url,
        bot_user_id=bot_user.user_id,
        team_rooms=configured,
        people=config_people,
        allowed_homeservers=allowed_homeservers,
        encrypt_direct_rooms=encrypted_dms,
    )
    if configure is not None:
        config = configure(config)
    set_env(TOKEN_ENV, bot_user.access_token)
    bot = HotlineBot(config, data_dir, database_url=database_url, platforms=platforms)
    await bot.start()
    if join_team_rooms:
        for room_id in rooms.values():
            await wait_for_join(agent, room_id, bot_user.user_id)
    return World(server, bot_user, bot, agent, rooms, make_client, encrypted_dms, others)


async def wait_for_outbox(bot: HotlineBot, within: float) -> None:
    """Until every outbox row is delivered and the reactions on its questions are added
    (they follow a second later, in the background); the failure names what is left."""

    async def empty() -> bool:
        return not bot.adapter.reactions.running and bool(await bot.pending_outbox() == 0)

    try:
        await eventually(empty, within=within, what="outbox delivered")
    except AssertionError:
        rows = [r for r in await bot.outbox_rows(platform="matrix") if r.status != "delivered"]
        details = [
            (
                r.id,
                r.target_kind,
                r.target_address,
                r.status,
                r.attempts,
                r.last_error,
                r.lease_until,
            )
            for r in rows
        ]
        raise AssertionError(f"undelivered outbox rows: {details}") from None
