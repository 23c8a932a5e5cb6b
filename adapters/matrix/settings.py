"""Matrix settings from the organisation config; the access token from env or a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config.model import OrgConfig


class MatrixSetupError(Exception):
    """The Matrix platform is not configured well enough to start."""


@dataclass(frozen=True)
class MatrixSettings:
    """Everything the Matrix adapter needs to connect."""

    homeserver: str
    user_id: str
    access_token: str
    allowed_homeservers: tuple[str, ...]
    store_dir: Path
    encrypt_direct_rooms: bool = True
    reaction_delay: float = 1.0  # seconds before a question's choice reactions are added

    @property
    def server_name(self) -> str:
        """The bot's own homeserver name (after the colon of its user id)."""
        return self.user_id.split(":", 1)[1]


def matrix_settings(config: OrgConfig, data_dir: Path) -> MatrixSettings:
    """Read platforms.matrix; raise MatrixSetupError naming what is missing."""
    platform = config.platforms.get("matrix")
    if platform is None:
        raise MatrixSetupError("platforms.matrix is missing in the config")
    homeserver = str(platform.settings.get("homeserver", ""))
    user_id = str(platform.settings.get("user_id", ""))
    secret = platform.secrets.get("access_token")
    token = secret.resolve() if secret is not None else None
    if not homeserver or not user_id:
        raise MatrixSetupError("platforms.matrix needs homeserver and user_id")
    if not token:
        where = "" if secret is None else f" (env {secret.env!r} or file {secret.file!r})"
        raise MatrixSetupError(f"no Matrix access token found{where}")
    allowed = platform.settings.get("allowed_homeservers") or (user_id.split(":", 1)[1],)
    encrypt = platform.settings.get("encrypt_direct_rooms", True)
    store = platform.settings.get("store_path")
    return MatrixSettings(
        homeserver=homeserver,
        user_id=user_id,
        access_token=token,
        allowed_homeservers=tuple(str(server) for server in allowed),  # type: ignore[attr-defined]
        store_dir=Path(str(store)) if store else data_dir / "matrix-store",
        encrypt_direct_rooms=bool(encrypt),
        reaction_delay=float(platform.settings.get("reaction_delay_seconds", 1.0)),  # type: ignore[arg-type]
    )
