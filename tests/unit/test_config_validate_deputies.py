"""Config validation of standing deputies (Stellvertretung), with key path and line.

A deputy on a team stands in for its leads, one on a member for that person; each must be
a known person and nobody stands in for themselves.
"""

from __future__ import annotations

from pathlib import Path

from bot.config.loader import load_config
from tests.unit.config_validate_support import TEAM, assert_issue_at, issue_cases

HH = TEAM["haushalt"]
LEITUNG = TEAM["leitung"]

CASES: list[tuple[str, str, str, str, str | None]] = [
    (
        "    deputy: hh.weber\n",
        "    deputy: hh.webr\n",
        f"teams[{HH}].deputy",
        "unknown deputy 'hh.webr'",
        None,
    ),
    (
        "    deputy: hh.weber\n",
        "    deputy: hh.schneider\n",
        f"teams[{HH}].deputy",
        "cannot stand in for themselves",
        None,
    ),
    (
        "        deputy: leitung.meyer ",
        "        deputy: leitung.hoffmann ",
        f"teams[{LEITUNG}].members[0].deputy",
        "cannot stand in for themselves",
        None,
    ),
    (
        "        deputy: leitung.meyer ",
        "        deputy: Frank Meyer ",
        f"teams[{LEITUNG}].members[0].deputy",
        "invalid person id",
        None,
    ),
    (
        "        deputy: leitung.meyer ",
        "        deputy: leitung.mayer ",
        f"teams[{LEITUNG}].members[0].deputy",
        "unknown deputy 'leitung.mayer'",
        None,
    ),
]


@issue_cases(CASES)
def test_deputy_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_sample_names_standing_deputies_of_a_lead_and_of_a_team() -> None:
    config = load_config(None)
    assert config.team("haushalt").deputy == "hh.weber"
    hoffmann = config.person("leitung.hoffmann")
    assert hoffmann is not None and hoffmann.deputy == "leitung.meyer"
    assert config.person("hh.weber") is not None
    weber = config.person("hh.weber")
    assert weber is not None and weber.deputy is None
