"""The Teams app package: manifest and translations against the official JSON schemas
(offline, from the npm package @microsoft/app-manifest), the icons, the zip, the CLI, and
that Teams never offers a command the bot does not know: its command lists are the ones
generated from the command declarations (dialogs/command_specs.py).

The schema tests need `tests/install-node-tools` (npm); without it they skip with the reason.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.teams import icons
from adapters.teams.package import (
    APP_ID_PLACEHOLDER,
    BOT_ID_PLACEHOLDER,
    PACKAGE_FILES,
    TEMPLATE_DIR,
    PackageError,
    build_package,
    fill_manifest,
    load_template,
    manifest_problems,
    write_package,
)
from bot.cli.main import main
from dialogs.commands import SPECS, Audience

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "6f1b1a5e-3c2d-4e8f-9a0b-1c2d3e4f5a6b"
BOT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ALIASES = {alias: spec for spec in SPECS for alias in spec.aliases}


# --- node tools (the schemas) --------------------------------------------------------------


def node_tools() -> Path:
    return Path(os.environ.get("HOTLINE_NODE_TOOLS", ROOT / ".node-tools"))


def app_manifest_dir() -> Path:
    return node_tools() / "node_modules" / "@microsoft" / "app-manifest"


def require_node_tools() -> Path:
    package = app_manifest_dir()
    if not (package / "package.json").is_file():
        pytest.skip(
            f"@microsoft/app-manifest is not installed in {node_tools()}: "
            "run tests/install-node-tools (needs npm and the npm registry)"
        )
    return package


def schema_file(url: str) -> Path:
    """The bundled schema for a developer.microsoft.com schema URL (as the npm package maps it)."""
    prefix = "https://developer.microsoft.com/"
    assert url.startswith(prefix + "json-schemas/teams/"), url
    path = require_node_tools() / "build" / url.removeprefix(prefix)
    assert path.is_file(), f"{url} is not bundled in @microsoft/app-manifest ({path})"
    return path


@pytest.fixture(scope="module")
def package_files() -> dict[str, bytes]:
    return build_package(APP_ID, BOT_ID, ["hotline.stadt.example"])


@pytest.fixture(scope="module")
def documents(package_files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """The JSON files of the built package (ids filled in) by name."""
    return {
        name: json.loads(data) for name, data in package_files.items() if name.endswith(".json")
    }


def jsonschema_errors(document: dict[str, Any]) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not in .venv")
    schema = json.loads(schema_file(document["$schema"]).read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)  # the Teams schemas are draft-04
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


# The manifest goes through the npm package's own AppManifestUtils.validateAgainstSchema, which
# maps the $schema URL to its bundled file (the script refuses URLs that are not bundled, so it
# never goes to the network). The localisation schemas v1.8-v1.30 hold a pattern that is
# invalid in JavaScript's unicode mode ("\b...\b]": lone bracket), so that function cannot
# compile them; they go through the same validator (ajv-draft-04 with ajv-formats, a dependency
# of the package) with the same options but unicodeRegExp off.
NODE_VALIDATE = r"""
const fs = require("fs"), path = require("path");
const [packageDir, ...files] = process.argv.slice(1);
const load = (name) => require(require.resolve(name, { paths: [packageDir] }));
const { AppManifestUtils } = require(packageDir);
const Ajv = load("ajv-draft-04"), addFormats = load("ajv-formats");
const validateLocalization = (doc, schema) => {
  const ajv = new Ajv({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  const validate = ajv.compile(schema);
  return validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`);
};
(async () => {
  const report = {};
  for (const file of files) {
    const doc = JSON.parse(fs.readFileSync(file, "utf8"));
    const suffix = AppManifestUtils.getLocalSchemaSuffix(doc.$schema);
    const local = suffix && path.join(packageDir, "build", suffix);
    if (!local || !fs.existsSync(local)) {
      report[path.basename(file)] = ["schema not bundled: " + doc.$schema];
    } else if (local.endsWith("Localization.schema.json")) {
      const schema = JSON.parse(fs.readFileSync(local, "utf8"));
      report[path.basename(file)] = validateLocalization(doc, schema);
    } else {
      report[path.basename(file)] = await AppManifestUtils.validateAgainstSchema(doc);
    }
  }
  console.log(JSON.stringify(report));
})().catch((error) => { console.error(error); process.exit(3); });
"""


def node_errors(tmp_path: Path, docs: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    package = require_node_tools()
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    paths = []
    for name, doc in docs.items():
        path = tmp_path / name
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    completed = subprocess.run(
        [node, "-e", NODE_VALIDATE, str(package), *paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, list[str]] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


# --- schema validation ---------------------------------------------------------------------


def test_manifest_uses_a_bundled_schema_version_that_is_not_1_18(
    documents: dict[str, dict[str, Any]],
) -> None:
    manifest = documents["manifest.json"]
    version = manifest["manifestVersion"]
    assert version != "1.18"
    assert tuple(map(int, version.split("."))) >= (1, 17)
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )
    for name in ("de.json", "en.json"):
        assert documents[name]["$schema"] == manifest["$schema"].replace(
            "MicrosoftTeams.schema.json", "MicrosoftTeams.Localization.schema.json"
        )
    schema_file(manifest["$schema"])  # bundled (skips without the node tools)


@pytest.mark.parametrize("name", ["manifest.json", "de.json", "en.json"])
def test_package_json_validates_against_the_bundled_schema_with_jsonschema(
    documents: dict[str, dict[str, Any]], name: str
) -> None:
    assert jsonschema_errors(documents[name]) == []


def test_package_json_validates_with_the_npm_packages_own_validator(
    documents: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    report = node_errors(tmp_path, documents)
    assert report == {"manifest.json": [], "de.json": [], "en.json": []}


def broken(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Copies that break the schema, to prove the validators are not vacuous."""
    manifest = json.loads(json.dumps(documents["manifest.json"]))
    manifest["id"] = "not-a-guid"
    manifest["name"]["short"] = "x" * 31
    manifest["bots"][0]["commandLists"][0]["commands"][0]["title"] = "t" * 33
    manifest["unknownProperty"] = True
    english = dict(documents["en.json"])
    english["bots[0].commandLists[0].commands[0].title"] = "t" * 33
    english["name.nickname"] = "no such key"
    return {"manifest.json": manifest, "en.json": english}


def test_the_validators_catch_a_broken_manifest(
    documents: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    bad = broken(documents)
    python_errors = jsonschema_errors(bad["manifest.json"])
    assert len(python_errors) >= 4, python_errors
    assert jsonschema_errors(bad["en.json"])
    report = node_errors(tmp_path, bad)
    assert len(report["manifest.json"]) >= 4, report
    assert report["en.json"], report


def test_the_template_fails_the_schema_until_the_ids_are_filled_in() -> None:
    template = load_template().manifest
    assert template["id"] == APP_ID_PLACEHOLDER
    assert template["bots"][0]["botId"] == BOT_ID_PLACEHOLDER
    errors = jsonschema_errors(template)
    assert any(error.startswith("id:") for error in errors), errors


# --- icons ---------------------------------------------------------------------------------


@dataclass
class Png:
    width: int
    height: int
    colour_type: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        return tuple(self.rows[y][x * self.channels : (x + 1) * self.channels])

    def pixels(self) -> list[tuple[int, ...]]:
        return [self.pixel(x, y) for y in range(self.height) for x in range(self.width)]


def decode_png(data: bytes) -> Png:
    """A strict little PNG reader for 8-bit RGB/RGBA, every filter type, CRCs checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        tag = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, tag
        chunks.append((tag, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour_type, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, compression, filtering, interlace) == (8, 0, 0, 0)
    channels = {2: 3, 6: 4}[colour_type]
    raw = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + predictor) & 0xFF
            else:
                assert kind == 0, kind
        rows.append(bytes(line))
        previous = rows[-1]
    return Png(width, height, colour_type, channels, rows)


def test_color_icon_is_192_full_bleed_in_the_accent_colour(
    documents: dict[str, dict[str, Any]],
) -> None:
    png = decode_png(icons.color_icon())
    assert (png.width, png.height) == (192, 192)
    assert png.colour_type == 2, "RGB without alpha: every pixel opaque (full bleed)"
    accent = icons.hex_to_rgb(documents["manifest.json"]["accentColor"])
    for corner in ((0, 0), (191, 0), (0, 191), (191, 191), (96, 2), (2, 96)):
        assert png.pixel(*corner) == accent, corner
    pixels = png.pixels()
    white = pixels.count((255, 255, 255))
    assert 0.15 * len(pixels) < white < 0.5 * len(pixels), "a white bubble, not a blank square"
    assert png.pixel(75, 86) == accent, "the euro sign's ring is cut out of the bubble"
    assert png.pixel(66, 79) == accent, "and so is its upper bar"
    assert png.pixel(96, 86) == (255, 255, 255), "inside the ring: the bubble again"


def test_outline_icon_is_32_white_on_transparent() -> None:
    png = decode_png(icons.outline_icon())
    assert (png.width, png.height) == (32, 32)
    assert png.colour_type == 6, "RGBA: the outline icon needs an alpha channel"
    pixels = png.pixels()
    assert {pixel[:3] for pixel in pixels} == {(255, 255, 255)}, "every visible pixel is white"
    alphas = [pixel[3] for pixel in pixels]
    assert alphas.count(0) > 0.25 * len(alphas), "a transparent background"
    assert alphas.count(255) > 0.3 * len(alphas), "a solid glyph"
    for corner in ((0, 0), (31, 0), (31, 31)):
        assert png.pixel(*corner)[3] == 0, corner


def test_icons_are_deterministic_and_read_header_agrees() -> None:
    header = icons.read_header(icons.outline_icon())
    assert (header.width, header.height, header.has_alpha) == (32, 32, True)
    assert icons.read_header(icons.color_icon()).has_alpha is False
    assert icons.color_icon.__wrapped__() == icons.color_icon()
    with pytest.raises(ValueError, match="not a PNG"):
        icons.read_header(b"GIF89a" + bytes(40))


# --- the zip and the CLI -------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["teams-package", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_writes_the_zip_with_exactly_the_five_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "app.zip"
    code, stdout, stderr = run_cli(
        capsys, "--app-id", APP_ID.upper(), "--out", str(out), "--valid-domain", "Bot.Stadt.Example"
    )
    assert (code, stderr) == (0, "")
    assert stdout.strip() == str(out.resolve())
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(PACKAGE_FILES)
        assert len(archive.namelist()) == 5
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["id"] == APP_ID, "filled in, lower case"
    assert manifest["bots"][0]["botId"] == APP_ID, "the bot id defaults to the app id"
    assert manifest["validDomains"] == ["bot.stadt.example"]
    assert "{{" not in files["manifest.json"].decode("utf-8")
    assert files["color.png"] == icons.color_icon()
    assert files["outline.png"] == icons.outline_icon()
    for name in ("de.json", "en.json"):
        assert json.loads(files[name]) == json.loads((TEMPLATE_DIR / name).read_text("utf-8"))


def test_cli_takes_a_separate_bot_id_and_a_directory_as_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run_cli(
        capsys, "--app-id", APP_ID, "--bot-id", BOT_ID, "--out", str(tmp_path)
    )
    assert code == 0
    written = Path(stdout.strip())
    assert written == tmp_path / "hotline-finanzen-1.0.0.zip"
    with zipfile.ZipFile(written) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (APP_ID, BOT_ID)
    assert manifest["validDomains"] == []


def test_the_package_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    first = write_package(build_package(APP_ID), tmp_path / "a.zip").read_bytes()
    second = write_package(build_package(APP_ID), tmp_path / "b.zip").read_bytes()
    assert first == second
    assert zipfile.ZipFile(io.BytesIO(first)).testzip() is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app-id", "not-a-guid"], "--app-id: not a GUID: 'not-a-guid'"),
        (["--app-id", "6f1b1a5e3c2d4e8f9a0b1c2d3e4f5a6b"], "--app-id: not a GUID"),
        (["--app-id", "{6f1b1a5e-3c2d-4e8f-9a0b-1c2d3e4f5a6b}"], "--app-id: not a GUID"),
        (["--app-id", "6f1b1a5e-3c2d-4e8f-9a0b-1c2d3e4f5a6g"], "--app-id: not a GUID"),
        (["--app-id", "00000000-0000-0000-0000-000000000000"], "all-zero GUID"),
        (["--app-id", APP_ID, "--bot-id", "12345"], "--bot-id: not a GUID: '12345'"),
        (["--app-id", APP_ID, "--valid-domain", "https://bot.example/api"], "--valid-domain"),
        (["--app-id", APP_ID, "--valid-domain", "*"], "not a host name: '*'"),
    ],
)
def test_cli_rejects_malformed_arguments_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "app.zip"
    code, stdout, stderr = run_cli(capsys, *args, "--out", str(out))
    assert code == 2
    assert message in stderr
    if "not a GUID" in message:
        assert "expected 8-4-4-4-12 hex digits" in stderr
    assert stdout == ""
    assert not out.exists()


def test_cli_refuses_a_template_that_offers_an_unknown_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "manifest"
    shutil.copytree(TEMPLATE_DIR, template)
    manifest = json.loads((template / "manifest.json").read_text("utf-8"))
    manifest["bots"][0]["commandLists"][0]["commands"][0]["title"] = "zaubern"
    (template / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    out = tmp_path / "app.zip"
    code, _, stderr = run_cli(
        capsys, "--app-id", APP_ID, "--manifest-dir", str(template), "--out", str(out)
    )
    assert code == 1
    assert "'zaubern' is not a command the bot knows" in stderr
    assert "de.json: must repeat the manifest's strings" in stderr
    assert not out.exists()


def test_packaging_checks_invariants_the_schema_cannot_see(
    package_files: dict[str, bytes], documents: dict[str, dict[str, Any]]
) -> None:
    localizations = {name: documents[name] for name in ("de.json", "en.json")}
    manifest = documents["manifest.json"]
    good_icons = {name: package_files[name] for name in ("color.png", "outline.png")}
    assert manifest_problems(manifest, localizations, good_icons) == []
    swapped = {"color.png": good_icons["outline.png"], "outline.png": good_icons["color.png"]}
    problems = manifest_problems(manifest, localizations, swapped)
    assert "color.png: 32x32, Teams needs 192x192" in problems
    assert "outline.png: needs an alpha channel (transparent background)" in problems
    assert "en.json: in the package but not referenced by localizationInfo" in manifest_problems(
        {
            **manifest,
            "localizationInfo": {"defaultLanguageTag": "de", "defaultLanguageFile": "de.json"},
        },
        localizations,
        good_icons,
    )
    with pytest.raises(PackageError, match="placeholder"):
        fill_manifest(manifest, APP_ID, APP_ID)  # ids already filled: not a template


# --- commands ------------------------------------------------------------------------------


def command_lists(manifest: dict[str, Any]) -> list[tuple[list[str], list[dict[str, str]]]]:
    return [(entry["scopes"], entry["commands"]) for entry in manifest["bots"][0]["commandLists"]]


def test_every_command_offered_is_one_the_bot_knows(documents: dict[str, dict[str, Any]]) -> None:
    manifest = documents["manifest.json"]
    offered = [command["title"] for _, commands in command_lists(manifest) for command in commands]
    for name in ("de.json", "en.json"):
        offered += [v for k, v in documents[name].items() if k.endswith(".title")]
    unknown = sorted({title for title in offered if title.casefold() not in ALIASES})
    assert unknown == []


def test_translations_name_the_same_commands_as_the_manifest(
    documents: dict[str, dict[str, Any]],
) -> None:
    manifest = documents["manifest.json"]
    for i, (_, commands) in enumerate(command_lists(manifest)):
        for j, command in enumerate(commands):
            key = f"bots[0].commandLists[{i}].commands[{j}].title"
            assert documents["de.json"][key] == command["title"]
            english = documents["en.json"][key]
            assert ALIASES[english] is ALIASES[command["title"]], (key, english)
    assert set(documents["de.json"]) == set(documents["en.json"])


def test_command_lists_fit_the_scopes_and_limits(documents: dict[str, dict[str, Any]]) -> None:
    lists = dict(
        (tuple(scopes), commands) for scopes, commands in command_lists(documents["manifest.json"])
    )
    assert set(lists) == {("personal",), ("team", "groupChat")}
    personal = [ALIASES[command["title"]] for command in lists[("personal",)]]
    assert all(spec.audience is Audience.EVERYONE for spec in personal), "no staff commands in 1:1"
    assert {"help", "new", "status", "mine", "cancel", "language"} <= {s.name for s in personal}
    team = {ALIASES[command["title"]].name for command in lists[("team", "groupChat")]}
    assert {"help", "queue", "status", "claim", "resolve"} <= team
    for commands in lists.values():
        assert len(commands) <= 10
        titles = [command["title"] for command in commands]
        assert len(set(titles)) == len(titles)
        for command in commands:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128
