"""The deployment files operators copy (manifest/deploy): checked by the tools that read them.

The systemd unit is verified by systemd itself (`systemd-analyze verify`, and its offline
security score), the compose file is parsed as YAML, the Containerfile's instructions are
read in order. Building the image needs a registry this machine cannot reach.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "manifest" / "deploy"
HOTLINE_BOT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hotline-bot"
SECRET_NAMES = ("PASSWORD", "TOKEN", "DATABASE_URL")


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    """The unit with its programs pointed at this checkout's (verify needs them to exist)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    text = (DEPLOY / "hotline-bot.service").read_text(encoding="utf-8")
    path = tmp_path / "hotline-bot.service"
    path.write_text(text.replace("/opt/hotline/.venv/bin/hotline-bot", str(HOTLINE_BOT)))
    return path


def test_systemd_accepts_the_unit_without_a_word_of_complaint(unit: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_unit_is_hardened(unit: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found is not None, done.stdout[-500:] + done.stderr
    assert float(found.group(1)) <= 2.0  # systemd's scale: 0 (locked down) to 10 (exposed)


def test_the_unit_takes_secrets_from_a_file_not_from_itself() -> None:
    text = (DEPLOY / "hotline-bot.service").read_text(encoding="utf-8")
    assert "EnvironmentFile=/etc/hotline/secrets.env" in text
    settings = [line for line in text.splitlines() if line.startswith("Environment=")]
    assert settings and not [s for s in settings if any(n in s for n in SECRET_NAMES)]


def test_systemctl_reload_sends_sighup_for_a_config_reload() -> None:
    text = (DEPLOY / "hotline-bot.service").read_text(encoding="utf-8")
    reloads = [line for line in text.splitlines() if line.startswith("ExecReload=")]
    assert reloads == ["ExecReload=/bin/kill -HUP $MAINPID"]


def test_compose_runs_two_bots_after_the_migration_with_secrets_from_env() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    bots = [name for name, s in services.items() if s.get("command") == ["run"]]
    assert bots == ["bot-a", "bot-b"]
    for name in bots:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["volumes"][1].endswith(":/var/lib/hotline")  # own state each
        assert "matrix-keys:/var/lib/hotline-matrix" in services[name]["volumes"]  # failover
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            if any(n in key for n in SECRET_NAMES):
                assert str(value).startswith("${"), f"{key} must come from .env"


def test_the_image_installs_the_lock_and_runs_unprivileged() -> None:
    lines = [
        line.strip()
        for line in (DEPLOY / "Containerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    instructions = [line.split()[0] for line in lines if line.split()[0].isupper()]
    assert "USER" in instructions
    assert instructions.index("USER") < instructions.index("ENTRYPOINT")
    user = next(line for line in lines if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")
    assert any("--require-hashes -r runtime.lock" in line for line in lines)
    assert any("/healthz" in line for line in lines if line.startswith("HEALTHCHECK"))
