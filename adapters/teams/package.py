"""Build the Microsoft Teams app package: a zip with the manifest and what it references.

The template lives in the repository's ``manifest/`` folder: ``manifest.json`` with the
placeholders ``{{APP_ID}}`` (the Teams app id) and ``{{BOT_ID}}`` (the bot's Microsoft App
ID), and the localisation files ``de.json`` (default language) and ``en.json``. The icons
come from :mod:`adapters.teams.icons`. Packaging fills in the ids and the valid domains,
checks the invariants the JSON schema cannot see (icon sizes, files referenced and present,
no placeholder left, every offered command known to the bot, the command lists the ones
generated from the command registry: adapters/teams/command_lists.py) and writes a zip
whose files sit at its root, as Teams requires.

The schema itself is checked by the tests (tests/teams/), offline, with the schema files
from the npm package @microsoft/app-manifest.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.teams import icons
from adapters.teams.command_lists import command_list_problems
from dialogs.command_specs import SPECS

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "manifest"
MANIFEST_FILE = "manifest.json"
APP_ID_PLACEHOLDER = "{{APP_ID}}"
BOT_ID_PLACEHOLDER = "{{BOT_ID}}"
DEFAULT_LANGUAGE = "de"
LOCALIZATION_FILES = ("de.json", "en.json")
PACKAGE_FILES = (MANIFEST_FILE, icons.COLOR_FILE, icons.OUTLINE_FILE, *LOCALIZATION_FILES)

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
NIL_GUID = "00000000-0000-0000-0000-000000000000"
GUID_EXAMPLE = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
# A host name, optionally with a leading "*." wildcard label and a port; no scheme, no path.
DOMAIN = re.compile(
    r"^(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?::[0-9]{1,5})?$"
)
MAX_VALID_DOMAINS = 16
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
SCHEMA_URL = re.compile(
    r"^https://developer\.microsoft\.com/json-schemas/teams/v(?P<version>1\.[0-9]+)/"
    r"MicrosoftTeams\.(?P<kind>schema|Localization\.schema)\.json$"
)
COMMAND_KEY = re.compile(
    r"^bots\[0\]\.commandLists\[(\d+)\]\.commands\[(\d+)\]\.(title|description)$"
)

# Limits from the Teams schema, repeated here so packaging fails early with a clear message.
MAX_LENGTHS = {
    "name.short": 30,
    "name.full": 100,
    "description.short": 80,
    "description.full": 4000,
}
MAX_DEVELOPER_NAME = 32
MAX_COMMAND_LISTS = 3
MAX_COMMANDS = 10
MAX_TITLE = 32
MAX_DESCRIPTION = 128
ICON_SIZES = {icons.COLOR_FILE: icons.COLOR_SIZE, icons.OUTLINE_FILE: icons.OUTLINE_SIZE}

BOT_COMMAND_ALIASES = frozenset(alias for spec in SPECS for alias in spec.aliases)


class PackageError(ValueError):
    """Packaging refused: bad arguments or a template that breaks an invariant."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Template:
    """The manifest template and its localisation files, parsed."""

    manifest: dict[str, Any]
    localizations: dict[str, dict[str, Any]]


# --- arguments -----------------------------------------------------------------------------


def parse_guid(value: str, option: str = "--app-id") -> str:
    """The GUID in lower case; PackageError naming the option when it is not one."""
    candidate = value.strip()
    if not GUID.match(candidate):
        raise PackageError(
            [
                f"{option}: not a GUID: {value!r} "
                f"(expected 8-4-4-4-12 hex digits, e.g. {GUID_EXAMPLE})"
            ]
        )
    if candidate == NIL_GUID:
        raise PackageError([f"{option}: the all-zero GUID is a placeholder, not an id"])
    return candidate.lower()


def parse_domain(value: str) -> str:
    """A host for validDomains (e.g. hotline.stadt.example); no scheme, path or bare '*'."""
    candidate = value.strip().lower()
    if not DOMAIN.match(candidate) or len(candidate) > 253:
        raise PackageError(
            [
                f"--valid-domain: not a host name: {value!r} "
                "(expected e.g. hotline.stadt.example, without https:// and without a path)"
            ]
        )
    return candidate


