"""What a valid config may still get wrong at run time, said before the bot starts.

`check-config` prints these as warnings (the file is valid; the environment or the
homeserver layout may be different where the bot runs): the demo's terminal chat left on
beside Matrix or Teams; a secret of an enabled platform
whose variable or file is not there, which otherwise shows only as a failed login; a team
room alias on another homeserver than the bot's, which the bot cannot create or join and
which used to be an error logged every minute while its tickets stayed undelivered.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config.model import OrgConfig, SecretRef


def config_warnings(config: OrgConfig, environ: Mapping[str, str]) -> list[str]:
    """One line per finding, with the key path."""
    found: list[str] = []
    for name, platform in sorted(config.platforms.items()):
        if not platform.enabled:
            continue
        for key, ref in sorted(platform.secrets.items()):
            if ref.resolve(environ) is None:
                found.append(f"platforms.{name}.{key}: {_missing(ref)}")
    enabled = {name for name, platform in config.platforms.items() if platform.enabled}
    remote = sorted(enabled - {"local"})
    if "local" in enabled and remote:
        found.append(
            f"platforms.local: the terminal chat is on beside {', '.join(remote)}: team cards "
            "and staff notices are also written for it, where nobody reads them; switch it "
            "off (enabled: false) in production"
        )
    matrix = config.platforms.get("matrix")
    if matrix is not None and matrix.enabled:
        server = str(matrix.settings.get("user_id", "")).partition(":")[2]
        for index, team in enumerate(config.teams):
            room = team.channels.get("matrix", "")
            if server and room.startswith("#") and room.partition(":")[2] != server:
                found.append(
                    f"teams[{index}].channels.matrix: {room} is on another homeserver than "
                    f"the bot ({server}); the bot can only create and join aliases of its "
                    "own server there: use the room id (!...) of a room it is invited to"
                )
    return found


def _missing(ref: SecretRef) -> str:
    if ref.env and ref.file:
        return f"neither ${ref.env} is set nor does {ref.file} exist: the bot cannot log in"
    if ref.env:
        return f"${ref.env} is not set: the bot cannot log in"
    return f"{ref.file} does not exist: the bot cannot log in"
