"""The length policy where admins and the shell's command line feed the stores: the config,
the workshop catalogue and `shell --as` refuse what does not fit, with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config.model import OrgConfig
from bot.kernel import limits
from bot.workshops.catalogue import parse
from tests.unit.config_validate_support import TEAM, assert_issue_at
from tests.unit.test_workshop_catalogue import GOOD


def test_a_config_id_longer_than_its_columns_is_refused(tmp_path: Path) -> None:
    long_id = "f" * (limits.limit("config_id") + 1)
    assert_issue_at(
        tmp_path,
        "  - id: f1-f3\n",
        f"  - id: {long_id}\n",
        "customer_groups[0].id",
        "too long",
        None,
    )


def test_a_platform_id_longer_than_its_columns_is_refused(tmp_path: Path) -> None:
    server = "s" * limits.limit("config_platform_id")
    assert_issue_at(
        tmp_path,
        '      matrix: "#hotline-bk:stadt.example"\n',
        f'      matrix: "#hotline-bk:{server}"\n',
        f"teams[{TEAM['bk']}].channels.matrix",
        "too long",
        None,
    )


def test_ids_at_the_limit_are_taken(config: OrgConfig) -> None:
    assert limits.fits("config_id", "f" * limits.limit("config_id"))


def test_the_catalogue_refuses_a_code_or_place_too_long(config: OrgConfig) -> None:
    rows = [
        {**GOOD, "code": "c" * limits.limit("workshop_code")},
        {**GOOD, "code": "d" * (limits.limit("workshop_code") + 1)},
        {**GOOD, "code": "e", "place": "p" * (limits.limit("workshop_place") + 1)},
    ]
    entries, errors = parse(config, rows)
    assert [e.code for e in entries] == ["c" * limits.limit("workshop_code")]
    assert [(e.row, e.field) for e in errors] == [(2, "code"), (3, "place")]


def test_the_shell_refuses_a_user_id_too_long(capsys: pytest.CaptureFixture[str]) -> None:
    too_long = "u" * (limits.limit("local_user_id") + 1)
    assert main(["shell", "--as", too_long]) == 2
    assert "at most" in capsys.readouterr().err
