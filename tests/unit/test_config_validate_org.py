"""Config validation of the organisation: teams, topics, people and customer groups.

References between topics and teams (unknown team or parent, a sub-topic as parent),
duplicate ids of teams, topics, customer groups and people, person ids and platform ids
used twice, and the leads and levels of the teams, each reported with key path and line.
"""

from __future__ import annotations

from pathlib import Path

from bot.config.loader import load_config
from tests.unit.config_validate_support import (
    TEAM,
    TOPIC,
    assert_issue_at,
    issue_cases,
)

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
    (
        '      de: "Kundenbetreuung und Buchhaltung"\n      en: "Customer care and accounting"\n',
        "",
        "teams[0].public_name",
        "a name: a string or a mapping",
        "    public_name:",
    ),
    ("    level: 1\n", "    level: 4\n", "teams[0].level", "level must be 1, 2 or 3", None),
    ("    level: 1\n", "    level: 2\n", "teams", "no level-1 team", "\nteams:"),
    ("    level: 3\n", "    level: 2\n", "teams", "no level-3 team", "\nteams:"),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_requesters_read_the_public_name_staff_the_full_one() -> None:
    config = load_config(None)
    bk, haushalt = config.team("bk"), config.team("haushalt")
    assert bk.shown_to_requesters("de") == "Kundenbetreuung und Buchhaltung"
    assert bk.shown_to_requesters("en") == "Customer care and accounting"
    assert bk.name.get("de") == "Team BK – Kundenbetreuung und Buchhaltung (GL 2.11)"
    assert haushalt.public_name is None
    assert haushalt.shown_to_requesters("de") == "Budget / Haushalt"
