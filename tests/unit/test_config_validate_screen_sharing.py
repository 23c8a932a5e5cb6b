"""Config validation of a team's screen-sharing link template, with key path and line."""

from __future__ import annotations

from pathlib import Path

from bot.config.loader import load_config
from tests.unit.config_validate_support import TEAM, assert_issue_at, issue_cases

HH = TEAM["haushalt"]
OLD = '      url_template: "https://video.stadt.example/hotline-{appointment_id}"\n'

CASES: list[tuple[str, str, str, str, str | None]] = [
    (
        OLD,
        '      url_template: "http://video.stadt.example/{appointment_id}"\n',
        f"teams[{HH}].screen_sharing.url_template",
        "expected an https:// link",
        None,
    ),
    (
        OLD,
        '      url_template: "https://video.stadt.example/{room}"\n',
        f"teams[{HH}].screen_sharing.url_template",
        "unknown placeholder {room}",
        None,
    ),
    (
        OLD,
        '      url_template: "https://video.stadt.example/{appointment_id"\n',
        f"teams[{HH}].screen_sharing.url_template",
        "not a valid template",
        None,
    ),
    (
        OLD,
        '      link: "https://video.stadt.example/{appointment_id}"\n',
        f"teams[{HH}].screen_sharing",
        "missing required key 'url_template'",
        "    screen_sharing:",
    ),
]


@issue_cases(CASES)
def test_screen_sharing_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_the_sample_configures_a_link_for_one_team_only() -> None:
    config = load_config(None)
    assert config.team("haushalt").screen_sharing_url == (
        "https://video.stadt.example/hotline-{appointment_id}"
    )
    assert config.team("bk").screen_sharing_url is None  # none configured: none invented
