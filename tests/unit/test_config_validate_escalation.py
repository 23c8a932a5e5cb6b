"""Config validation of the escalation policies and the escalation sweep.

Step actions, deadlines, before/after offsets and step ids; the default, per-team and
per-level policy references; repeats, office-hours flag, sweep interval, claim lease,
interim update and digest time, each reported with key path and line.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.config_validate_support import (
    STEPS,
    assert_issue_at,
    issue_cases,
)

# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # escalation
    ("action: remind}", "action: shout}", f"{STEPS}[0].action", "unknown action 'shout'", None),
    (
        "deadline: update,",
        "deadline: silence,",
        f"{STEPS}[3].deadline",
        "unknown deadline 'silence'",
        None,
    ),
    ("before: 2h", "before: -2h", f"{STEPS}[0].before", "must not be negative", None),
    ("after: 1h", "after: -1h", f"{STEPS}[2].after", "must not be negative", None),
    ("before: 2h", "before: 2h, after: 1h", f"{STEPS}[0]", "not both", None),
    ("{id: frist,", "{id: erinnerung,", f"{STEPS}[1].id", "duplicate step id", None),
    (
        "  default_policy: standard",
        "  default_policy: sanft",
        "escalation.default_policy",
        "unknown escalation policy 'sanft'",
        None,
    ),
    (
        "    escalation_policy: null",
        "    escalation_policy: streng",
        "teams[0].escalation_policy",
        "unknown escalation policy 'streng'",
        None,
    ),
    (
        "repeat_every: 4h",
        "repeat_every: -4h",
        "escalation.policies.standard.repeat_every",
        "must not be negative",
        None,
    ),
    (
        "  by_level: {}                        # e.g.",
        "  by_level: {2: streng}                        # e.g.",
        "escalation.by_level.2",
        "unknown escalation policy 'streng'",
        None,
    ),
    (
        "  by_level: {}                        # e.g.",
        "  by_level: {5: standard}                        # e.g.",
        "escalation.by_level.5",
        "levels are 1, 2 and 3",
        None,
    ),
    (
        "max_repeats: 3",
        "max_repeats: 3\n      office_hours_only: vielleicht",
        "escalation.policies.standard.office_hours_only",
        "true or false",
        "office_hours_only",
    ),
    (
        "max_repeats: 3",
        "max_repeats: -1",
        "escalation.policies.standard.max_repeats",
        "at least 0",
        None,
    ),
    (
        "max_repeats: 3",
        "max_repeats: drei",
        "escalation.policies.standard.max_repeats",
        "whole number",
        None,
    ),
    (
        "sweep_interval: 30s",
        "sweep_interval: -30s",
        "escalation.sweep_interval",
        "must not be negative",
        None,
    ),
    (
        "sweep_interval: 30s",
        "sweep_interval: 0",
        "escalation.sweep_interval",
        "greater than zero",
        None,
    ),
    ("claim_lease: 4h", "claim_lease: -4h", "escalation.claim_lease", "must not be negative", None),
    (
        "interim_update_after: 8h",
        "interim_update_after: -8h",
        "escalation.interim_update_after",
        "must not be negative",
        None,
    ),
    (
        "interim_update_after: 8h",
        "interim_update_after: 8 hours",
        "escalation.interim_update_after",
        "invalid duration",
        None,
    ),
    ('digest_at: "08:45"', "digest_at: 8:45", "escalation.digest_at", "in quotes", None),
    ('digest_at: "08:45"', 'digest_at: "25:00"', "escalation.digest_at", "invalid time", None),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)
