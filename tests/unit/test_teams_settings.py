"""Teams settings: anonymous mode (no token check) is for loopback emulators only."""

from __future__ import annotations

import pytest

from adapters.teams.settings import ALLOW_ANONYMOUS_ENV, TeamsSetupError, teams_settings
from bot.config.loader import load_config
from bot.config.model import OrgConfig, SecretRef
from tests.teams.bot_fixture import teams_config


def _config(host: str, *, app_id: bool = False) -> OrgConfig:
    secrets = {"app_id": SecretRef(env="T_APP"), "app_password": SecretRef(env="T_PW")}
    return teams_config(
        load_config(None),
        port=3978,
        people={},
        settings={"host": host},
        secrets=secrets if app_id else None,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_anonymous_mode_on_loopback_starts(host: str) -> None:
    assert teams_settings(_config(host), {}).anonymous


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "hotline.stadt.example"])
def test_anonymous_mode_elsewhere_is_refused_with_the_way_out(host: str) -> None:
    with pytest.raises(TeamsSetupError, match=ALLOW_ANONYMOUS_ENV):
        teams_settings(_config(host), {})
    assert teams_settings(_config(host), {ALLOW_ANONYMOUS_ENV: "1"}).anonymous


def test_with_credentials_any_host_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_APP", "00000000-0000-0000-0000-0000000000a1")
    monkeypatch.setenv("T_PW", "not-a-real-secret")
    settings = teams_settings(_config("0.0.0.0", app_id=True), {})
    assert not settings.anonymous and settings.host == "0.0.0.0"
