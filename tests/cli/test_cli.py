"""The command line: `sla due`, `check-config`, `db upgrade` and two scripted shells."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, timedelta
from functools import cache
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.kernel.clock import SHIFT_ENV, ShiftedClock
from tests.conftest import world_day_start


@cache
def _clock_shift() -> str:
    """One shift for every command of the run: the shells live on the test's day, in order."""
    return str(ShiftedClock.starting_at(world_day_start()).offset.total_seconds())


@pytest.mark.parametrize(
    ("opened", "policy", "expected"),
    [
        ("2026-11-30T13:00:00+01:00", "reaktion", "2026-11-30T15:30:00+01:00"),
        ("2026-11-30T13:31:00+01:00", "reaktion", "2026-12-01T15:30:00+01:00"),
        ("2026-11-27T10:00:00+01:00", "reaktion", "2026-11-27T12:00:00+01:00"),
        ("2026-11-27T10:01:00+01:00", "reaktion", "2026-11-30T15:30:00+01:00"),
        ("2026-12-23T14:10:00+01:00", "reaktion", "2026-12-28T15:30:00+01:00"),
        ("2026-04-02T14:00:00+02:00", "reaktion", "2026-04-07T15:30:00+02:00"),
        ("2028-08-15T09:00:00+02:00", "reaktion", "2028-08-16T15:30:00+02:00"),
        ("2026-05-25T10:00:00+02:00", "reaktion", "2026-05-26T15:30:00+02:00"),
        ("2026-06-04T09:00:00+02:00", "reaktion", "2026-06-05T12:00:00+02:00"),
        ("2028-10-03T09:00:00+02:00", "reaktion", "2028-10-04T15:30:00+02:00"),
        ("2026-11-28T11:00:00+01:00", "reaktion", "2026-11-30T15:30:00+01:00"),
        ("2026-12-23T13:10:00Z", "reaktion", "2026-12-28T15:30:00+01:00"),
        ("2026-11-26T14:00:00+01:00", "loesung", "2026-12-01T14:30:00+01:00"),
    ],
    ids=[
        "mon-13:00",
        "mon-13:31",
        "fri-10:00",
        "fri-10:01",
        "23-dec",
        "maundy-thursday",
        "assumption-2028",
        "whit-monday",
        "corpus-christi-to-friday",
        "german-unity-day-2028",
        "saturday",
        "utc-input",
        "16h-over-weekend",
    ],
)
def test_sla_due_prints_one_iso_timestamp(
    capsys: pytest.CaptureFixture[str], opened: str, policy: str, expected: str
) -> None:
    assert main(["sla", "due", "--policy", policy, "--opened", opened]) == 0
    assert capsys.readouterr().out.strip() == expected


def test_sla_due_with_team_closure_day(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from bot.config.loader import default_config_path

    sample = default_config_path().read_text(encoding="utf-8")
    marker = "    leads: [ccc.schulz]"
    assert marker in sample, "sample layout changed; adapt the test"
    changed = sample.replace(marker, marker + '\n    closure_days: ["2026-12-01"]', 1)
    path = tmp_path / "org.yaml"
    path.write_text(changed, encoding="utf-8")
    args = ["sla", "due", "--policy", "reaktion", "--opened", "2026-11-30T14:00:00+01:00"]
    assert main([*args, "--config", str(path), "--team", "ccc"]) == 0
    assert capsys.readouterr().out.strip() == "2026-12-02T15:30:00+01:00"
    assert main([*args, "--config", str(path), "--team", "bk"]) == 0
    assert capsys.readouterr().out.strip() == "2026-12-01T15:30:00+01:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "nix", "--opened", "2026-11-30T13:00:00+01:00"], "unknown policy"),
        (["--policy", "reaktion", "--opened", "2026-11-30T13:00:00"], "needs a UTC offset"),
        (["--policy", "reaktion", "--opened", "gestern"], "not an ISO 8601"),
        (
            ["--policy", "reaktion", "--opened", "2026-11-30T13:00+01:00", "--team", "x"],
            "unknown team",
        ),
    ],
)
def test_sla_due_rejects_bad_input(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["sla", "due", *args]) == 2
    assert message in capsys.readouterr().err


