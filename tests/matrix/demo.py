"""A throwaway Matrix demo: `python -m tests.matrix.demo` (after `tests/install-synapse`).

Starts a local Synapse in a temporary directory, registers the bot, a requester and an
agent of the budget team, creates the team's room, and serves the hotline until Ctrl+C.
Log in with any Matrix client (Element desktop, nheko, ...) at the printed address.
Everything lives in the temporary directory and is gone afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import nio

from bot.app import build_app
from bot.runtime import serve
from storage.migrate import upgrade
from tests.matrix.bot_fixture import TOKEN_ENV, hotline_config
from tests.matrix.synapse import SynapseServer, find_synapse_venv, synapse_missing_reason


async def main() -> None:
    """Run the demo until interrupted."""
    venv = find_synapse_venv()
    missing = synapse_missing_reason(venv)
    if missing:
        raise SystemExit(f"{missing}\nRun tests/install-synapse first.")
    workdir = Path(tempfile.mkdtemp(prefix="hotline-demo-"))
    server = SynapseServer(venv)
    await server.start_async(workdir / "synapse")
    try:
        bot = await server.register("hotline")
        requester = await server.register("schule", displayname="Schule am See")
        agent = await server.register("schneider", displayname="Martin Schneider")
        client = nio.AsyncClient(server.base_url, agent.user_id)
        client.restore_login(agent.user_id, agent.device_id, agent.access_token)
        room = await client.room_create(name="Team Haushalt", invite=[bot.user_id])
        await client.close()
        assert isinstance(room, nio.RoomCreateResponse), room
        os.environ[TOKEN_ENV] = bot.access_token
        config = hotline_config(
            homeserver=server.base_url,
            bot_user_id=bot.user_id,
            team_rooms={"haushalt": room.room_id},
            people={"hh.schneider": agent.user_id},
        )
        app = build_app(
            config=config,
            url=f"sqlite+aiosqlite:///{workdir / 'hotline.db'}",
            environ={"HOTLINE_DATA_DIR": str(workdir / "data")},
            platforms=("matrix",),
        )
        await upgrade(app.db)
        print(
            f"\nHotline demo on {server.base_url} (everything in {workdir})\n"
            f"  requester: {requester.localpart} / {requester.password}"
            f"  -> start a DM with {bot.user_id}\n"
            f"  agent:     {agent.localpart} / {agent.password}"
            "  -> room 'Team Haushalt', ✋ to claim\n"
            "Stop with Ctrl+C.\n",
            flush=True,
        )
        await serve(app)
    finally:
        await server.stop_async()
        await asyncio.to_thread(shutil.rmtree, workdir, ignore_errors=True)
        print(f"Removed {workdir}.", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
