"""Config validation of `operations:` (health and metrics endpoints, readiness limits)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.config.loader import load_config
from bot.config.model import OperationsSettings
from tests.unit.config_validate_support import (
    SAMPLE,
    assert_issue_at,
    issue_cases,
    issues_of,
)

# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    ("  port: 9464\n", "  port: 70000\n", "operations.port", "at most 65535", "  port: 70000"),
    ("  port: 9464\n", "  port: -1\n", "operations.port", "at least 0", "  port: -1"),
    ("  port: 9464\n", '  port: "web"\n', "operations.port", "a whole number", None),
    (
        "  enabled: true\n  host",
        "  enabled: ja\n  host",
        "operations.enabled",
        "true or false",
        None,
    ),
    ("  outbox_max_age: 5m", "  outbox_max_age: 0m", "operations.outbox_max_age", "", None),
    ("  sweep_max_lag: 5m", "  sweep_max_lag: bald", "operations.sweep_max_lag", "", None),
    (
        "  sweep_max_lag: 5m",
        "  sweep_max_lag: 5m\n  listen: all",
        "operations.listen",
        "unknown key 'listen'",
        "  listen",
    ),
]


@issue_cases(CASES, id_width=40)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_the_sample_serves_health_and_metrics_on_loopback() -> None:
    assert load_config().operations == OperationsSettings(
        enabled=True,
        host="127.0.0.1",
        port=9464,
        outbox_max_age=timedelta(minutes=5),
        sweep_max_lag=timedelta(minutes=5),
    )


def test_without_the_section_the_defaults_apply(tmp_path: Path) -> None:
    start = SAMPLE.index("# --- Operations")
    end = SAMPLE.index("# --- Dialogs")
    text = SAMPLE[:start] + SAMPLE[end:]
    assert issues_of(tmp_path, text) == []
    config_file = tmp_path / "hotline.yaml"
    config_file.write_text(text, encoding="utf-8")
    assert load_config(config_file).operations == OperationsSettings()
