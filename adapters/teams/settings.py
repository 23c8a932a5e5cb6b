"""Teams settings: app id, password and tenant from the environment; anonymous without."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.teams.auth import BOT_FRAMEWORK_ISSUER, BOT_FRAMEWORK_METADATA
from bot.config.model import OrgConfig

TENANT_ENV = "HOTLINE_TEAMS_TENANT_ID"  # read when the config names no tenant_id
ALLOW_ANONYMOUS_ENV = "HOTLINE_TEAMS_ALLOW_ANONYMOUS"  # "1": anonymous mode off loopback too
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class TeamsSetupError(Exception):
    """The Teams platform is not configured safely enough to start."""


@dataclass(frozen=True)
class TeamsSettings:
    """Everything the Teams adapter needs; empty app id = local anonymous mode."""

    app_id: str = ""
    app_password: str = ""
    tenant_id: str | None = None  # needed to open a 1:1 chat (else: from a stored reference)
    host: str = "127.0.0.1"
    port: int = 3978
    service_url: str | None = None  # for proactive messages before anyone wrote to the bot
    openid_metadata_url: str = BOT_FRAMEWORK_METADATA
    issuer: str = BOT_FRAMEWORK_ISSUER

    @property
    def anonymous(self) -> bool:
        """No credentials: no inbound token check, no outbound token (emulators only)."""
        return not self.app_id


def teams_settings(config: OrgConfig, environ: Mapping[str, str] | None = None) -> TeamsSettings:
    """Read platforms.teams; secrets are resolved from their environment variables or files.
    The tenant id falls back to $HOTLINE_TEAMS_TENANT_ID when the config does not name it.
    Raises TeamsSetupError for anonymous mode on a host other than loopback."""
    env = os.environ if environ is None else environ
    tenant_from_env = env.get(TENANT_ENV) or None
    platform = config.platforms.get("teams")
    if platform is None:
        return TeamsSettings(tenant_id=tenant_from_env)
    settings, secrets = platform.settings, platform.secrets

    def secret(name: str) -> str:
        ref = secrets.get(name)
        return (ref.resolve() if ref is not None else None) or str(settings.get(name) or "")

    result = TeamsSettings(
        app_id=secret("app_id"),
        app_password=secret("app_password"),
        tenant_id=secret("tenant_id") or tenant_from_env,
        host=str(settings.get("host") or "127.0.0.1"),
        port=int(str(settings.get("port") or 3978)),
        service_url=str(settings["service_url"]) if settings.get("service_url") else None,
        openid_metadata_url=str(settings.get("openid_metadata_url") or BOT_FRAMEWORK_METADATA),
        issuer=str(settings.get("issuer") or BOT_FRAMEWORK_ISSUER),
    )
    if result.anonymous and result.host not in LOOPBACK and env.get(ALLOW_ANONYMOUS_ENV) != "1":
        # Anonymous mode checks no token: anyone who reaches the port could pose as Teams.
        raise TeamsSetupError(
            f"no Teams app id is set, and anonymous mode (no token check) listens only on "
            f"loopback, not on {result.host!r}: set the app id and password (see README), or "
            f"{ALLOW_ANONYMOUS_ENV}=1 for an emulator on another host"
        )
    return result
