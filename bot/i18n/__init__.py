"""User-facing text: German first, English second, from the message catalogues."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

SUPPORTED = ("de", "en")
# Stored as a profile's language when the user never chose one with /sprache: every turn
# then speaks the platform's language of that message (the column cannot hold NULL).
PLATFORM_LOCALE = "auto"
# Stored as "auto-en"/"auto-de" when the platform gives no language (Matrix) and the
# person's first message said which (bot/i18n/detect.py): still not a choice, /sprache wins.
GUESSED_PREFIX = "auto-"


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    """messages.yaml plus one catalogue file per feature (workshops.yaml, ...); a key may
    appear in one file only."""
    package = resources.files("bot.i18n")
    files = sorted(
        (entry for entry in package.iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: (entry.name != "messages.yaml", entry.name),
    )
    merged: dict[str, dict[str, str]] = {}
    for entry in files:
        data: dict[str, dict[str, str]] = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        twice = sorted(set(data) & set(merged))
        if twice:
            raise ValueError(f"message keys defined twice ({entry.name}): {twice}")
        merged.update(data)
    return merged


def normalise_locale(locale: str | None) -> str:
    """ "en-GB" -> "en"; anything unsupported -> "de" (the hotline's language)."""
    if locale and locale[:2].lower() in SUPPORTED:
        return locale[:2].lower()
    return "de"


def chosen_locale(stored: str | None) -> str | None:
    """The language a user chose explicitly (/sprache), from their stored profile value;
    None when they did not (`PLATFORM_LOCALE`), so the platform's language applies."""
    return stored if stored in SUPPORTED else None


def guessed_locale(stored: str | None) -> str | None:
    """The language guessed from a person's first message, from their stored profile value."""
    if stored and stored.startswith(GUESSED_PREFIX):
        guess = stored.removeprefix(GUESSED_PREFIX)
        return guess if guess in SUPPORTED else None
    return None


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
