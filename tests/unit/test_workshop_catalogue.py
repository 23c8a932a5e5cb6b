"""The workshop catalogue file: every error of every row, with its row number."""

from __future__ import annotations

from pathlib import Path

from bot.config.model import OrgConfig
from bot.workshops.catalogue import parse, read_records
from tests.conftest import berlin

GOOD = {
    "code": "beschaffung-2027-01",
    "title": "Beschaffung: Grundlagen",
    "topic": "beschaffung",
    "start": "2027-01-20 09:00",
    "duration": "3h",
    "place": "Raum 3.14",
    "seats": "12",
    "groups": "f1-f3, kern",
}


def test_a_good_row(config: OrgConfig) -> None:
    entries, errors = parse(config, [GOOD])
    assert errors == []
    (entry,) = entries
    assert (entry.starts_at, entry.ends_at) == (
        berlin(2027, 1, 20, 9, 0),
        berlin(2027, 1, 20, 12, 0),
    )
    assert (entry.seats, entry.groups, entry.trainer_team) == (12, ("f1-f3", "kern"), "bk")


def test_every_error_of_every_row_is_reported(config: OrgConfig) -> None:
    rows = [
        GOOD,
        {**GOOD, "code": "b", "seats": "zwanzig", "topic": "kochen"},
        {**GOOD, "code": "c", "groups": "schulen", "trainer_team": "kantine"},
        {**GOOD, "code": "d", "start": "20.01.2027", "duration": ""},
        {**GOOD, "code": "e", "end": "2027-01-20 08:00", "duration": ""},
        {**GOOD, "title": ""},
        GOOD,
    ]
    entries, errors = parse(config, rows)
    assert [str(e) for e in errors] == [
        "row 2: topic: unknown topic 'kochen'; known: beschaffung, haushalt, kontierung, "
        "berichtswesen, zahlungsverkehr, anlagen, einnahmen",
        "row 2: seats: not a whole number of at least 1: 'zwanzig'",
        "row 3: groups: unknown customer group 'schulen'",
        "row 3: trainer_team: unknown team 'kantine'",
        "row 4: start: not a date and time like 2027-01-20 09:00: '20.01.2027'",
        "row 4: end: missing (give end or duration)",
        "row 5: end: must be after the start",
        "row 6: title: missing",
        "row 7: code: 'beschaffung-2027-01' appears twice",
    ]
    assert [e.code for e in entries] == ["beschaffung-2027-01"]


def test_csv_with_semicolons_and_yaml(config: OrgConfig, tmp_path: Path) -> None:
    csv_file = tmp_path / "termine.csv"
    csv_file.write_text(
        "code;title;topic;start;end;place;seats;groups\n"
        "k1;Kontierung kompakt;kontierung;2027-02-03 13:00;2027-02-03 15:00;online;30;\n",
        encoding="utf-8",
    )
    entries, errors = parse(config, read_records(csv_file))
    assert errors == [] and entries[0].groups == () and entries[0].place == "online"
    yaml_file = tmp_path / "termine.yaml"
    yaml_file.write_text(
        "workshops:\n  - {code: a1, title: Anlagen, topic: anlagen, start: 2027-03-01 09:00,"
        " duration: 2h, place: Raum 1, seats: 8}\n",
        encoding="utf-8",
    )
    entries, errors = parse(config, read_records(yaml_file))
    assert errors == [] and entries[0].seats == 8
