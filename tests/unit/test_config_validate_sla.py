"""Config validation of the SLA policies and the targets that use them.

Policy durations and minimum remaining times (negative, zero), policy kinds and the keys
each kind needs or does not use, misspelt keys, and unknown policies or levels in the
default and per-level targets, each reported with key path and line.
"""

from __future__ import annotations

from pathlib import Path

from bot.config.loader import load_config
from tests.unit.config_validate_support import assert_issue_at, issue_cases, mutate

# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # SLA policies and targets
    (
        "duration: 16h",
        "duration: -16h",
        "sla.policies.loesung.duration",
        "must not be negative",
        None,
    ),
    (
        "min_remaining: 2h",
        "min_remaining: -2h",
        "sla.policies.reaktion.min_remaining",
        "must not be negative",
        None,
    ),
    (
        "duration: 8h}",
        "duration: 0}",
        "sla.policies.aktualisierung.duration",
        "greater than zero",
        None,
    ),
    (
        "{kind: working_hours, duration: 16h}",
        "{kind: work_hours, duration: 16h}",
        "sla.policies.loesung.kind",
        "unknown policy kind 'work_hours'",
        None,
    ),
    (
        "{kind: working_hours, duration: 16h}",
        "{kind: working_hours}",
        "sla.policies.loesung",
        "needs 'duration'",
        None,
    ),
    (
        "{kind: same_or_next_working_day, min_remaining: 2h}",
        "{kind: same_or_next_working_day}",
        "sla.policies.reaktion",
        "needs 'min_remaining'",
        None,
    ),
    (
        "min_remaining: 2h}",
        "min_remaining: 2h, duration: 4h}",
        "sla.policies.reaktion.duration",
        "not used",
        None,
    ),
    (
        "min_remaining: 2h",
        "min_remaning: 2h",
        "sla.policies.reaktion.min_remaning",
        "did you mean 'min_remaining'",
        None,
    ),
    (
        "resolution: loesung",
        "resolution: loesen",
        "sla.default.resolution",
        "unknown SLA policy 'loesen'",
        None,
    ),
    (
        "  by_level: {}",
        "  by_level: {2: {update: schnell}}",
        "sla.by_level.2.update",
        "unknown SLA policy 'schnell'",
        None,
    ),
    (
        "  by_level: {}",
        "  by_level: {4: {update: loesung}}",
        "sla.by_level.4",
        "levels are 1, 2 and 3",
        None,
    ),
    (
        "compliance_target: 90",
        "compliance_target: 120",
        "sla.compliance_target",
        "a percentage up to 100",
        None,
    ),
    (
        "compliance_target: 90",
        "compliance_target: 0",
        "sla.compliance_target",
        "at least 1",
        None,
    ),
]


def test_the_compliance_target_is_read_and_defaults_to_90(tmp_path: Path) -> None:
    path = tmp_path / "hotline.yaml"
    for line, target in (("  compliance_target: 75", 75), ("", 90)):
        path.write_text(mutate("  compliance_target: 90", line)[0], encoding="utf-8")
        assert load_config(path).sla.compliance_target == target


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)