# --- template ------------------------------------------------------------------------------


def load_template(template_dir: Path = TEMPLATE_DIR) -> Template:
    """Read manifest.json and the localisation files; PackageError when one is missing or bad."""
    problems: list[str] = []
    documents: dict[str, dict[str, Any]] = {}
    for name in (MANIFEST_FILE, *LOCALIZATION_FILES):
        path = template_dir / name
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"{path}: missing (is {template_dir} the manifest folder?)")
            continue
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            problems.append(f"{path}: cannot read it as JSON: {error}")
            continue
        if not isinstance(document, dict):
            problems.append(f"{path}: must hold a JSON object")
            continue
        documents[name] = document
    if problems:
        raise PackageError(problems)
    manifest = documents.pop(MANIFEST_FILE)
    return Template(manifest=manifest, localizations=documents)


def fill_manifest(
    template: Mapping[str, Any], app_id: str, bot_id: str, valid_domains: Sequence[str] = ()
) -> dict[str, Any]:
    """A copy of the template with the ids and the valid domains filled in."""
    manifest: dict[str, Any] = json.loads(json.dumps(template))
    problems = []
    if manifest.get("id") != APP_ID_PLACEHOLDER:
        problems.append(f"manifest.json: 'id' must be the placeholder {APP_ID_PLACEHOLDER}")
    bots = manifest.get("bots")
    if not (isinstance(bots, list) and len(bots) == 1 and isinstance(bots[0], dict)):
        problems.append("manifest.json: 'bots' must hold exactly one bot")
    elif bots[0].get("botId") != BOT_ID_PLACEHOLDER:
        problems.append(
            f"manifest.json: 'bots[0].botId' must be the placeholder {BOT_ID_PLACEHOLDER}"
        )
    if problems:
        raise PackageError(problems)
    manifest["id"] = app_id
    manifest["bots"][0]["botId"] = bot_id
    manifest["validDomains"] = list(dict.fromkeys(valid_domains))
    return manifest


# --- invariants ----------------------------------------------------------------------------


def manifest_problems(
    manifest: Mapping[str, Any],
    localizations: Mapping[str, Mapping[str, Any]],
    icon_files: Mapping[str, bytes],
) -> list[str]:
    """Everything wrong with a filled-in manifest that the JSON schema does not catch."""
    problems = _id_problems(manifest)
    problems += [f"manifest.json: placeholder left at {where}" for where in _placeholders(manifest)]
    problems += _version_problems(manifest)
    problems += _icon_problems(manifest, icon_files)
    problems += _length_problems(manifest)
    problems += _command_problems("manifest.json", _command_titles(manifest))
    problems += command_list_problems(manifest, localizations)
    problems += _domain_problems(manifest.get("validDomains", []))
    problems += _localization_problems(manifest, localizations)
    return problems


def _id_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    bots = manifest.get("bots") or [{}]
    for where, value in (("id", manifest.get("id")), ("bots[0].botId", bots[0].get("botId"))):
        if not isinstance(value, str) or not GUID.match(value) or value == NIL_GUID:
            problems.append(f"manifest.json: {where} is not a GUID: {value!r}")
    return problems


