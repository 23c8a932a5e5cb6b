"""The Teams manifest's command lists are generated from the command declarations
(dialogs/command_specs.py): the files in manifest/ match what `hotline-bot teams-manifest`
writes, each menu fits Teams' limits, and the CLI reports and mends a difference."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.teams.command_lists import command_lists as generated_lists
from adapters.teams.command_lists import menu_specs, render, stale_files
from adapters.teams.package import (
    LOCALIZATION_FILES,
    MANIFEST_FILE,
    TEMPLATE_DIR,
    PackageError,
    build_package,
)
from bot.cli.main import main
from bot.i18n import t
from dialogs.command_specs import Menu, personal
from dialogs.commands import SPECS, Audience

APP_ID = "6f1b1a5e-3c2d-4e8f-9a0b-1c2d3e4f5a6b"


# --- command lists generated from the declarations ------------------------------------------

TEMPLATE_FILES = (MANIFEST_FILE, *LOCALIZATION_FILES)


def test_the_manifest_folder_holds_the_generated_command_lists() -> None:
    """Fails when manifest.json, de.json or en.json differ from what the command declarations
    and the catalogue give: run `hotline-bot teams-manifest --write`."""
    stale = stale_files(TEMPLATE_DIR, TEMPLATE_FILES)
    assert stale == {}, f"run `hotline-bot teams-manifest --write`: {sorted(stale)} differ"


def test_the_writer_keeps_the_folders_layout() -> None:
    for name in TEMPLATE_FILES:
        text = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
        assert render(json.loads(text)) == text, name


def test_each_menu_is_declared_in_order_and_fits_teams() -> None:
    personal_menu, team_menu = menu_specs(Menu.PERSONAL), menu_specs(Menu.TEAM)
    assert 0 < len(personal_menu) <= 10 and 0 < len(team_menu) <= 10
    assert all(spec.audience is Audience.EVERYONE for spec in personal_menu), "no staff in 1:1"
    assert not [spec.name for spec in team_menu if spec.direct_only], "refused in a channel"
    for locale in ("de", "en"):
        for entry in generated_lists(locale):
            for command in entry["commands"]:
                assert len(command["title"]) <= 32 and len(command["description"]) <= 128
    assert generated_lists("en")[1]["commands"][3] == {
        "title": "claim",
        "description": t("menu.team.claim", "en"),
    }


def test_a_menu_place_taken_twice_or_left_out_is_refused() -> None:
    twice = tuple(
        replace(spec, menus=(personal(1),)) if spec.name == "new" else spec for spec in SPECS
    )
    with pytest.raises(ValueError, match=r"1\.\.n once each: \[1, 1, 3,"):
        menu_specs(Menu.PERSONAL, twice)
    gap = tuple(replace(spec, menus=()) if spec.name == "new" else spec for spec in SPECS)
    with pytest.raises(ValueError, match=r"\[1, 3, 4,"):
        menu_specs(Menu.PERSONAL, gap)


def test_cli_teams_manifest_checks_and_writes_the_command_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "manifest"
    shutil.copytree(TEMPLATE_DIR, folder)
    originals = {name: (folder / name).read_text("utf-8") for name in TEMPLATE_FILES}
    manifest = json.loads(originals["manifest.json"])
    manifest["bots"][0]["commandLists"][1]["commands"].reverse()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    english = json.loads(originals["en.json"])
    english["bots[0].commandLists[0].commands[0].description"] = "hand-written"
    english["bots[0].commandLists[0].commands[10].title"] = "eleventh"
    (folder / "en.json").write_text(json.dumps(english, ensure_ascii=False), encoding="utf-8")

    assert main(["teams-manifest", "--manifest-dir", str(folder)]) == 1
    captured = capsys.readouterr()
    assert f"{folder / 'manifest.json'}: the command lists differ" in captured.err
    assert f"{folder / 'en.json'}: the command lists differ" in captured.err
    assert "de.json" not in captured.err
    assert "teams-manifest --write" in captured.err
    code, written = package_problems(folder)
    assert code == 1 and "run `hotline-bot teams-manifest --write`" in written

    assert main(["teams-manifest", "--manifest-dir", str(folder), "--write"]) == 0
    assert capsys.readouterr().out.split() == [
        str(folder / "manifest.json"),
        str(folder / "en.json"),
    ]
    assert {name: (folder / name).read_text("utf-8") for name in TEMPLATE_FILES} == originals
    assert main(["teams-manifest", "--manifest-dir", str(folder)]) == 0
    assert "up to date" in capsys.readouterr().out


def package_problems(folder: Path) -> tuple[int, str]:
    try:
        build_package(APP_ID, template_dir=folder)
    except PackageError as error:
        return 1, "\n".join(error.problems)
    return 0, ""
