"""Validate platform ids, the `platforms` section, and that no secret is written in clear."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.config.model import PLATFORMS, PlatformConfig, SecretRef
from bot.config.validate_base import Checker, known
from bot.config.yaml_lines import KeyPath
from bot.kernel import limits

# Settings each platform understands besides `enabled` (extend here when adapters grow).
PLATFORM_KEYS: dict[str, tuple[str, ...]] = {
    "local": ("enabled",),
    "matrix": (
        "enabled",
        "homeserver",
        "user_id",
        "device_id",
        "access_token",
        "password",
        "allowed_homeservers",
        "leads_room",
        "display_name",
        "store_path",
        "encrypt_direct_rooms",
        "reaction_delay_seconds",
    ),
    "teams": (
        "enabled",
        "app_id",
        "app_password",
        "tenant_id",
        "app_type",
        "host",
        "port",
        "leads_channel",
        "service_url",
        "openid_metadata_url",
        "issuer",
    ),
}
# Needed when the platform is enabled (Teams can run without credentials, anonymously).
PLATFORM_REQUIRED: dict[str, tuple[str, ...]] = {
    "local": (),
    "matrix": ("homeserver", "user_id", "access_token"),
    "teams": (),
}
SECRET_WORDS = frozenset(
    {"token", "password", "secret", "key", "tokens", "passwords", "secrets", "keys"}
)
SECRET_MESSAGE = "secrets must not be written into the config file; use {env: NAME} or {file: PATH}"
MATRIX_USER = re.compile(r"@[^:\s]+:[^\s:]+(:\d+)?")
# Aliases always name a server; room ids do up to room version 11 ("!opaque:server"), while
# version 12 (Synapse's default since 1.136) ids are the bare hash "!opaque".
MATRIX_ROOM = re.compile(r"#[^:\s]+:[^\s:]+(:\d+)?|![^:\s]+(:[^\s:]+(:\d+)?)?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEPARATORS = re.compile(r"[_\-\s.]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=1024)
def is_secret_key(name: str) -> bool:
    """True for keys like access_token, app_password, client_secret, api_key, apiKey.

    The words must be whole `_`/`-`-separated parts, so "keywords" or "monkey" are not.
    """
    parts = _SEPARATORS.split(_CAMEL.sub("_", name).lower())
    return any(part in SECRET_WORDS for part in parts)


def check_no_clear_secrets(ck: Checker, raw: object, path: KeyPath = ()) -> None:
    """Report every secret-named key anywhere in the data that holds a literal value."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            key_path = (*path, key)
            if is_secret_key(key) and _is_literal(value):
                ck.report(key_path, SECRET_MESSAGE)
            else:
                check_no_clear_secrets(ck, value, key_path)
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            check_no_clear_secrets(ck, item, (*path, index))


def _is_literal(value: object) -> bool:
    if isinstance(value, list):
        return any(_is_literal(item) for item in value)
    return value is not None and not isinstance(value, bool | dict)


def secret_ref(ck: Checker, raw: object, path: KeyPath) -> SecretRef | None:
    """A `{env: NAME}` and/or `{file: PATH}` reference."""
    node = ck.mapping(raw, path, optional=("env", "file"), what="{env: NAME} or {file: PATH}")
    if node is None:
        return None
    if not node:
        ck.report(path, "a secret reference needs 'env' or 'file'")
        return None
    env = (
        ck.string(node["env"], (*path, "env"), "an environment variable name")
        if "env" in node
        else None
    )
    if env is not None and not _ENV_NAME.fullmatch(env):
        ck.report((*path, "env"), f"invalid environment variable name {env!r}")
        return None
    file = ck.string(node["file"], (*path, "file"), "a file path") if "file" in node else None
    if ("env" in node and env is None) or ("file" in node and file is None):
        return None
    return SecretRef(env=env, file=file)