def test_check_config_accepts_sample_and_lists_every_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["check-config"]) == 0
    assert "OK" in capsys.readouterr().out
    from bot.config.loader import default_config_path

    broken = default_config_path().read_text(encoding="utf-8")
    broken = broken.replace("timezone: Europe/Berlin", "timezone: Europe/Atlantis", 1)
    broken = broken.replace("team: ccc", "team: cccc", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Europe/Atlantis" in out and "cccc" in out
    assert all(":" in line for line in out.strip().splitlines())


def _cli(*args: str, data_dir: Path, stdin: str = "") -> str:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir), SHIFT_ENV: _clock_shift()}
    env.pop("HOTLINE_DATABASE_URL", None)
    env.pop("HOTLINE_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_newcomer_path_two_shells(tmp_path: Path) -> None:
    """README's walk-through: a requester files, an agent claims, the requester sees it."""
    _cli("db", "upgrade", data_dir=tmp_path)
    script = "Hallo\n1\nhaushalt\nnein\nUns fehlen Haushaltsmittel für Lernmittel\n-\nja\n"
    requester = _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin=script)
    assert "Ihr Anliegen ist als Nr. 1 bei Budget / Haushalt eingegangen" in requester
    assert "Antwort spätestens" in requester
    agent = _cli("shell", "--as", "hh.schneider", data_dir=tmp_path, stdin="/queue\n/claim 1\n")
    assert "[#haushalt] Ticket Nr. 1 · in der Warteschlange" in agent
    assert "Nr. 1 · in der Warteschlange" in agent
    assert "Sie haben Nr. 1 übernommen." in agent
    later = _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin="")
    assert "Martin Schneider (Budget / Haushalt) bearbeitet jetzt Ihr Anliegen Nr. 1." in later
    again = _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin="/status 1\n")
    assert "bearbeitet jetzt" not in again  # already read: not shown twice
    assert "in Bearbeitung" in again


def test_the_shell_guesses_the_language_of_the_first_message(tmp_path: Path) -> None:
    """Like Matrix, the terminal gives no language: an English first line gets English;
    --locale still forces one."""
    _cli("db", "upgrade", data_dir=tmp_path)
    english = "Hello, I have a question about an invoice\n"
    guessed = _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin=english)
    assert "This is the finance department's hotline" in guessed
    assert "Hier ist die Hotline" not in guessed
    forced = _cli(
        "shell", "--as", "schule.mond", "--locale", "de", data_dir=tmp_path, stdin=english
    )
    assert "Hier ist die Hotline der Abteilung Finanzen" in forced
    assert "This is the finance department's hotline" not in forced
    german = "Guten Tag, ich habe eine Frage zu einer Rechnung\n"
    default = _cli("shell", "--as", "schule.stern", data_dir=tmp_path, stdin=german)
    assert "Hier ist die Hotline der Abteilung Finanzen" in default


def test_sweep_command_travels_to_the_next_step(tmp_path: Path) -> None:
    """Operators (and the demo) run one sweep now or at a moment; the channel gets it."""
    _cli("db", "upgrade", data_dir=tmp_path)
    script = "Hallo\n1\nhaushalt\nnein\nUns fehlen Haushaltsmittel für Lernmittel\n-\nja\n"
    _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin=script)
    first = _cli("sweep", data_dir=tmp_path)
    assert "steps fired" in first
    moment = first.split("next check of no. 1: ")[1].split()[0]
    swept = _cli("sweep", "--at", moment, "--digest", data_dir=tmp_path)
    assert "1 tickets checked, 1 steps fired" in swept, swept
    agent = _cli("shell", "--as", "hh.schneider", data_dir=tmp_path, stdin="")
    assert "Frist" in agent, agent  # a reminder or breach notice (the card says "Antwort")
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "sweep", "--at", "morgen"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr


