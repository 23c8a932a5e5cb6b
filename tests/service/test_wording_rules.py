"""The wording rules of issue 15, checked over EVERY entry of bot/i18n/*.yaml and over the
sample config's texts for requesters: both languages with the same placeholders, German
typography, one term per concept (README, "Wording and terms"), no level jargon or team
codes towards requesters, no "1 Personen", and buttons that fit one Teams row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import i18n
from bot.config import model as config_model
from dialogs.command_specs import SPECS, Audience

PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Requesters (a clerk in a school) see every entry unless it is listed here as staff-only:
# a new entry is held to the requester rules until someone says only staff read it.
STAFF_PREFIXES = (
    "bundle.",  # bundled sweep DMs to staff
    "assign.",  # /zuweisen: staff give tickets to colleagues
    "away.",  # /abwesend: staff absences and deputies
    "hours.",  # /arbeitszeit: staff working hours
    "phone.",  # /telefon: Team BK records calls
    "relay.",  # /weiterleiten, /rueckfrage B-N: the complaint relay among staff
    "faq.",  # /faq, /faqpruefen: FAQ proposals and Team BK's review (issue 17)
    "appointment_staff.",  # /termin: what the agent reads about appointments
    "card.",  # team cards and the agent's answer dialog (card.draft_stale: see below)
    "catchup.",
    "channel.",
    "digest.",
    "level.",
    "menu.team.",
    "queue.",
    "report.",
    "staff.",
    "step.",
    "sweep.",
    "thread.",
    "trail.",  # leads' /verlauf: refusals
    "workshop.status.",
)
STAFF_KEYS = frozenset(
    {
        "button.ack",
        "button.claim",
        "button.edit",
        "button.handoff",
        "button.history",
        "button.resolve",
        "button.relay",
        "button.send",
        "cmd.ack_ok",
        "cmd.assign_ok",
        "cmd.missing_person",
        "error.already_assigned",
        "error.not_team_member",
        "error.unknown_person",
        "history.note_about.assign",
        "history.note_about.callback",
        "history.note_about.phone",
        "history.note_about.reassign",
        "history.note_about.relay",
        "history.note_about.relay_question",
        "history.note_about.relay_answer",
        "history.note_about.unclaim",
        "cmd.ask_ok",
        "cmd.claimed_ok",
        "cmd.escalations_empty",
        "cmd.escalations_title",
        "cmd.handoff_ok",
        "cmd.help.leads",
        "cmd.help.staff",
        "cmd.merge_ok",
        "cmd.note_ok",
        "cmd.overdue_empty",
        "cmd.overdue_title",
        "cmd.proposals_empty",
        "cmd.proposals_line",
        "cmd.proposals_merged",
        "cmd.proposals_scheduled",
        "cmd.proposals_title",
        "cmd.queue_empty",
        "cmd.queue_line",
        "cmd.queue_title",
        "cmd.resolve_ok",
        "cmd.schedule_ok",
        "cmd.schedule_ok_none",
        "cmd.schedule_ok_one",
        "cmd.unclaimed_ok",
        "csat.low",
        "csat.low_comment",
        "error.already_acknowledged",
        "error.already_claimed",
        "error.claim_first",
        "error.complaint_stays",
        "error.not_allowed",
        "error.not_escalated",
        "error.not_visible_staff",
        "error.proposal_not_found",
        "error.proposal_state",
        "error.same_team",
        "error.unknown_team",
        "fact.anonymous",
        "fact.anonymous_wish",
        "fact.contact",
        "fact.escalation_level",
        "fact.level",
        "fact.requester",
        "history.note",
        "history.note_about.handoff",
        "history.note_about.reopen",
        "newsletter.ask_body",
        "newsletter.ask_groups",
        "newsletter.ask_title",
        "newsletter.body_bad",
        "newsletter.cancelled",
        "newsletter.confirm",
        "newsletter.confirm_bad",
        "newsletter.finished",
        "newsletter.next",
        "newsletter.no_recipients",
        "newsletter.none_chosen",
        "newsletter.pick_bad",
        "newsletter.pick_one",
        "newsletter.preview",
        "newsletter.send",
        "newsletter.started",
        "newsletter.title_bad",
        "proposal.kind.idea",
        "proposal.kind.round_table",
        "questionnaire.answered",
        "questionnaire.mean",
        "questionnaire.summary_title",
        "reply.staff_use_resolve",
        "welcome.channel",
        "workshop.nobody",
        "workshop.participant",
        "workshop.participants_title",
    }
)
REQUESTER_CARDS = frozenset({"card.draft_stale"})  # the requester's own answer draft
# /hilfe lines, usage lines and menu texts follow the command's audience (dialogs/command_specs.py).
STAFF_COMMANDS = frozenset(spec.name for spec in SPECS if spec.audience != Audience.EVERYONE)
# Buttons, and list entries that become buttons: they must fit one Teams row.
BUTTON_PREFIXES = ("button.", "choice.", "csat.score.", "workshop.button.")
BUTTON_KEYS = frozenset(
    {"questionnaire.button", "newsletter.next", "newsletter.send", "newsletter.done"}
)
BUTTON_MAX = 24  # characters; Teams cuts longer titles of buttons sharing a row

# One term per concept. Forbidden in requester entries: internal words and synonyms.
REQUESTER_FORBIDDEN = {
    "de": (r"\bTicket", r"\bAnfrage\b", r"\bLevel\b", r"\bFachteam", r"\bDeadline\b"),
    "en": (r"\bticket", r"\blevel\b", r"\bspecialist team\b", r"\binquiry\b", r"\bissue\b"),
}
# Forbidden everywhere: the synonym not chosen (README, "Begriffe / Glossary"), slash
# gender forms and the generic masculine for people, and literal translations.
FORBIDDEN = {
    "de": (
        r"Lösungsfrist",
        r"\bTeamleitung",
        r"\bKn[öo]pf",
        r"\w/r\b",
        r"\w/in\b",
        r"\b(?:den|des|dem) Anfragenden\b",
        r"\bAbsender",
        r"\bEmpfänger",
        r"\b(?:du|dich|dir|dein\w*)\b",  # Sie-Form throughout
    ),
    "en": (
        r"(?i)\breaction (?:deadline|time|in time)\b",  # Reaktionsfrist: "response deadline"
        r"\bhandover\b",
        r"\bthe leads\b",
        r"\b[Pp]lease an? ",  # "Please a number ...": a German sentence in English words
        r"\bsender\b",
    ),
}


def _entries_by_file() -> dict[str, dict[str, dict[str, str]]]:
    folder = Path(i18n.__file__).parent
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.yaml"))
    }


ENTRIES = {key: entry for data in _entries_by_file().values() for key, entry in data.items()}


def command_of(key: str) -> str | None:
    """The command a help., usage. or menu. entry describes."""
    for prefix in ("help.", "usage.", "menu.personal.", "menu.team."):
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return None


def staff_only(key: str) -> bool:
    if key in REQUESTER_CARDS:
        return False
    if key in STAFF_KEYS or key.startswith(STAFF_PREFIXES):
        return True
    return command_of(key) in STAFF_COMMANDS


REQUESTER_KEYS = sorted(key for key in ENTRIES if not staff_only(key))


def team_codes(raw: dict[str, Any]) -> list[str]:
    """The internal parts of team names that their public names leave out: "GL 2.11",
    "CCC", "Team BK", "FiBu" (from the sample config, so a new team brings its own)."""
    codes: set[str] = set()
    for team in raw["teams"]:
        if "public_name" not in team:
            continue
        for locale in ("de", "en"):
            name, public = team["name"][locale], team["public_name"][locale]
            hidden = re.findall(r"\(([^)]*)\)", name)
            hidden += [name.split(" – ")[0]] if " – " in name else []
            codes |= {code for code in hidden if code not in public}
    return sorted(codes)


SAMPLE = yaml.safe_load((Path(config_model.__file__).parent / "sample.yaml").read_text("utf-8"))
CODES = team_codes(SAMPLE)


def test_the_team_codes_are_found() -> None:
    assert {"GL 2.11", "GL 2.12", "CCC", "ZIB", "Team BK", "FiBu"} <= set(CODES)
    assert "Kundenbetreuung und Buchhaltung" not in CODES


def test_the_classification_names_only_existing_keys() -> None:
    """A renamed key must not leave its staff-only mark behind, unseen."""
    assert not sorted(STAFF_KEYS - set(ENTRIES) - {"newsletter.done"})
    assert not sorted(REQUESTER_CARDS - set(ENTRIES))
    assert len(REQUESTER_KEYS) > 150 and "ticket.queued" in REQUESTER_KEYS
    assert "help.claim" not in REQUESTER_KEYS and "help.status" in REQUESTER_KEYS


def test_no_key_is_defined_twice_within_one_file() -> None:
    """YAML keeps the last of two equal keys silently; the merged catalogue cannot see it."""
    for path in sorted(Path(i18n.__file__).parent.glob("*.yaml")):
        keys = re.findall(r"^([a-z][\w.]*):", path.read_text(encoding="utf-8"), re.MULTILINE)
        twice = sorted({key for key in keys if keys.count(key) > 1})
        assert not twice, f"{path.name}: {twice}"


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_every_entry_has_german_and_english_with_the_same_placeholders(key: str) -> None:
    entry = ENTRIES[key]
    assert set(entry) == {"de", "en"}, key
    assert entry["de"].strip() and entry["en"].strip(), key
    names = {locale: set(PLACEHOLDER.findall(entry[locale])) for locale in ("de", "en")}
    assert names["de"] == names["en"], f"{key}: {names}"


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_typography(key: str) -> None:
    german, english = ENTRIES[key]["de"], ENTRIES[key]["en"]
    for text in (german, english):
        assert "  " not in text, f"{key}: double space"
        assert text == text.rstrip(), f"{key}: trailing space"
        assert not re.search(r" [.,;:!?)]", text), f"{key}: space before punctuation"
        assert not re.search(r"\w - \w", text), f"{key}: a hyphen where a dash belongs (–)"
        assert "..." not in text, f"{key}: three dots where … belongs"
    assert '"' not in german, f"{key}: German quotes are „…“"
    assert "„" not in english and "“" not in english, f"{key}: English quotes are straight"
    assert german.count("„") == german.count("“"), f"{key}: unbalanced „…“"


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_one_term_per_concept(key: str) -> None:
    for locale, patterns in FORBIDDEN.items():
        text = PLACEHOLDER.sub("", ENTRIES[key][locale])
        found = [p for p in patterns if re.search(p, text)]
        assert not found, f"{key}.{locale}: {found} in {text!r}"


@pytest.mark.parametrize("key", REQUESTER_KEYS)
def test_requester_entries_carry_no_jargon_and_no_team_codes(key: str) -> None:
    for locale, patterns in REQUESTER_FORBIDDEN.items():
        text = PLACEHOLDER.sub("", ENTRIES[key][locale])
        words = [p for p in patterns if re.search(p, text, re.IGNORECASE * (locale == "en"))]
        codes = [code for code in CODES if re.search(rf"\b{re.escape(code)}\b", text)]
        assert not words and not codes, f"{key}.{locale}: {words + codes} in {text!r}"


@pytest.mark.parametrize(
    "key", sorted(k for k in ENTRIES if k.startswith(BUTTON_PREFIXES) or k in BUTTON_KEYS)
)
def test_button_labels_fit_one_teams_row(key: str) -> None:
    for locale in ("de", "en"):
        label = PLACEHOLDER.sub("12345", ENTRIES[key][locale])  # a five-digit number
        assert len(label) <= BUTTON_MAX, f"{key}.{locale}: {label!r} ({len(label)})"


def sample_texts() -> list[tuple[str, str, str]]:
    """What requesters read from the sample config: (where, locale, text)."""
    found: list[tuple[str, str, str]] = []

    def add(where: str, value: object) -> None:
        if isinstance(value, dict):
            found.extend((where, locale, str(value[locale])) for locale in ("de", "en"))
        elif isinstance(value, str):
            found.append((where, "de", value))

    for group in SAMPLE["customer_groups"]:
        add(f"customer_groups.{group['id']}", group["name"])
    for team in SAMPLE["teams"]:
        add(f"teams.{team['id']}.public_name", team.get("public_name", team["name"]))
    for topic in SAMPLE["topics"]:
        add(f"topics.{topic['id']}", topic["name"])
    for entry in SAMPLE["knowledge"]:
        add(f"knowledge.{entry['id']}.question", entry["question"])
        for group, answer in entry["answers"].items():
            add(f"knowledge.{entry['id']}.answers.{group}", answer)
        for link in entry.get("links", []):
            add(f"knowledge.{entry['id']}.links", link["title"])
    return found


def test_the_sample_config_speaks_to_requesters_without_codes() -> None:
    texts_ = sample_texts()
    assert len(texts_) > 80
    problems = [
        f"{where}.{locale}: {problem}"
        for where, locale, text in texts_
        for problem in (
            *(code for code in CODES if re.search(rf"\b{re.escape(code)}\b", text)),
            *(p for p in REQUESTER_FORBIDDEN[locale] if re.search(p, text, re.IGNORECASE)),
            *(["double space"] if "  " in text else []),
            *(["straight quotes"] if locale == "de" and '"' in text else []),
        )
    ]
    assert not problems, problems


# A number followed by a noun reads "1 Personen" / "1 answers" when the number is 1: say
# "Antworten: 1" instead. Allowed: "1 von 5", "und 1 weitere", and keys whose count is
# never below 2.
# A range's end ("1 bis {count}", "von {seats}") is no count of things.
COUNTS = re.compile(
    r"(?<!bis )(?<!to )(?<!von )(?<!of )\{(?:count|opened|forms|free|seats|invited)\} (\w+)"
)
COUNT_WORDS = frozenset({"von", "of", "weitere", "weiteren", "more"})
AT_LEAST_TWO = frozenset(
    {
        "cmd.schedule_ok",  # cmd.schedule_ok_one says it for one
        # a bundle folds at least two notices (bot/bundling/bundler.py: more than the room)
        "bundle.title.breach",
        "bundle.title.escalation",
        "bundle.title.escalation_repeat",
        "bundle.title.lease",
        "bundle.title.remind",
    }
)


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_no_number_before_a_plural_noun(key: str) -> None:
    if key in AT_LEAST_TWO:
        return
    for locale in ("de", "en"):
        words = set(COUNTS.findall(ENTRIES[key][locale])) - COUNT_WORDS
        assert not words, f"{key}.{locale}: a count before {sorted(words)}"
