"""Setup errors end `hotline-bot run --matrix` with one plain line, as a missing token does:
no traceback, and never the token itself."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

from tests.matrix.bot_process import EXECUTABLE, BotProcess, write_config
from tests.matrix.synapse import SynapseServer

BOGUS_TOKEN = "syt_bogus_4f1c6a8e0d2b_not-a-real-token"


async def _run_once(bot: BotProcess, token: str | None) -> subprocess.CompletedProcess[str]:
    env = bot.environment()
    if token is None:
        env.pop("HOTLINE_MATRIX_ACCESS_TOKEN")
    else:
        env["HOTLINE_MATRIX_ACCESS_TOKEN"] = token
    return await asyncio.to_thread(
        subprocess.run,
        [str(EXECUTABLE), "run", "--matrix", "--config", str(bot.config)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")


async def test_an_invalid_access_token_ends_run_with_one_line(
    synapse: SynapseServer, tmp_path: Path
) -> None:
    bot_user = await synapse.register("hotline")
    config = write_config(
        tmp_path / "hotline.yaml",
        homeserver=synapse.base_url,
        bot_user_id=bot_user.user_id,
        team_rooms={},
        people={},
    )
    bot = BotProcess(config, tmp_path / "data", BOGUS_TOKEN)
    await bot.upgrade()

    missing = await _run_once(bot, None)
    invalid = await _run_once(bot, BOGUS_TOKEN)

    for done in (missing, invalid):
        # `run` logs its lifecycle at INFO; besides those records: the one line that says why
        records = [line for line in done.stderr.strip().splitlines() if LOG_RECORD.match(line)]
        lines = [line for line in done.stderr.strip().splitlines() if not LOG_RECORD.match(line)]
        assert done.returncode == 2, done.stderr
        assert len(lines) == 1, done.stderr
        assert all(" INFO " in record for record in records), done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""
    assert "access token" in invalid.stderr and "not valid" in invalid.stderr
    assert BOGUS_TOKEN not in invalid.stderr and "bogus" not in invalid.stderr
