"""Config validation of a person's own working hours (`members[].hours`), with key paths.

The text form is the /arbeitszeit syntax; the structured form is that of the calendar's
office hours. Hours that never meet the office hours are refused: that person could never
be reached.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from bot.config.loader import load_config
from bot.config.model import OfficeInterval
from bot.config.weekly_hours import parse
from tests.unit.config_validate_support import (
    SAMPLE,
    TEAM,
    assert_issue_at,
    issue_cases,
)

WOLF = f"teams[{TEAM['anlagen']}].members[1].hours"
LINE = '        hours: "Mo-Do 08:30-12:00"'

CASES: list[tuple[str, str, str, str, str | None]] = [
    (LINE, '        hours: "Mo-Xy 08:30-12:00"', WOLF, "invalid working hours", None),
    (LINE, '        hours: "Mo 12:00-08:00"', WOLF, "ends before or when it starts", None),
    (LINE, '        hours: "Mo-Do"', WOLF, "days without a time range", None),
    (LINE, '        hours: "Sa-So 08:00-12:00"', WOLF, "never meet the office hours", None),
    (LINE, "        hours: 5", WOLF, "working hours like", None),
    (LINE, '        hours: {funday: ["08:30-12:00"]}', f"{WOLF}.funday", "unknown weekday", None),
]


@issue_cases(CASES)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_the_sample_gives_the_part_time_colleague_his_hours() -> None:
    config = load_config()
    wolf = config.person("anl.wolf")
    assert wolf is not None and wolf.hours == parse("Mo-Do 08:30-12:00")
    becker = config.person("anl.becker")
    assert becker is not None and becker.hours is None  # the office hours


def test_the_structured_form_means_the_same(tmp_path: Path) -> None:
    text = SAMPLE.replace(LINE, '        hours: {monday: ["08:30-12:00"], friday: ["09:00-11:00"]}')
    path = tmp_path / "hotline.yaml"
    path.write_text(text, encoding="utf-8")
    wolf = load_config(path).person("anl.wolf")
    assert wolf is not None and wolf.hours == {
        0: (OfficeInterval(time(8, 30), time(12, 0)),),
        4: (OfficeInterval(time(9, 0), time(11, 0)),),
    }
