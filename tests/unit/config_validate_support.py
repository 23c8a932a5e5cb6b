"""Shared helpers of the config validation tests (tests/unit/test_config_validate_*.py).

Every kind of config error is reported with its key path and line: each case changes one spot
of the shipped sample (which is valid) with `mutate`, validates the result with `issues_of`
and checks with `find` that the single matching issue names the right key path and the line
of the changed text. TEAM and TOPIC give the list index of a sample team or topic by id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config.loader import ConfigIssue, check_config, default_config_path

Case = tuple[str, str, str, str, str | None]  # old, new, key path, message fragment, marker

SAMPLE = default_config_path().read_text(encoding="utf-8")
_DATA: dict[str, Any] = yaml.safe_load(SAMPLE)
TEAM = {team["id"]: index for index, team in enumerate(_DATA["teams"])}
TOPIC = {topic["id"]: index for index, topic in enumerate(_DATA["topics"])}
STEPS = "escalation.policies.standard.steps"


def mutate(old: str, new: str, marker: str | None = None) -> tuple[str, int]:
    """Replace the first `old` in the sample; return the text and the line of `marker`.

    `marker` inside `new` (default: the start of `new`) gives the line of the changed
    text; a marker not in `new` is looked up in the changed text (first occurrence).
    """
    pos = SAMPLE.index(old)
    text = SAMPLE[:pos] + new + SAMPLE[pos + len(old) :]
    if marker is None or marker in new:
        offset = new.index(marker) if marker else len(new) - len(new.lstrip("\n"))
        return text, text.count("\n", 0, pos + offset) + 1
    return text, line_of(text, marker)


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the first occurrence of `marker` (leading newlines skipped)."""
    pos = text.index(marker) + len(marker) - len(marker.lstrip("\n"))
    return text.count("\n", 0, pos) + 1


def issues_of(tmp_path: Path, text: str) -> list[ConfigIssue]:
    path = tmp_path / "hotline.yaml"
    path.write_text(text, encoding="utf-8")
    return check_config(path)


def find(issues: list[ConfigIssue], path: str, fragment: str) -> ConfigIssue:
    found = [i for i in issues if i.path == path and fragment in i.message]
    assert len(found) == 1, f"no single issue at {path} with {fragment!r} in:\n" + "\n".join(
        map(str, issues)
    )
    return found[0]


def issue_cases(cases: list[Case], id_width: int | None = None) -> pytest.MarkDecorator:
    """The parametrization of a module's `test_issue_names_path_and_line`: one test per
    case, named by key path and message (cut to `id_width` characters)."""
    return pytest.mark.parametrize(
        ("old", "new", "path", "fragment", "marker"),
        cases,
        ids=[f"{case[2]}:{case[3][:id_width]}" for case in cases],
    )


def assert_issue_at(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    """Change one spot of the sample: the single matching issue names the key path and the
    changed line."""
    text, line = mutate(old, new, marker)
    issue = find(issues_of(tmp_path, text), path, fragment)
    assert issue.line == line, str(issue)
