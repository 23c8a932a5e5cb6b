"""The message catalogue: complete in both languages, consistent, and covering the code."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from typing import get_args

import pytest

from bot.bundling.notice import KINDS as BUNDLE_KINDS
from bot.config.model import TOPIC_KINDS, DeadlineKind, EscalationAction, TopicKind
from bot.config.weekly_hours import REASONS
from bot.domain.lifecycle import Action, TicketStatus
from bot.i18n import _catalogue, has, keys, normalise_locale, t
from bot.people.schedule import HoursSource
from dialogs.commands import SPECS

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("bot", "dialogs", "adapters")
LOCALES = ("de", "en")
# t("key" ...) and t('key' ...): the literal first argument of a catalogue lookup. The
# intake's `say("key", ctx)` (dialogs/intake_prompts.py) is t() plus a Notice: scanned too.
T_CALL = re.compile(
    r"""\b(?:t|say)\(\s*(?P<f>f?)(?P<q>["'])(?P<key>[^"'{}]*(?:\{[^}]*\}[^"'{}]*)*)(?P=q)"""
)
# Every key sits in one of these namespaces; used to find keys that travel in variables.
KEY_LIKE = re.compile(r"^(?:[a-z_]+)(?:\.[a-z0-9_]+)+$")


# The values an f-string key may expand to, per key prefix. Written out by hand: a new
# topic kind, proposal kind, status or level must be added here AND to the catalogue.
KINDS = ("request", "complaint", "idea", "round_table")
PROPOSAL_KINDS = ("idea", "round_table")  # the topic kinds that become proposals
F_STRING_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "status.": tuple(status.value for status in TicketStatus),
    "level.": ("1", "2", "3"),
    "intake.describe.": KINDS,  # say(f"intake.describe.{topic.kind}")
    "intake.confirm.": KINDS,  # t(f"intake.confirm.{topic.kind}")
    "proposal.saved.": PROPOSAL_KINDS,  # t(f"proposal.saved.{effect.kind}")
    "proposal.kind.": PROPOSAL_KINDS,  # t(f"proposal.kind.{row.kind}")
    "history.": tuple(action.value for action in Action),  # t(f"history.{event.action}")
    # a note with an action's staff-only words
    "history.note_about.": (
        "handoff",
        "reopen",
        "assign",
        "reassign",
        "unclaim",
        "phone",
        "callback",
        "relay",
        "relay_question",
        "relay_answer",
    ),
    "csat.score.": ("1", "2", "3", "4", "5"),  # t(f"csat.score.{score}")
    "questionnaire.scale.": ("1", "2", "3", "4", "5"),  # t(f"questionnaire.scale.{value}")
    "questionnaire.invalid.": ("scale", "text"),  # t(f"questionnaire.invalid.{question.kind}")
    "workshop.weekday.": tuple(str(day) for day in range(7)),  # t(f"workshop.weekday.{n}")
    "workshop.mine.": ("registered", "waiting"),  # t(f"workshop.mine.{status}")
    "workshop.already.": ("registered", "waiting"),  # t(f"workshop.already.{status}")
    "workshop.status.": ("registered", "waiting"),  # t(f"workshop.status.{p.status}")
    "step.": get_args(DeadlineKind),  # t(f"step.{deadline}")
    "step.action.": (*get_args(EscalationAction), "repeat"),  # t(f"step.action.{step.action}")
    "sweep.escalation_reason.": get_args(DeadlineKind),  # t(f"sweep.escalation_reason.{deadline}")
    "bundle.title.": BUNDLE_KINDS,  # t(f"bundle.title.{kind}"), a bundle of sweep DMs
    "bundle.hint.": BUNDLE_KINDS,  # t(f"bundle.hint.{kind}")
    "hours.problem.": REASONS,  # t(f"hours.problem.{error.reason}")
    "hours.source.": tuple(source.value for source in HoursSource),  # where hours come from
    "help.": tuple(spec.name for spec in SPECS),  # Spec.summary: f"help.{self.name}"
    # Spec.menu_text: f"menu.{menu.value}.{self.name}", the Teams command lists
    "menu.": tuple(f"{place.menu.value}.{spec.name}" for spec in SPECS for place in spec.menus),
}
EXPANDED_KEYS = sorted(
    prefix + value for prefix, values in F_STRING_EXPANSIONS.items() for value in values
)


def sources() -> list[Path]:
    files = [p for d in CODE_DIRS for p in sorted((ROOT / d).rglob("*.py"))]
    assert len(files) > 20, "the scan must see the code"
    return files


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


CATALOGUE = _catalogue()
ALL_KEYS = sorted(keys())
NAMESPACES = {key.split(".")[0] for key in ALL_KEYS}


def literal_t_keys() -> tuple[set[str], set[str]]:
    """Keys written as t("...") literals, and f-string key templates (t(f"status.{...}"))."""
    plain: set[str] = set()
    templated: set[str] = set()
    for path in sources():
        for match in T_CALL.finditer(path.read_text(encoding="utf-8")):
            (templated if match["f"] else plain).add(match["key"])
    return plain, templated


def key_like_constants() -> set[tuple[str, str]]:
    """Every string constant in the code that looks like a catalogue key: (where, key)."""
    found: set[tuple[str, str]] = set()
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY_LIKE.match(node.value)
                and node.value.split(".")[0] in NAMESPACES
            ):
                found.add((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


def test_catalogue_is_not_empty() -> None:
    assert len(ALL_KEYS) > 50


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_key_has_german_and_english(key: str) -> None:
    entry = CATALOGUE[key]
    assert isinstance(entry, dict)
    assert set(entry) == set(LOCALES), f"{key}: exactly de and en"
    for locale in LOCALES:
        assert isinstance(entry[locale], str), f"{key}.{locale}"
        assert entry[locale].strip(), f"{key}.{locale} is empty"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_placeholders_match_between_languages(key: str) -> None:
    german = placeholders(CATALOGUE[key]["de"])
    english = placeholders(CATALOGUE[key]["en"])
    assert german == english, f"{key}: de {sorted(german)} vs en {sorted(english)}"
    # t() passes keyword arguments only: no "{}" or "{0}", no attribute or index access.
    assert all(name.isidentifier() for name in german), f"{key}: {sorted(german)}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_message_formats_with_its_placeholders(key: str) -> None:
    for locale in LOCALES:
        names = placeholders(CATALOGUE[key][locale])
        text = t(key, locale, **{name: f"<{name}>" for name in names}, _unused="x")
        for name in names:
            assert f"<{name}>" in text
        assert "{" not in text and "}" not in text


def test_the_scan_finds_the_keys_it_should() -> None:
    plain, templated = literal_t_keys()
    # Self-check of the regex: known call sites must be seen.
    # intake.greeting reaches t() through the intake's say("intake.greeting", ctx) helper.
    assert {"intake.greeting", "cmd.help", "channel.handoff_note"} <= plain
    assert {"intake.ask_group", "intake.too_short", "intake.cancelled"} <= plain
    assert {"status.{status}", "level.{ticket.level}"} <= templated
    assert {"intake.describe.{topic.kind}", "intake.confirm.{topic.kind}"} <= templated
    assert {"proposal.saved.{effect.kind}", "proposal.kind.{row.kind}"} <= templated


def test_every_literal_key_used_with_t_exists() -> None:
    plain, _ = literal_t_keys()
    missing = sorted(key for key in plain if not has(key))
    assert not missing, f"t() keys missing from messages.yaml: {missing}"


def test_every_key_like_constant_in_the_code_exists() -> None:
    """Keys also travel in variables (`_notice("intake.too_short")`, `key = "error.x"`)."""
    found = key_like_constants()
    assert ("dialogs/commands.py", "cmd.unknown") in {
        (where.split(":")[0], key) for where, key in found
    }
    missing = sorted(f"{where} {key}" for where, key in found if not has(key))
    assert not missing, f"keys missing from messages.yaml: {missing}"


def test_f_string_keys_are_known_expansions() -> None:
    _, templated = literal_t_keys()
    prefixes = {key.split("{")[0] for key in templated}
    unchecked = sorted(key for key in templated if key.split("{")[0] not in F_STRING_EXPANSIONS)
    assert prefixes <= set(F_STRING_EXPANSIONS), f"unchecked f-string keys: {unchecked}"
    # Every f-string key is a whole last segment: "prefix.{value}", nothing after the brace.
    assert all(key.endswith("}") and key.count("{") == 1 for key in templated), sorted(templated)


@pytest.mark.parametrize("key", EXPANDED_KEYS)
def test_every_f_string_expansion_exists(key: str) -> None:
    assert has(key), f"{key} is built by an f-string in the code but missing from messages.yaml"
    assert t(key, "de") != t(key, "en"), f"{key}: the English text is the German one"


def test_the_hand_written_kinds_match_the_config_model() -> None:
    assert KINDS == TOPIC_KINDS
    assert set(KINDS) == set(get_args(TopicKind))
    assert set(PROPOSAL_KINDS) < set(KINDS)


def test_no_catalogue_key_of_an_f_string_family_is_orphaned() -> None:
    """A key under an expanded prefix that no expansion produces is dead (or a typo)."""
    orphans = sorted(
        key
        for key in ALL_KEYS
        for prefix in F_STRING_EXPANSIONS
        if key.startswith(prefix) and key not in EXPANDED_KEYS
    )
    assert not orphans, orphans


@pytest.mark.parametrize("status", list(TicketStatus), ids=str)
def test_every_status_has_a_message(status: TicketStatus) -> None:
    # The code builds these keys with f"status.{ticket.status}": the stored string value.
    assert has(f"status.{status.value}")
    assert t(f"status.{status.value}", "de") != t(f"status.{status.value}", "en")


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_level_has_a_message(level: int) -> None:
    assert has(f"level.{level}")
    assert str(level) in t(f"level.{level}", "de")


def test_literal_calls_pass_exactly_the_placeholders() -> None:
    """t("key", loc, a=..., b=...) without **kwargs must fill every placeholder, no more."""
    problems: list[tuple[str, str, str]] = []
    checked = 0
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            if any(kw.arg is None for kw in node.keywords):
                continue  # **args: checked at run time by the feature tests
            key = node.args[0].value
            given = {kw.arg for kw in node.keywords if kw.arg is not None}
            wanted = placeholders(CATALOGUE[key]["de"]) if has(key) else set()
            checked += 1
            if given != wanted:
                where = path.relative_to(ROOT).as_posix()
                problems.append((where, key, f"{where}:{node.lineno} {key}: {given} != {wanted}"))
    assert checked > 20
    assert not problems, "\n".join(text for _, _, text in problems)


def test_t_falls_back_to_german_and_rejects_unknown_keys() -> None:
    assert t("choice.back", "fr") == "zurück"
    assert t("choice.back", None) == "zurück"
    assert t("choice.back", "en-GB") == "back"
    assert t("ticket.title", "en", id=7) == "Request no. 7"
    assert t("ticket.title", "de", id=7) == "Anliegen Nr. 7"
    with pytest.raises(KeyError):
        t("no.such.key", "de")
    assert not has("no.such.key")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("de", "de"),
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("en_US", "en"),
        ("de-AT", "de"),
        ("De_CH", "de"),
        ("fr", "de"),
        ("fr-FR", "de"),
        ("e", "de"),
        ("", "de"),
        (None, "de"),
    ],
)
def test_normalise_locale(given: str | None, expected: str) -> None:
    assert normalise_locale(given) == expected
