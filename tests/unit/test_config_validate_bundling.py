"""Config validation of `escalation.bundling`: window, threshold and the hourly DM ceiling,
each reported with key path and line; left out, the defaults apply."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.config.loader import load_config
from bot.config.model import BundlingConfig
from tests.unit.config_validate_support import (
    assert_issue_at,
    issue_cases,
    issues_of,
    mutate,
)

LINE = "  bundling: {window: 10m, threshold: 3, dm_ceiling_per_hour: 10}"
PATH = "escalation.bundling"
CASES = [
    (LINE, LINE.replace("10m", "0m"), f"{PATH}.window", "greater than zero", None),
    (LINE, LINE.replace("10m", "2h"), f"{PATH}.window", "at most 1h", None),
    (LINE, LINE.replace("10m", "soon"), f"{PATH}.window", "duration", None),
    (LINE, LINE.replace("threshold: 3", "threshold: 0"), f"{PATH}.threshold", "at least 1", None),
    (LINE, LINE.replace("threshold: 3", "threshold: drei"), f"{PATH}.threshold", "whole", None),
    (
        LINE,
        LINE.replace("per_hour: 10", "per_hour: 2"),
        f"{PATH}.dm_ceiling_per_hour",
        "at least the threshold (3)",
        None,
    ),
    (LINE, LINE.replace("}", ", storm: true}"), f"{PATH}.storm", "unknown key", None),
    (LINE, "  bundling: ja", PATH, "mapping", None),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_the_sample_sets_the_defaults_and_they_apply_when_left_out(tmp_path: Path) -> None:
    assert load_config(None).escalation.bundling == BundlingConfig()
    text, _ = mutate(LINE + "\n", "")
    assert issues_of(tmp_path, text) == []
    path = tmp_path / "hotline.yaml"
    assert load_config(path).escalation.bundling == BundlingConfig()
    text, _ = mutate(LINE, "  bundling: {window: 5m}")
    path.write_text(text, encoding="utf-8")
    assert load_config(path).escalation.bundling == BundlingConfig(window=timedelta(minutes=5))