def test_a_jump_in_time_is_not_downtime_and_its_notices_are_due_now(tmp_path: Path) -> None:
    """`sweep --at` three days ahead: every step fires with its notices (none is filed as
    found late for a catch-up report), and what it wrote is due now, not in three days."""
    _cli("db", "upgrade", data_dir=tmp_path)
    script = "Hallo\n1\nhaushalt\nnein\nUns fehlen Haushaltsmittel für Lernmittel\n-\nja\n"
    _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin=script)
    later = (world_day_start() + timedelta(days=3)).isoformat()
    swept = _cli("sweep", "--at", later, data_dir=tmp_path)
    assert "(0 found late" in swept, swept
    database = sqlite3.connect(tmp_path / "hotline.db")
    missed = database.execute("select count(*) from escalation_steps where missed").fetchone()
    fired = database.execute("select count(*) from escalation_steps").fetchone()
    waiting = database.execute(
        "select count(*) from outbox where status = 'pending' and next_attempt_at > ?",
        ((world_day_start() + timedelta(hours=1)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),),
    ).fetchone()
    database.close()
    assert missed == (0,) and fired[0] >= 3 and waiting == (0,)
    lead = _cli("shell", "--as", "hh.schneider", data_dir=tmp_path, stdin="")
    assert "nicht erreichbar" not in lead and "Nr. 1" in lead


def test_jobs_run_at_a_moment_and_refusals(tmp_path: Path) -> None:
    _cli("db", "upgrade", data_dir=tmp_path)
    later = (world_day_start() + timedelta(days=1)).isoformat()
    done = _cli("jobs", "run", "--at", later, data_dir=tmp_path)
    assert done.startswith("sweep: 0, digest: "), done
    assert "workshops: 0, newsletter: 0;" in done
    for args, message in (
        (["--at", later, "--only", "retention"], "retention never runs with --at"),
        (["--only", "sweep,cleanup"], "--only: unknown job cleanup"),
        (["--at", "bald"], "ISO 8601"),
    ):
        refused = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "jobs", "run", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "HOTLINE_DATA_DIR": str(tmp_path)},
            timeout=60,
            check=False,
        )
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr


def test_audit_lists_who_did_what_without_the_words_unless_asked(tmp_path: Path) -> None:
    _cli("db", "upgrade", data_dir=tmp_path)
    script = "Hallo\n1\nhaushalt\nnein\nUns fehlen Haushaltsmittel für Lernmittel\n-\nja\n"
    _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin=script)
    agent = "/claim 1\n/ask 1 Welche Lernmittel genau?\n"
    _cli("shell", "--as", "hh.schneider", data_dir=tmp_path, stdin=agent)
    _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin="/claim 1\n")  # refused
    table = _cli("audit", "--ticket", "1", data_dir=tmp_path)
    header, *lines = table.splitlines()
    assert header.split() == [
        "time",
        "source",
        "ticket",
        "action",
        "actor",
        "person",
        "audience",
        "detail",
    ]
    assert any(" claim " in line and "hh.schneider" in line for line in lines), table
    assert "Lernmittel" not in table and '"text": "[24 Zeichen]"' in table  # the length only
    assert "Lernmittel" in _cli("audit", "--ticket", "1", "--with-text", data_dir=tmp_path)
    by_agent = _cli("audit", "--person", "hh.schneider", "--action", "claim", data_dir=tmp_path)
    assert len(by_agent.splitlines()) == 2, by_agent
    refused = _cli("audit", "--person", "schule.sonne", "--format", "csv", data_dir=tmp_path)
    assert refused.startswith("\ufefftime;source;ticket;action;actor;"), refused
    assert ";audit;1;" in refused or ";audit;;" in refused, refused


def test_privacy_export_and_delete(tmp_path: Path) -> None:
    """A person's data as JSON, then erased; deletion needs --yes."""
    _cli("db", "upgrade", data_dir=tmp_path)
    script = "Hallo\n1\nhaushalt\nnein\nUns fehlen Haushaltsmittel für Lernmittel\n-\nja\n"
    _cli("shell", "--as", "schule.sonne", data_dir=tmp_path, stdin=script)
    exported = json.loads(_cli("privacy", "export", "schule.sonne", data_dir=tmp_path))
    assert exported["tickets"][0]["description"] == "Uns fehlen Haushaltsmittel für Lernmittel"
    refused = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "privacy", "delete", "schule.sonne"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), SHIFT_ENV: _clock_shift()},
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "--yes" in refused.stderr
    database = sqlite3.connect(tmp_path / "hotline.db")
    chat = "select payload from local_messages where payload like '%Lernmittel%'"
    assert database.execute(chat).fetchall(), "the shell's chat holds the request"
    erased = json.loads(_cli("privacy", "delete", "schule.sonne", "--yes", data_dir=tmp_path))
    assert erased["tickets_anonymised"] == 1 and erased["cards_retracted"] == 1
    assert database.execute(chat).fetchall() == []  # the team channel's card too
    database.close()
    again = json.loads(_cli("privacy", "export", "schule.sonne", data_dir=tmp_path))
    assert again["tickets"] == [] and again["profiles"] == []