def check_platform_ids(
    ck: Checker, raw: object, path: KeyPath, *, rooms: bool
) -> dict[str, str] | None:
    """platform -> id for a person (`rooms` False) or a team channel (`rooms` True)."""
    what = "a mapping of platform (local, matrix, teams) -> id"
    node = ck.mapping(raw, path, optional=PLATFORMS, what=what, check_keys=False)
    if node is None:
        return None
    ids: dict[str, str] = {}
    ok = True
    for platform, value in node.items():
        id_path = (*path, platform)
        if platform not in PLATFORMS:
            ck.report(
                id_path, f"unknown platform '{platform}'; known platforms: {known(PLATFORMS)}"
            )
            ok = False
            continue
        text = ck.string(value, id_path, f"a {platform} id")
        if text is None:
            ok = False
            continue
        field = "local_user_id" if platform == "local" else "config_platform_id"
        if not limits.fits(field, text):
            most = limits.limit(field)
            ck.report(id_path, f"{platform} id too long: at most {most} characters")
            ok = False
            continue
        if platform == "matrix":
            pattern, form = (
                (MATRIX_ROOM, "a room id '!id' or '!id:server' or an alias '#alias:server'")
                if rooms
                else (MATRIX_USER, "a user id '@user:server'")
            )
            if not pattern.fullmatch(text):
                ck.report(id_path, f"invalid Matrix id {text!r}: expected {form}")
                ok = False
                continue
        ids[platform] = text
    return ids if ok else None


def check_platforms(ck: Checker, raw: object, path: KeyPath) -> dict[str, PlatformConfig] | None:
    """The platforms section (secrets in clear text are reported by check_no_clear_secrets)."""
    start = len(ck.issues)
    node = ck.mapping(raw, path, optional=PLATFORMS, what="a mapping of platform -> settings")
    if node is None:
        return None
    result: dict[str, PlatformConfig] = {}
    for name, value in node.items():
        if name in PLATFORM_KEYS:
            platform = _platform(ck, name, value, (*path, name))
            if platform is not None:
                result[name] = platform
    if len(ck.issues) > start:
        return None
    if not any(p.enabled for p in result.values()):
        ck.report(path, "no platform is enabled; set enabled: true for at least one")
        return None
    return result


def _platform(ck: Checker, name: str, raw: object, path: KeyPath) -> PlatformConfig | None:
    start = len(ck.issues)
    node = ck.mapping(raw, path, required=("enabled",), optional=PLATFORM_KEYS[name])
    if node is None:
        return None
    enabled = ck.boolean(node["enabled"], (*path, "enabled")) if "enabled" in node else None
    settings: dict[str, object] = {}
    secrets: dict[str, SecretRef] = {}
    for key, value in node.items():
        key_path = (*path, key)
        if key == "enabled" or key not in PLATFORM_KEYS[name] or value is None:
            continue
        if is_secret_key(key) or isinstance(value, dict):  # nested values are secret refs
            if isinstance(value, dict):
                ref = secret_ref(ck, value, key_path)
                if ref is not None:
                    secrets[key] = ref
            elif not _is_literal(value):
                ck.expect(value, key_path, "{env: NAME} or {file: PATH}")
            continue  # literals were reported by check_no_clear_secrets
        settings[key] = _setting(ck, name, key, value, key_path)
    if enabled:
        for key in PLATFORM_REQUIRED[name]:
            if node.get(key) is None:
                ck.report(path, f"'{key}' is required when {name} is enabled")
    if len(ck.issues) > start or enabled is None:
        return None
    return PlatformConfig(name=name, enabled=enabled, settings=settings, secrets=secrets)


def _setting(ck: Checker, platform: str, key: str, value: object, path: KeyPath) -> object:
    """Check the Matrix settings whose shape is known; lists become tuples (read-only)."""
    if platform == "matrix":
        _check_matrix_setting(ck, key, value, path)
    return tuple(value) if isinstance(value, list) else value


def _check_matrix_setting(ck: Checker, key: str, value: object, path: KeyPath) -> None:
    text = value if isinstance(value, str) else ""
    if key == "homeserver" and not re.fullmatch(r"https?://\S+", text):
        ck.expect(value, path, "the homeserver URL like 'https://matrix.example'")
    elif key == "user_id" and not MATRIX_USER.fullmatch(text):
        ck.report(path, f"invalid Matrix user id {value!r}: expected '@user:server'")
    elif key == "leads_room" and not MATRIX_ROOM.fullmatch(text):
        expected = "'!id', '!id:server' or '#alias:server'"
        ck.report(path, f"invalid Matrix room {value!r}: expected {expected}")
    elif key == "reaction_delay_seconds" and not (
        isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 60
    ):
        ck.expect(value, path, "seconds from 0 to 60 before choice reactions are added")
    elif key == "allowed_homeservers":
        items = ck.sequence(value, path, "a list of server names")
        for index, item in enumerate(items or []):
            ck.string(item, (*path, index), "a server name like 'stadt.example'")
