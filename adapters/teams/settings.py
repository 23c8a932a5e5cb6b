"""Teams settings: app id, password and tenant from the environment; anonymous without."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.teams.auth import BOT_FRAMEWORK_ISSUER, BOT_FRAMEWORK_METADATA
from bot.config.model import OrgConfig


@dataclass(frozen=True)
class TeamsSettings:
    """Everything the Teams adapter needs; empty app id = local anonymous mode."""

    app_id: str = ""
    app_password: str = ""
    tenant_id: str | None = None
    host: str = "127.0.0.1"
    port: int = 3978
    service_url: str | None = None  # for proactive messages before anyone wrote to the bot
    openid_metadata_url: str = BOT_FRAMEWORK_METADATA
    issuer: str = BOT_FRAMEWORK_ISSUER

    @property
    def anonymous(self) -> bool:
        """No credentials: no inbound token check, no outbound token (emulators only)."""
        return not self.app_id


def teams_settings(config: OrgConfig) -> TeamsSettings:
    """Read platforms.teams; secrets are resolved from their environment variables or files."""
    platform = config.platforms.get("teams")
    if platform is None:
        return TeamsSettings()
    settings, secrets = platform.settings, platform.secrets

    def secret(name: str) -> str:
        ref = secrets.get(name)
        return (ref.resolve() if ref is not None else None) or str(settings.get(name) or "")

    return TeamsSettings(
        app_id=secret("app_id"),
        app_password=secret("app_password"),
        tenant_id=secret("tenant_id") or None,
        host=str(settings.get("host") or "127.0.0.1"),
        port=int(str(settings.get("port") or 3978)),
        service_url=str(settings["service_url"]) if settings.get("service_url") else None,
        openid_metadata_url=str(settings.get("openid_metadata_url") or BOT_FRAMEWORK_METADATA),
        issuer=str(settings.get("issuer") or BOT_FRAMEWORK_ISSUER),
    )
