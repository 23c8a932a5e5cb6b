"""Load the organisation config from YAML and report every problem at once.

`load_config()` without a path loads the sample shipped inside the package
(`bot/config/sample.yaml`), which is also the reference for the file's shape.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.config.model import OrgConfig
from bot.config.validate import validate
from bot.config.validate_base import ConfigIssue
from bot.config.yaml_lines import YamlSyntaxError, format_path, load_yaml

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "check_config",
    "default_config_path",
    "load_config",
]


class ConfigError(Exception):
    """The config cannot be used; `issues` lists every problem found in `source`."""

    def __init__(self, issues: list[ConfigIssue], source: str) -> None:
        self.issues = issues
        self.source = source
        count = f"{len(issues)} problem" + ("s" if len(issues) != 1 else "")
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{count} in config {source}:\n{lines}")


# A whole city's organisation fits in a few hundred kilobytes (the sample: about 40 KB);
# anything far larger is a mistake or an attack, and parsing it would block the start.
MAX_CONFIG_BYTES = 2 * 1024 * 1024


def default_config_path() -> Path:
    """The path of the sample config embedded in the package."""
    return Path(str(resources.files("bot.config").joinpath("sample.yaml")))


def _read(path: str | Path | None) -> tuple[OrgConfig | None, list[ConfigIssue], str]:
    """Load and validate; (config or None, issues, source name for messages)."""
    if path is None:
        source = "sample.yaml"
        text = resources.files("bot.config").joinpath("sample.yaml").read_text(encoding="utf-8")
    else:
        file = Path(path)
        source = str(file)
        try:
            size = file.stat().st_size
            if size > MAX_CONFIG_BYTES:
                message = f"config file is {size:,} bytes; the limit is {MAX_CONFIG_BYTES:,}"
                return None, [_issue(message, None, source)], source
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, [_issue(f"config file not found: {file}", None, source)], source
        except (OSError, UnicodeDecodeError) as exc:
            return None, [_issue(f"cannot read config file: {exc}", None, source)], source
    try:
        doc = load_yaml(text)
    except YamlSyntaxError as exc:
        return None, [_issue(exc.message, exc.line, source)], source
    problems = [ConfigIssue(format_path(p.path), p.message, p.line, source) for p in doc.problems]
    config, issues = validate(doc.data, doc.lines)
    issues = [ConfigIssue(i.path, i.message, i.line, source) for i in issues]
    all_issues = sorted(problems + issues, key=lambda i: (i.line is not None, i.line or 0))
    return (config if not all_issues else None), all_issues, source


def _issue(message: str, line: int | None, source: str) -> ConfigIssue:
    return ConfigIssue("(file)", message, line, source)


def load_config(path: str | Path | None = None) -> OrgConfig:
    """Load the config at `path` (None: the embedded sample).

    Raises ConfigError listing ALL issues (YAML syntax, duplicate keys, validation).
    """
    config, issues, source = _read(path)
    if issues or config is None:
        raise ConfigError(issues, source)
    return config


def check_config(path: str | Path | None = None) -> list[ConfigIssue]:
    """All issues of the config at `path` (None: the embedded sample); [] when valid.

    A missing file and invalid YAML are issues too, never exceptions.
    """
    return _read(path)[1]
