"""Config validation of the file's structure, and of the validator as a whole.

Missing required keys, wrong types, unknown or misspelt keys, duplicate keys, an unknown
locale, empty lists and the privacy retention limits are reported with key path and line;
all errors come at once in line order, a top level that is not a mapping is reported, and
no single deleted or retyped key anywhere in the sample crashes the validator.
"""

from __future__ import annotations

import copy as copy_module
from pathlib import Path
from typing import Any

from bot.config.validate import validate
from bot.config.yaml_lines import load_yaml
from tests.unit.config_validate_support import (
    SAMPLE,
    STEPS,
    TOPIC,
    assert_issue_at,
    find,
    issue_cases,
    issues_of,
    line_of,
)

# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # structure: missing keys, wrong types, unknown keys, duplicates
    (
        '  name: "Abteilung Finanzen (GL 2)"\n',
        "",
        "organisation",
        "missing required key 'name'",
        "organisation:",
    ),
    (
        "    leads: [bk.berger]\n",
        "    leads: bk.berger\n",
        "teams[0].leads",
        "expected a list",
        None,
    ),
    (
        '    name: {de: "Kontierung", en: "Account assignment"}',
        "    name: [Kontierung]",
        f"topics[{TOPIC['kontierung']}].name",
        "expected a name",
        None,
    ),
    (
        "    confidential: true",
        "    confidential: vielleicht",
        f"topics[{TOPIC['beschwerde']}].confidential",
        "true or false",
        None,
    ),
    (
        "\nplatforms:\n",
        "\nescalaton: {}\nplatforms:\n",
        "escalaton",
        "did you mean 'escalation'",
        "escalaton",
    ),
    (
        "  default_locale: de",
        "  default_locale: fr",
        "organisation.default_locale",
        "unknown locale 'fr'",
        None,
    ),
    (
        "  default_locale: de",
        "  default_locale: de\n  default_locale: en",
        "organisation.default_locale",
        "duplicate key",
        "default_locale: en",
    ),
    # privacy: retention periods
    (
        "    complaints: 365",
        "    complaints: 0",
        "privacy.retention_days.complaints",
        "at least 1",
        None,
    ),
    (
        "    tickets: 730",
        "    tickets: 99999",
        "privacy.retention_days.tickets",
        "at most 3650 days",
        None,
    ),
    (
        "    newsletter: 365",
        "    newsletter: 365\n    chats: 30",
        "privacy.retention_days.chats",
        "unknown key",
        "chats",
    ),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    text = SAMPLE
    changes = [
        ("  timezone: Europe/Berlin", "  timezone: Mars/Olympus"),
        ("    team: haushalt\n", "    team: haushlt\n"),
        ("    leads: [kred.wagner]\n", "    leads: []\n"),
        ('    friday: ["08:30-12:00"]', '    friday: ["12:00-08:30"]'),
        ("duration: 16h", "duration: -16h"),
        ("action: remind}", "action: shout}"),
        ("access_token: {env: HOTLINE_MATRIX_ACCESS_TOKEN}", "access_token: hunter2"),
        ("\nplatforms:\n", "\nplattforms: {}\nplatforms:\n"),
    ]
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    issues = issues_of(tmp_path, text)
    expected = {
        "calendar.timezone": "Mars/Olympus",
        "topics[0].team": "team: haushlt",
        "teams[1].leads": "leads: []",
        "calendar.office_hours.friday[0]": "12:00-08:30",
        "sla.policies.loesung.duration": "-16h",
        f"{STEPS}[0].action": "action: shout",
        "platforms.matrix.access_token": "hunter2",
        "plattforms": "plattforms:",
    }
    assert {i.path for i in issues} == set(expected)
    for issue in issues:
        assert issue.line == line_of(text, expected[issue.path]), str(issue)
    lines = [i.line or 0 for i in issues]
    assert lines == sorted(lines)


def test_empty_lists_are_reported(tmp_path: Path) -> None:
    start = SAMPLE.index("\ntopics:\n") + 1
    end = SAMPLE.index("\n# --- Reaction times")
    text = SAMPLE[:start] + "topics: []\n" + SAMPLE[end:]
    issue = find(issues_of(tmp_path, text), "topics", "at least one topic")
    assert issue.line == line_of(text, "topics: []")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, "- organisation\n- teams\n")
    assert [(i.path, i.line) for i in issues] == [("(top level)", 1)]
    assert "expected a mapping" in issues[0].message


def _paths(data: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key path and list index in the data."""
    found: list[tuple[str | int, ...]] = []
    children: list[tuple[str | int, object]] = []
    if isinstance(data, dict):
        children = list(data.items())
    elif isinstance(data, list):
        children = list(enumerate(data))
    for key, value in children:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _changed(data: Any, path: tuple[str | int, ...], value: object) -> Any:
    """A deep copy of `data` with the value at `path` replaced (or deleted if _DELETE)."""
    copy = copy_module.deepcopy(data)
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


_DELETE = object()


def test_no_single_change_crashes_the_validator() -> None:
    """Delete or retype every key and list item: issues come back, never an exception."""
    doc = load_yaml(SAMPLE)
    # The first two items of each list stand for the rest (keeps the test fast).
    paths = [p for p in _paths(doc.data) if all(not isinstance(k, int) or k < 2 for k in p)]
    for path in paths:
        for value in (_DELETE, None, 7, "x", [], {"x": 1}):
            config, issues = validate(_changed(doc.data, path, value), doc.lines)
            assert (config is None) == bool(issues), path
            assert all(isinstance(i.line, int) for i in issues), (path, issues)
