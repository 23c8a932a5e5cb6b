"""The offline test config for Synapse: one plain-HTTP listener on 127.0.0.1, SQLite, no
federation, every rate limit relaxed, a fresh signing key (used by tests/matrix/synapse.py)."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

import yaml

SERVER_NAME = "localhost"
CONFIG_FILE = "homeserver.yaml"
LOG_FILE = "homeserver.log"
STDIO_FILE = "stdio.log"

# Every rate limiter Synapse 1.163 reads (synapse/config/ratelimiting.py), as dotted config
# paths. Synapse ignores unknown keys silently, so test_synapse_harness.py checks against the
# installed version that each limiter really ends up relaxed.
RATE_LIMITS: tuple[str, ...] = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)
UNLIMITED: dict[str, float] = {"per_second": 100_000.0, "burst_count": 1_000_000}


def _unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _nested(dotted: str, value: dict[str, float]) -> dict[str, Any]:
    head, _, rest = dotted.partition(".")
    return {head: _nested(rest, value) if rest else dict(value)}


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def homeserver_config(workdir: Path, port: int) -> dict[str, Any]:
    """The offline test homeserver.yaml as a dict: no federation, no key servers, no
    metrics or presence, cheap bcrypt, every rate limiter in RATE_LIMITS relaxed."""
    config: dict[str, Any] = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(workdir / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
        "media_store_path": str(workdir / "media_store"),
        "log_config": str(workdir / "log.config.yaml"),
        "signing_key_path": str(workdir / "signing.key"),
        "registration_shared_secret": secrets.token_hex(32),
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        "enable_registration": False,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "enable_metrics": False,
        "presence": {"enabled": False},
        "bcrypt_rounds": 4,
    }
    for key in RATE_LIMITS:
        _merge(config, _nested(key, UNLIMITED))
    return config


def _log_config(log_file: Path) -> dict[str, Any]:
    return {
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                "%(request)s - %(message)s"
            }
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filename": str(log_file),
                "encoding": "utf8",
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


def write_workdir(workdir: Path, port: int) -> dict[str, Any]:
    """Write homeserver.yaml, the log config and a fresh signing key; return the config."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = homeserver_config(workdir, port)
    (workdir / "log.config.yaml").write_text(
        yaml.safe_dump(_log_config(workdir / LOG_FILE)), encoding="utf-8"
    )
    key = workdir / "signing.key"
    key.write_text(f"ed25519 a_test {_unpadded_b64(secrets.token_bytes(32))}\n", encoding="utf-8")
    key.chmod(0o600)
    path = workdir / CONFIG_FILE
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return config
