"""Every kind of config error is reported with its key path and line.

Each case changes one spot of the shipped sample (which is valid) and checks that the
issue names the right key path and the line of the changed text.
"""

from __future__ import annotations

import copy as copy_module
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config.loader import ConfigIssue, check_config, default_config_path
from bot.config.validate import validate
from bot.config.yaml_lines import load_yaml

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


# (old text, new text, expected path, message fragment, line marker)
CASES: list[tuple[str, str, str, str, str | None]] = [
    # references between topics and teams; duplicate ids
    (
        "    team: haushalt\n",
        "    team: haushlt\n",
        "topics[0].team",
        "unknown team 'haushlt'",
        None,
    ),
    (
        "    parent: srm\n",
        "    parent: srn\n",
        f"topics[{TOPIC['srm.bestellung']}].parent",
        "unknown parent topic 'srn'",
        None,
    ),
    (
        "    parent: elkabu\n",
        "    parent: srm.bestellung\n",
        f"topics[{TOPIC['elkabu.abschluss']}].parent",
        "itself a sub-topic",
        None,
    ),
    (
        "  - id: anlagen\n",
        "  - id: debitoren\n",
        f"teams[{TEAM['anlagen']}].id",
        "duplicate team id 'debitoren'",
        None,
    ),
    (
        "  - id: sonstiges\n",
        "  - id: idee\n",
        f"topics[{TOPIC['sonstiges']}].id",
        "duplicate topic id 'idee'",
        None,
    ),
    (
        "  - id: f4\n",
        "  - id: f1-f3\n",
        "customer_groups[1].id",
        "duplicate customer group id",
        None,
    ),
    (
        "      - id: bk.schmidt\n",
        "      - id: bk.yilmaz\n",
        "teams[0].members[2].id",
        "duplicate person id",
        None,
    ),
    ("  - id: bk\n", "  - id: Team BK\n", "teams[0].id", "lowercase ASCII", None),
    (
        "      - id: kred.novak\n",
        "      - id: bk.schmidt\n",
        f"teams[{TEAM['kreditoren']}].members[1]",
        "defined differently",
        None,
    ),
    (
        '"@tomasz.novak:stadt.example"',
        '"@petra.wagner:stadt.example"',
        f"teams[{TEAM['kreditoren']}].members[1].ids.matrix",
        "already used by person 'kred.wagner'",
        None,
    ),
    # leads and levels
    ("    leads: [kred.wagner]\n", "    leads: []\n", "teams[1].leads", "at least one lead", None),
    (
        "    leads: [kred.wagner]\n",
        "    leads: [bk.berger]\n",
        "teams[1].leads[0]",
        "not a member",
        None,
    ),
    (
        "    leads: [kred.wagner]\n",
        "",
        "teams[1]",
        "missing required key 'leads'",
        "  - id: kreditoren",
    ),
    ("    level: 1\n", "    level: 4\n", "teams[0].level", "level must be 1, 2 or 3", None),
    ("    level: 1\n", "    level: 2\n", "teams", "no level-1 team", "\nteams:"),
    ("    level: 3\n", "    level: 2\n", "teams", "no level-3 team", "\nteams:"),
    # calendar
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["12:00-08:30"]',
        "calendar.office_hours.friday[0]",
        "end before",
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["12:00-12:00"]',
        "calendar.office_hours.friday[0]",
        "end before",
        None,
    ),
    (
        '    monday: ["08:30-12:00", "13:00-15:30"]',
        '    monday: ["08:30-12:00", "11:30-15:30"]',
        "calendar.office_hours.monday[1]",
        "overlaps 08:30-12:00",
        None,
    ),
    (
        "    friday:",
        "    fryday:",
        "calendar.office_hours.fryday",
        "unknown weekday 'fryday'",
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["8.30-12"]',
        "calendar.office_hours.friday[0]",
        '"HH:MM-HH:MM"',
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: ["08:30-24:30"]',
        "calendar.office_hours.friday[0]",
        "invalid interval",
        None,
    ),
    (
        '    friday: ["08:30-12:00"]',
        '    friday: "08:30-12:00"',
        "calendar.office_hours.friday",
        "expected a list",
        None,
    ),
    (
        "  timezone: Europe/Berlin",
        "  timezone: Europe/Bonn",
        "calendar.timezone",
        "unknown time zone 'Europe/Bonn'",
        None,
    ),
    (
        "    country: DE",
        "    country: XX",
        "calendar.holidays.country",
        "unknown holiday country 'XX'",
        None,
    ),
    (
        "    country: DE",
        "    country: NO",
        "calendar.holidays.country",
        "put the value in quotes",
        None,
    ),
    (
        "    subdivision: BY",
        "    subdivision: ZZ",
        "calendar.holidays.subdivision",
        "unknown subdivision 'ZZ'",
        None,
    ),
    (
        "    categories: [public, catholic]",
        "    categories: [public, katholisch]",
        "calendar.holidays.categories[1]",
        "unknown holiday category 'katholisch'",
        None,
    ),
    (
        "    categories: [public, catholic]",
        "    categories: public",
        "calendar.holidays.categories",
        "expected a list",
        None,
    ),
    (
        '  closure_days: ["12-24", "12-31"]',
        '  closure_days: ["12-24", "13-31"]',
        "calendar.closure_days[1]",
        "invalid closure day",
        None,
    ),
    (
        "    closure_days: []\n",
        '    closure_days: ["12-24"]\n',
        "teams[0].closure_days[0]",
        '"YYYY-MM-DD"',
        None,
    ),
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
]


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment", "marker"),
    CASES,
    ids=[f"{case[2]}:{case[3]}" for case in CASES],
)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    text, line = mutate(old, new, marker)
    issue = find(issues_of(tmp_path, text), path, fragment)
    assert issue.line == line, str(issue)


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
