"""Config validation of the chat platforms, their ids and their secrets.

Unknown platforms in channels, person ids and the platforms section; the form of Matrix
user ids, aliases and room ids of every room version; Matrix settings; secrets written into
the file instead of {env: ...} or {file: ...}; an enabled platform without credentials and
a config with no platform enabled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config_validate_support import (
    SAMPLE,
    assert_issue_at,
    find,
    issue_cases,
    issues_of,
    line_of,
    mutate,
)

# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # platforms and platform ids
    (
        '      teams: "19:79251ae3',
        '      slack: "19:79251ae3',
        "teams[0].channels.slack",
        "unknown platform 'slack'",
        None,
    ),
    (
        '          teams: "67185a80',
        '          slack: "67185a80',
        "teams[0].members[0].ids.slack",
        "unknown platform 'slack'",
        None,
    ),
    (
        "  local:\n    enabled: true\n",
        "  local:\n    enabled: true\n  slack:\n    enabled: false\n",
        "platforms.slack",
        "unknown key 'slack'",
        "  slack:",
    ),
    (
        '"@anna.berger:stadt.example"',
        '"anna.berger@stadt.example"',
        "teams[0].members[0].ids.matrix",
        "'@user:server'",
        None,
    ),
    (
        '"#hotline-bk:stadt.example"',
        '"hotline-bk"',
        "teams[0].channels.matrix",
        "'#alias:server'",
        None,
    ),
    (
        'user_id: "@hotline:stadt.example"',
        'user_id: "hotline"',
        "platforms.matrix.user_id",
        "'@user:server'",
        None,
    ),
    (
        'leads_room: "#hotline-leitung:stadt.example"',
        'leads_room: "leitung"',
        "platforms.matrix.leads_room",
        "'#alias:server'",
        None,
    ),
    (
        "reaction_delay_seconds: 1.0",
        "reaction_delay_seconds: -1",
        "platforms.matrix.reaction_delay_seconds",
        "seconds from 0 to 60",
        None,
    ),
    (
        'homeserver: "https://matrix.stadt.example"',
        'homeserver: "matrix.stadt.example"',
        "platforms.matrix.homeserver",
        "URL",
        None,
    ),
    (
        "  local:\n    enabled: true\n",
        "  local:\n    enabled: ja\n",
        "platforms.local.enabled",
        "true or false",
        "    enabled: ja",
    ),
    # secrets
    (
        "access_token: {env: HOTLINE_MATRIX_ACCESS_TOKEN}",
        'access_token: "syt_c2VjcmV0"',
        "platforms.matrix.access_token",
        "secrets must not be written",
        None,
    ),
    (
        "app_password: {env: HOTLINE_TEAMS_APP_PASSWORD}",
        "app_password: 123456",
        "platforms.teams.app_password",
        "use {env: NAME} or {file: PATH}",
        None,
    ),
    (
        "  default_locale: de",
        '  api_key: "abc"\n  default_locale: de',
        "organisation.api_key",
        "secrets must not be written",
        None,
    ),
    (
        "{env: HOTLINE_TEAMS_APP_ID}",
        "{env: 'HOTLINE TEAMS'}",
        "platforms.teams.app_id.env",
        "invalid environment variable name",
        None,
    ),
    (
        "{env: HOTLINE_TEAMS_APP_ID}",
        "{vault: app-id}",
        "platforms.teams.app_id.vault",
        "unknown key 'vault'",
        None,
    ),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_matrix_enabled_needs_its_credentials(tmp_path: Path) -> None:
    text = SAMPLE.replace(
        "    enabled: false\n    homeserver", "    enabled: true\n    homeserver", 1
    ).replace("    access_token: {env: HOTLINE_MATRIX_ACCESS_TOKEN}\n", "", 1)
    issue = find(issues_of(tmp_path, text), "platforms.matrix", "'access_token' is required")
    assert issue.line == line_of(text, "  matrix:\n    enabled: true")


def test_some_platform_must_be_enabled(tmp_path: Path) -> None:
    text, _ = mutate("  local:\n    enabled: true\n", "  local:\n    enabled: false\n")
    issue = find(issues_of(tmp_path, text), "platforms", "no platform is enabled")
    assert issue.line == line_of(text, "\nplatforms:")


@pytest.mark.parametrize(
    ("room", "valid"),
    [
        ("!AbCdEf:stadt.example", True),
        ("!AbCdEf:stadt.example:8448", True),
        ("!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM", True),  # room version 12: no server
        ("#hotline-leitung:stadt.example", True),
        ("#hotline-leitung", False),  # an alias always names its server
        ("leitung", False),
        ("!a b:stadt.example", False),
        ("!", False),
    ],
)
def test_matrix_room_ids_of_every_room_version_and_aliases(room: str, valid: bool) -> None:
    from bot.config.validate_platforms import MATRIX_ROOM

    assert bool(MATRIX_ROOM.fullmatch(room)) is valid
