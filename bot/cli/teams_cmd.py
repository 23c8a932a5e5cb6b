"""`hotline-bot teams-package`: build the Microsoft Teams app package (a zip to upload);
`hotline-bot teams-manifest`: check or rewrite the manifest's command lists, which are
generated from the command registry (dialogs/command_specs.py)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from adapters.teams.command_lists import stale_files
from adapters.teams.package import (
    LOCALIZATION_FILES,
    MANIFEST_FILE,
    TEMPLATE_DIR,
    PackageError,
    build_package,
    default_file_name,
    parse_domain,
    parse_guid,
    write_package,
)


def register(sub: Any) -> None:
    """Add `teams-package` and `teams-manifest`."""
    parser = sub.add_parser(
        "teams-package",
        help="build the Microsoft Teams app package (manifest, icons, translations) as a zip",
        description=(
            "Fill the app id and bot id into manifest/manifest.json, add the icons and the "
            "German and English strings, check the result and write the zip that Teams "
            "(admin centre or Developer Portal) accepts. Prints the zip's path."
        ),
    )
    parser.add_argument("--app-id", required=True, help="the Teams app id (a GUID)")
    parser.add_argument(
        "--bot-id",
        help="the bot's Microsoft App ID (a GUID; default: the app id)",
    )
    parser.add_argument(
        "--out",
        help="zip file, or a directory (existing or ending in /) for the default name "
        "hotline-finanzen-<version>.zip (default: in the current directory)",
    )
    parser.add_argument(
        "--valid-domain",
        action="append",
        default=[],
        metavar="HOST",
        help="a host for validDomains, e.g. the bot's host; repeatable (default: none)",
    )
    parser.add_argument(
        "--manifest-dir",
        default=str(TEMPLATE_DIR),
        help="folder with manifest.json, de.json, en.json (default: the repository's manifest/)",
    )
    parser.set_defaults(handler=run_package)
    manifest = sub.add_parser(
        "teams-manifest",
        help="check (or --write) the Teams manifest's command lists against the commands",
        description=(
            "The command lists of manifest.json, de.json and en.json are generated from the "
            "command declarations (dialogs/command_specs.py: which menu, which place) and the "
            "message catalogue (menu.<menu>.<name>). Without --write: list the files "
            "that differ and exit 1. With --write: rewrite them, leaving all else as it is."
        ),
    )
    manifest.add_argument("--write", action="store_true", help="rewrite the files that differ")
    manifest.add_argument(
        "--manifest-dir",
        default=str(TEMPLATE_DIR),
        help="folder with manifest.json, de.json, en.json (default: the repository's manifest/)",
    )
    manifest.set_defaults(handler=run_manifest)


def run_package(args: argparse.Namespace) -> int:
    """Write the zip and print its path; 2 for bad arguments, 1 for a broken template."""
    try:
        app_id = parse_guid(args.app_id, "--app-id")
        bot_id = parse_guid(args.bot_id, "--bot-id") if args.bot_id is not None else None
        domains = [parse_domain(domain) for domain in args.valid_domain]
    except PackageError as error:
        _print_problems(error)
        return 2
    try:
        files = build_package(app_id, bot_id, domains, Path(args.manifest_dir))
    except PackageError as error:
        print("teams-package: the app package would be invalid:", file=sys.stderr)
        _print_problems(error)
        return 1
    out = Path(args.out) if args.out else Path(default_file_name(files))
    if out.is_dir() or (args.out or "").endswith(("/", os.sep)):
        out = out / default_file_name(files)
    try:
        written = write_package(files, out)
    except OSError as error:
        print(f"teams-package: cannot write {out}: {error}", file=sys.stderr)
        return 1
    print(written.resolve())
    return 0


def run_manifest(args: argparse.Namespace) -> int:
    """0 when the command lists are the generated ones (or were just written), 1 when a file
    differs without --write or cannot be read or written."""
    folder = Path(args.manifest_dir)
    try:
        stale = stale_files(folder, (MANIFEST_FILE, *LOCALIZATION_FILES))
    except (OSError, ValueError) as error:
        print(f"teams-manifest: cannot read {folder}: {error}", file=sys.stderr)
        return 1
    if not stale:
        print(f"{folder}: the command lists are up to date")
        return 0
    if not args.write:
        for name in stale:
            print(f"{folder / name}: the command lists differ from the commands", file=sys.stderr)
        print("run: hotline-bot teams-manifest --write", file=sys.stderr)
        return 1
    try:
        for name, text in stale.items():
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"teams-manifest: cannot write: {error}", file=sys.stderr)
        return 1
    for name in stale:
        print(folder / name)
    return 0


def _print_problems(error: PackageError) -> None:
    for problem in error.problems:
        print(problem, file=sys.stderr)