def _placeholders(value: Any, where: str = "$") -> list[str]:
    if isinstance(value, str):
        return [where] if "{{" in value or "}}" in value else []
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in _placeholders(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [hit for i, item in enumerate(value) for hit in _placeholders(item, f"{where}[{i}]")]
    return []


def _version_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    match = SCHEMA_URL.match(str(manifest.get("$schema", "")))
    if match is None or match["kind"] != "schema":
        problems.append("manifest.json: $schema is not a Teams manifest schema URL")
    elif match["version"] != manifest.get("manifestVersion"):
        problems.append(
            f"manifest.json: manifestVersion {manifest.get('manifestVersion')!r} "
            f"does not match the $schema URL (v{match['version']})"
        )
    if not SEMVER.match(str(manifest.get("version", ""))):
        problems.append(f"manifest.json: version {manifest.get('version')!r} is not x.y.z")
    return problems


def _icon_problems(manifest: Mapping[str, Any], icon_files: Mapping[str, bytes]) -> list[str]:
    problems = []
    declared = manifest.get("icons") or {}
    expected = {"color": icons.COLOR_FILE, "outline": icons.OUTLINE_FILE}
    if declared != expected:
        problems.append(f"manifest.json: icons must be {expected}, not {declared}")
    for name, size in ICON_SIZES.items():
        try:
            header = icons.read_header(icon_files[name])
        except (KeyError, ValueError) as error:
            problems.append(f"{name}: missing or not a PNG ({error})")
            continue
        if (header.width, header.height) != (size, size):
            problems.append(f"{name}: {header.width}x{header.height}, Teams needs {size}x{size}")
        if name == icons.OUTLINE_FILE and not header.has_alpha:
            problems.append(f"{name}: needs an alpha channel (transparent background)")
    return problems


def _length_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = _text_length_problems("manifest.json", _flat_texts(manifest))
    developer = (manifest.get("developer") or {}).get("name", "")
    if len(developer) > MAX_DEVELOPER_NAME:
        problems.append(
            f"manifest.json: developer.name has {len(developer)} characters, "
            f"at most {MAX_DEVELOPER_NAME} allowed"
        )
    lists = _command_lists(manifest)
    if len(lists) > MAX_COMMAND_LISTS:
        problems.append(f"manifest.json: {len(lists)} command lists, at most {MAX_COMMAND_LISTS}")
    for i, commands in enumerate(lists):
        if len(commands) > MAX_COMMANDS:
            problems.append(
                f"manifest.json: commandLists[{i}] has {len(commands)} commands, "
                f"at most {MAX_COMMANDS} allowed"
            )
    return problems


def _flat_texts(manifest: Mapping[str, Any]) -> dict[str, str]:
    """The manifest's localisable strings under their localisation keys."""
    texts: dict[str, str] = {}
    for group in ("name", "description"):
        for part, value in (manifest.get(group) or {}).items():
            texts[f"{group}.{part}"] = value
    for i, commands in enumerate(_command_lists(manifest)):
        for j, command in enumerate(commands):
            for field in ("title", "description"):
                texts[f"bots[0].commandLists[{i}].commands[{j}].{field}"] = command.get(field, "")
    return texts


def _text_length_problems(source: str, texts: Mapping[str, Any]) -> list[str]:
    problems = []
    for key, value in texts.items():
        if key == "$schema":
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{source}: {key} must be a non-empty string")
            continue
        command = COMMAND_KEY.match(key)
        if command:
            limit = MAX_TITLE if command[3] == "title" else MAX_DESCRIPTION
        else:
            limit = MAX_LENGTHS.get(key, 0)
        if limit and len(value) > limit:
            problems.append(f"{source}: {key} has {len(value)} characters, at most {limit}")
    return problems


def _command_lists(manifest: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    bots = manifest.get("bots") or [{}]
    return [list(entry.get("commands") or []) for entry in bots[0].get("commandLists") or []]


def _command_titles(manifest: Mapping[str, Any]) -> dict[str, str]:
    return {
        f"bots[0].commandLists[{i}].commands[{j}].title": command.get("title", "")
        for i, commands in enumerate(_command_lists(manifest))
        for j, command in enumerate(commands)
    }


def _command_problems(source: str, titles: Mapping[str, str]) -> list[str]:
    """Every command Teams offers must be one the bot parses (its first word is an alias)."""
    problems = []
    for key, title in titles.items():
        word = title.split()[0].lstrip("/!").casefold() if title.strip() else ""
        if word not in BOT_COMMAND_ALIASES:
            problems.append(f"{source}: {key} {title!r} is not a command the bot knows")
    return problems


def _domain_problems(domains: Any) -> list[str]:
    if not isinstance(domains, list):
        return ["manifest.json: validDomains must be a list"]
    problems = []
    if len(domains) > MAX_VALID_DOMAINS:
        problems.append(f"manifest.json: {len(domains)} validDomains, at most {MAX_VALID_DOMAINS}")
    for domain in domains:
        if not isinstance(domain, str) or not DOMAIN.match(domain):
            problems.append(f"manifest.json: validDomains entry {domain!r} is not a host name")
    return problems


def _localization_problems(
    manifest: Mapping[str, Any], localizations: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    problems = []
    info = manifest.get("localizationInfo") or {}
    if info.get("defaultLanguageTag") != DEFAULT_LANGUAGE:
        problems.append(f"manifest.json: defaultLanguageTag must be {DEFAULT_LANGUAGE!r}")
    candidates = [info.get("defaultLanguageFile")] + [
        entry.get("file") for entry in info.get("additionalLanguages") or []
    ]
    referenced = [name for name in candidates if name]
    for name in referenced:
        if name not in localizations:
            problems.append(f"manifest.json: localisation file {name} is not in the package")
    for name in localizations:
        if name not in referenced:
            problems.append(f"{name}: in the package but not referenced by localizationInfo")
    manifest_texts = _flat_texts(manifest)
    for name, texts in localizations.items():
        problems += _one_localization_problems(name, texts, manifest_texts)
    default_file = info.get("defaultLanguageFile")
    if isinstance(default_file, str) and default_file in localizations:
        default_texts = {k: v for k, v in localizations[default_file].items() if k != "$schema"}
        keys = sorted(
            key
            for key in {*default_texts, *manifest_texts}
            if default_texts.get(key) != manifest_texts.get(key)
        )
        if keys:
            problems.append(
                f"{default_file}: must repeat the manifest's strings; differs at {keys}"
            )
    return problems


def _one_localization_problems(
    name: str, texts: Mapping[str, Any], manifest_texts: Mapping[str, str]
) -> list[str]:
    problems = []
    schema = SCHEMA_URL.match(str(texts.get("$schema", "")))
    if schema is None or schema["kind"] != "Localization.schema":
        problems.append(f"{name}: $schema is not a Teams localisation schema URL")
    for key in MAX_LENGTHS:
        if key not in texts:
            problems.append(f"{name}: {key} is missing")
    for key in texts:
        if key != "$schema" and key not in manifest_texts:
            problems.append(f"{name}: {key} has no counterpart in manifest.json")
    problems += _text_length_problems(name, texts)
    titles = {key: value for key, value in texts.items() if key.endswith(".title")}
    problems += _command_problems(name, {k: v for k, v in titles.items() if isinstance(v, str)})
    return problems


# --- building ------------------------------------------------------------------------------


def build_package(
    app_id: str,
    bot_id: str | None = None,
    valid_domains: Iterable[str] = (),
    template_dir: Path = TEMPLATE_DIR,
) -> dict[str, bytes]:
    """The package's files by name, in PACKAGE_FILES order; PackageError lists every problem.

    The bot id defaults to the app id (one Entra ID app registration for both, the usual setup).
    """
    app = parse_guid(app_id, "--app-id")
    bot = parse_guid(bot_id, "--bot-id") if bot_id is not None else app
    domains = [parse_domain(domain) for domain in valid_domains]
    template = load_template(template_dir)
    manifest = fill_manifest(template.manifest, app, bot, domains)
    icon_files = icons.icons()
    problems = manifest_problems(manifest, template.localizations, icon_files)
    if problems:
        raise PackageError(problems)
    files = {MANIFEST_FILE: _json_bytes(manifest), **icon_files}
    files.update({name: _json_bytes(template.localizations[name]) for name in LOCALIZATION_FILES})
    return {name: files[name] for name in PACKAGE_FILES}


def _json_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def default_file_name(files: Mapping[str, bytes]) -> str:
    """hotline-finanzen-<version>.zip, the version taken from the manifest."""
    version = json.loads(files[MANIFEST_FILE])["version"]
    return f"hotline-finanzen-{version}.zip"


def write_package(files: Mapping[str, bytes], out: Path) -> Path:
    """Write the zip (files at its root, fixed timestamps: the same input gives the same bytes)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    partial.replace(out)
    return out
