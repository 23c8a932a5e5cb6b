"""`check-config --online` against a real Synapse: the token, each team room, each staff id.

A config whose token belongs to the bot, with one room the bot is in, one it was never
invited to, one alias of its own server that does not exist yet (the bot creates it at
start), one staff id that exists and one that does not; then a token that is rejected."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from tests.matrix.bot_fixture import create_room
from tests.matrix.bot_process import TOKEN_ENV, write_config
from tests.matrix.conftest import ClientFactory
from tests.matrix.synapse import SynapseServer


def team_index(path: Path, team_id: str) -> int:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(i for i, team in enumerate(data["teams"]) if team["id"] == team_id)


def member_index(path: Path, team_id: str, person_id: str) -> tuple[int, int]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    t = team_index(path, team_id)
    return t, next(i for i, m in enumerate(data["teams"][t]["members"]) if m["id"] == person_id)


async def test_the_online_check_names_each_problem_with_its_key_path(
    synapse: SynapseServer,
    matrix_client: ClientFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot_user = await synapse.register("hotline")
    agent_user = await synapse.register("agent")
    agent, bot = await matrix_client(agent_user), await matrix_client(bot_user)
    joined_room = await create_room(agent, [bot_user.user_id], name="Haushalt")
    await bot.join(joined_room)
    foreign_room = await create_room(agent, [], name="Kreditoren")
    server = synapse.server_name
    new_alias = f"#hotline-neu-{tmp_path.name[-6:]}:{server}"
    config = write_config(
        tmp_path / "hotline.yaml",
        homeserver=synapse.base_url,
        bot_user_id=bot_user.user_id,
        team_rooms={"haushalt": joined_room, "kreditoren": foreign_room, "bk": new_alias},
        people={"hh.schneider": agent_user.user_id, "hh.weber": f"@niemand:{server}"},
    )
    monkeypatch.setenv(TOKEN_ENV, bot_user.access_token)
    code = await asyncio.to_thread(main, ["check-config", "--online", str(config)])
    out = capsys.readouterr().out
    assert code == 1, out
    lead = member_index(config, "haushalt", "hh.schneider")
    missing = member_index(config, "haushalt", "hh.weber")
    for line in (
        f"ok: platforms.matrix.access_token: logs in as {bot_user.user_id}",
        f"ok: teams[{team_index(config, 'haushalt')}].channels.matrix: {joined_room}: "
        "the bot is in the room",
        f"PROBLEM: teams[{team_index(config, 'kreditoren')}].channels.matrix: {foreign_room}: "
        "the bot is not in the room; invite it",
        f"ok: teams[{team_index(config, 'bk')}].channels.matrix: {new_alias} does not exist "
        "yet: the bot creates it",
        f"ok: teams[{lead[0]}].members[{lead[1]}].ids.matrix: exists",
        f"PROBLEM: teams[{missing[0]}].members[{missing[1]}].ids.matrix: no such user "
        f"@niemand:{server}",
        "online: 6 checked, 2 problem(s)",
    ):
        assert line in out.splitlines(), f"{line!r} not in:\n{out}"

    monkeypatch.setenv(TOKEN_ENV, "syt_not_a_token")
    code = await asyncio.to_thread(main, ["check-config", "--online", str(config)])
    out = capsys.readouterr().out
    assert code == 1
    assert "PROBLEM: platforms.matrix.access_token: rejected (M_UNKNOWN_TOKEN)" in out