def test_report_command_writes_markdown_csv_and_png(tmp_path: Path) -> None:
    _cli("db", "upgrade", data_dir=tmp_path)
    markdown = _cli("report", "--from", "2026-11-01", "--to", "2026-11-30", data_dir=tmp_path)
    assert "Auswertung der Hotline 01.11.2026 – 30.11.2026" in markdown
    csv_file = tmp_path / "bericht.csv"
    _cli(
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "csv",
        "--out",
        str(csv_file),
        data_dir=tmp_path,
    )
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbfBereich;Gruppe;Kennzahl;Wert;Einheit")
    png = tmp_path / "chart.png"
    _cli(
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "png",
        "--out",
        str(png),
        data_dir=tmp_path,
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_to_a_folder_that_does_not_exist_is_refused_plainly(tmp_path: Path) -> None:
    _cli("db", "upgrade", data_dir=tmp_path)
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path)}
    env.pop("HOTLINE_DATABASE_URL", None)
    env.pop("HOTLINE_CONFIG", None)
    target = tmp_path / "missing" / "chart.png"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli.main",
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "png",
            "--out",
            str(target),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert f"cannot write {target}: No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_workshops_import_reports_rows_and_updates_by_code(tmp_path: Path) -> None:
    _cli("db", "upgrade", data_dir=tmp_path)
    good = tmp_path / "termine.csv"
    good.write_text(
        "code;title;topic;start;duration;place;seats;groups\n"
        "b1;Beschaffung;beschaffung;2030-01-20 09:00;3h;Raum 3.14;12;f4\n"
        "k1;Kontierung;kontierung;2030-02-03 13:00;2h;online;30;\n",
        encoding="utf-8",
    )
    assert "2 workshops imported (2 new, 0 updated)" in _cli(
        "workshops", "import", str(good), data_dir=tmp_path
    )
    assert "(0 new, 2 updated)" in _cli("workshops", "import", str(good), data_dir=tmp_path)
    assert "b1" in _cli("workshops", "list", data_dir=tmp_path)
    bad = tmp_path / "kaputt.csv"
    bad.write_text("code;title;topic;start;duration;place;seats\nx;X;kochen;gestern;3h;R;0\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "workshops", "import", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), SHIFT_ENV: _clock_shift()},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "row 1: topic: unknown topic 'kochen'" in done.stderr
    assert "row 1: seats:" in done.stderr and "nothing imported" in done.stderr


def test_shell_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path)}
    env.pop("HOTLINE_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "shell", "--as", "x"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "db upgrade" in done.stderr


def test_check_config_warns_of_what_would_fail_at_run_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Valid, but the token variable is unset and a team room is another server's alias."""
    from bot.config.loader import default_config_path

    text = default_config_path().read_text(encoding="utf-8")
    text = text.replace("  matrix:\n    enabled: false\n", "  matrix:\n    enabled: true\n", 1)
    text = text.replace('"#hotline-bk:stadt.example"', '"#hotline-bk:land.example"', 1)
    path = tmp_path / "hotline.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.delenv("HOTLINE_MATRIX_ACCESS_TOKEN", raising=False)
    assert main(["check-config", str(path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "warning: platforms.matrix.access_token: $HOTLINE_MATRIX_ACCESS_TOKEN is not set: "
        "the bot cannot log in",
        "warning: platforms.local: the terminal chat is on beside matrix: team cards and "
        "staff notices are also written for it, where nobody reads them; switch it off "
        "(enabled: false) in production",
        "warning: teams[0].channels.matrix: #hotline-bk:land.example is on another homeserver "
        "than the bot (stadt.example); the bot can only create and join aliases of its own "
        "server there: use the room id (!...) of a room it is invited to",
        f"{path}: OK, 3 warning(s)",
    ]
    monkeypatch.setenv("HOTLINE_MATRIX_ACCESS_TOKEN", "syt_token")
    assert main(["check-config", str(path)]) == 0
    assert "access_token" not in capsys.readouterr().out
