"""User-facing text: German first, English second, from one message catalogue."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

SUPPORTED = ("de", "en")


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("bot.i18n").joinpath("messages.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return data


def normalise_locale(locale: str | None) -> str:
    """ "en-GB" -> "en"; anything unsupported -> "de" (the hotline's language)."""
    if locale and locale[:2].lower() in SUPPORTED:
        return locale[:2].lower()
    return "de"


def t(key: str, locale: str | None = "de", /, **args: Any) -> str:
    """The message `key` in `locale`, formatted with `args`; falls back to German."""
    entry = _catalogue().get(key)
    if entry is None:
        raise KeyError(f"no message {key!r} in the catalogue")
    template = entry.get(normalise_locale(locale)) or entry["de"]
    return template.format(**args) if args else template


def has(key: str) -> bool:
    """Whether the catalogue holds `key`."""
    return key in _catalogue()


def keys() -> frozenset[str]:
    """All message keys (for the catalogue completeness test)."""
    return frozenset(_catalogue())
