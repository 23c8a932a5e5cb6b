"""The Teams command menus (manifest `commandLists`), generated from the command registry.

Each Spec in dialogs/command_specs.py names the menus that offer it and its place there;
the title is the alias /hilfe shows in the language (German in manifest.json and de.json,
English in en.json) and the description is the catalogue's `menu.<menu>.<name>`.
`hotline-bot teams-manifest --write` writes the result into the manifest folder, a test
fails while the files differ from it, and packaging refuses a template whose lists differ,
so the menus Teams shows cannot drift from the commands the bot parses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.i18n import t
from dialogs.command_specs import SPECS, Menu, Spec

# Teams scopes per menu: the personal chat, and team channels together with group chats.
SCOPES: dict[Menu, list[str]] = {Menu.PERSONAL: ["personal"], Menu.TEAM: ["team", "groupChat"]}
COMMAND_PREFIX = "bots[0].commandLists["  # the localisation keys of the command lists
LINE_WIDTH = 100  # short arrays stay on one line when written, as in the hand-kept files


def menu_specs(menu: Menu, specs: Sequence[Spec] = SPECS) -> list[Spec]:
    """The commands `menu` lists, in their declared order; ValueError unless the places
    run 1, 2, ... without a gap or a place taken twice."""
    placed = sorted(
        ((place.position, spec) for spec in specs for place in spec.menus if place.menu is menu),
        key=lambda item: item[0],
    )
    positions = [position for position, _ in placed]
    if positions != list(range(1, len(placed) + 1)):
        raise ValueError(f"the {menu.value} menu's places must be 1..n once each: {positions}")
    return [spec for _, spec in placed]


def command_lists(locale: str, specs: Sequence[Spec] = SPECS) -> list[dict[str, Any]]:
    """The manifest's `bots[0].commandLists` in `locale`: one entry per menu."""
    return [
        {
            "scopes": list(SCOPES[menu]),
            "commands": [
                {"title": spec.shown_as(locale), "description": t(spec.menu_text(menu), locale)}
                for spec in menu_specs(menu, specs)
            ],
        }
        for menu in Menu
    ]


def localized_commands(locale: str, specs: Sequence[Spec] = SPECS) -> dict[str, str]:
    """The command lists as a localisation file holds them ("bots[0].commandLists[0]
    .commands[0].title": ...)."""
    return {
        f"{COMMAND_PREFIX}{i}].commands[{j}].{field}": command[field]
        for i, entry in enumerate(command_lists(locale, specs))
        for j, command in enumerate(entry["commands"])
        for field in ("title", "description")
    }


def generated(
    manifest: Mapping[str, Any], localizations: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The manifest and its localisation files (by file name) with their command lists
    replaced by the generated ones; everything else stays as it is, in its order."""
    info = manifest.get("localizationInfo") or {}
    default_locale = str(info.get("defaultLanguageTag", "de"))
    new_manifest: dict[str, Any] = json.loads(json.dumps(manifest))
    for bot in new_manifest.get("bots") or []:
        if isinstance(bot, dict):  # anything else is packaging's to refuse
            bot["commandLists"] = command_lists(default_locale)
    files: dict[str, dict[str, Any]] = {"manifest.json": new_manifest}
    for name, document in localizations.items():
        kept = {k: v for k, v in document.items() if not k.startswith(COMMAND_PREFIX)}
        files[name] = {**kept, **localized_commands(_locale_of(info, name, default_locale))}
    return files


def _locale_of(info: Mapping[str, Any], file_name: str, default_locale: str) -> str:
    for entry in info.get("additionalLanguages") or []:
        if entry.get("file") == file_name:
            return str(entry.get("languageTag", default_locale)).split("-")[0]
    return default_locale


def command_list_problems(
    manifest: Mapping[str, Any], localizations: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Each file whose command lists are not the generated ones (packaging refuses them)."""
    expected = generated(manifest, localizations)
    actual = {"manifest.json": manifest, **localizations}
    return [
        f"{name}: the command lists differ from the command declarations "
        "(dialogs/command_specs.py); run `hotline-bot teams-manifest --write`"
        for name, document in expected.items()
        if _commands_of(document) != _commands_of(actual[name])
    ]


def _commands_of(document: Mapping[str, Any]) -> object:
    if "bots" in document:
        bots = document.get("bots") or []
        return [bot.get("commandLists") if isinstance(bot, dict) else bot for bot in bots]
    return {k: v for k, v in document.items() if k.startswith(COMMAND_PREFIX)}


# --- the files ------------------------------------------------------------------------------


def stale_files(template_dir: Path, files: Sequence[str]) -> dict[str, str]:
    """The files of `template_dir` whose text is not the generated text, with that text."""
    documents = {name: _read(template_dir / name) for name in files}
    manifest = documents.pop("manifest.json")
    wanted = {name: render(document) for name, document in generated(manifest, documents).items()}
    return {
        name: text
        for name, text in wanted.items()
        if (template_dir / name).read_text(encoding="utf-8") != text
    }


def _read(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path}: must hold a JSON object")
    return document


def render(document: Any) -> str:
    """JSON as the manifest folder keeps it (two-space indent, UTF-8 text): an object that
    holds only plain values is written on one line inside an array, and an array of such
    values on one line when the line stays within LINE_WIDTH, so a rewritten file differs
    only where its content changed."""
    return _render(document, 0, 0, in_array=False) + "\n"


def _render(value: Any, indent: int, column: int, *, in_array: bool) -> str:
    """`value` written at `column`, its inner lines indented by `indent` + 2."""
    inner = " " * (indent + 2)
    if isinstance(value, dict) and value:
        if in_array and _is_flat_object(value):
            return _inline(value)
        items = []
        for key, item in value.items():
            head = f"{inner}{json.dumps(key, ensure_ascii=False)}: "
            items.append(head + _render(item, indent + 2, len(head), in_array=False))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        one_line = _inline(value)
        flat = all(_is_plain(item) or _is_flat_object(item) for item in value)
        if flat and column + len(one_line) + 1 <= LINE_WIDTH:  # 1: the comma after it
            return one_line
        items = [inner + _render(item, indent + 2, len(inner), in_array=True) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return _inline(value)


def _inline(value: Any) -> str:
    if isinstance(value, dict) and value:
        items = ", ".join(
            f"{json.dumps(k, ensure_ascii=False)}: {_inline(v)}" for k, v in value.items()
        )
        return "{ " + items + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a plain value, {} or []


def _is_plain(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _is_flat_object(value: Any) -> bool:
    return isinstance(value, dict) and all(_is_plain(item) for item in value.values())
