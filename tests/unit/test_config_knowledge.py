"""The optional sections knowledge, roles and dialogs, and topic kinds.

The sample ships all of them; each issue case changes one spot of the sample and checks
the key path and line, like the `test_config_validate_*` modules. Configs without the new sections
keep loading with the model's defaults, unless a topic is a complaint topic and nobody
receives complaints.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import yaml

from bot.config.loader import check_config, load_config
from bot.config.model import CustomerGroup, DialogSettings, Roles, Texts
from tests.unit.config_validate_support import (
    SAMPLE,
    TOPIC,
    assert_issue_at,
    find,
    issue_cases,
    issues_of,
    line_of,
    mutate,
)
from tests.unit.test_config_loader import MINIMAL, write

K = {entry["id"]: index for index, entry in enumerate(yaml.safe_load(SAMPLE)["knowledge"])}


def line_after(text: str, anchor: str, marker: str) -> int:
    """The line of the first `marker` after `anchor`."""
    pos = text.index(marker, text.index(anchor))
    return text.count("\n", 0, pos) + 1


# --- the sample ------------------------------------------------------------------------
def test_sample_topic_kinds() -> None:
    config = load_config()
    kinds = {t.id: t.kind for t in config.topics if t.kind != "request"}
    assert kinds == {"beschwerde": "complaint", "idee": "idea", "runder_tisch": "round_table"}
    assert config.topic("haushalt").kind == "request"
    assert [t.id for t in config.topics if t.is_confidential] == ["beschwerde"]


def test_sample_roles_and_dialogs() -> None:
    config = load_config()
    assert config.roles == Roles(
        complaint_managers=("bk.berger", "bk.yilmaz"), admins=("bk.berger",)
    )
    managers = [config.person(p) for p in config.roles.complaint_managers]
    assert [p.display_name for p in managers if p] == ["Anna Berger", "Deniz Yılmaz"]
    assert config.dialogs == DialogSettings(timeout=timedelta(minutes=30), max_message_length=2000)


def test_sample_knowledge_per_topic() -> None:
    config = load_config()
    assert 8 <= len(config.knowledge) <= 12
    assert [e.id for e in config.knowledge_for("belegstand")] == [
        "belegstand-pruefen",
        "rechnung-nicht-bezahlt",
    ]
    assert [e.id for e in config.knowledge_for("elkabu.abschluss")] == [
        "elkabu-tagesabschluss",
        "elkabu-kassendifferenz",
    ]
    for topic in ("kontierung", "formulare", "elkabu", "srm", "haushalt", "schulungen"):
        assert config.knowledge_for(topic), topic
    assert config.knowledge_for("beschwerde") == ()
    topic_ids = {t.id for t in config.topics}
    variants = 0
    for entry in config.knowledge:
        assert set(entry.topics) <= topic_ids
        assert "default" in entry.answers
        variants += bool({"f1-f3", "f4", "kern"} & set(entry.answers))
        texts = [entry.question, *entry.answers.values(), *(link.title for link in entry.links)]
        assert all(t.de and t.en for t in texts), entry.id  # German with an English text
        assert all(link.url.startswith("https://") for link in entry.links)
    assert variants >= 3
    forms = config.knowledge_for("formulare")[0]
    assert forms.links[0].url == "https://intranet.stadt.example/finanzen/formulare/"


def test_sample_answers_contain_no_access_data() -> None:
    secret = re.compile(r"(passwor[dt]|kennwort|token|zugangsdaten)\s*[:=]", re.IGNORECASE)
    for entry in load_config().knowledge:
        for answer in entry.answers.values():
            assert not secret.search(answer.de + answer.en), entry.id


def test_answer_for_picks_group_then_handbook_then_default() -> None:
    config = load_config()
    guide = next(e for e in config.knowledge if e.id == "kontierungsleitfaden")
    f4 = config.customer_group("f4")
    assert f4.handbook == "f4"
    assert guide.answer_for(f4) == guide.answers["f4"]
    assert guide.answer_for(f4).get("de").startswith("Für die Einrichtungen F4")
    new_group = CustomerGroup(id="f4-neu", name=Texts("Neu"), handbook="f4")
    assert guide.answer_for(new_group) == guide.answers["f4"]  # by handbook variant
    suppliers = config.customer_group("lieferanten")
    assert guide.answer_for(suppliers) == guide.answers["default"]
    assert guide.answer_for(None) == guide.answers["default"]
    unpaid = next(e for e in config.knowledge if e.id == "rechnung-nicht-bezahlt")
    assert unpaid.answer_for(suppliers) == unpaid.answers["lieferanten"]  # by group id
    assert unpaid.answer_for(config.customer_group("kern")) == unpaid.answers["default"]


# --- older configs and defaults --------------------------------------------------------
def test_config_without_new_sections_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.knowledge == ()
    assert config.roles == Roles()
    assert config.dialogs == DialogSettings()
    assert config.topic("frage").kind == "request"


def test_empty_optional_sections_get_defaults(tmp_path: Path) -> None:
    text = MINIMAL + "knowledge:\nroles:\ndialogs: {}\n"
    config = load_config(write(tmp_path, text))
    assert (config.knowledge, config.roles, config.dialogs) == ((), Roles(), DialogSettings())


def test_complaint_kind_is_confidential_and_needs_a_manager(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "  - {id: frage, name: Frage, team: bk}\n",
        "  - {id: frage, name: Frage, team: bk}\n"
        "  - {id: klage, name: Beschwerde, team: bk, kind: complaint, confidential: false}\n",
    )
    issues = check_config(write(tmp_path, text))
    assert [(i.path, i.line) for i in issues] == [("(top level)", 1)]
    assert "topic 'klage' has kind complaint" in issues[0].message
    config = load_config(write(tmp_path, text + "roles: {complaint_managers: [bk.a]}\n"))
    assert config.topic("klage").is_confidential
    assert config.roles.complaint_managers == ("bk.a",)


def test_missing_roles_section_is_reported_at_the_top(tmp_path: Path) -> None:
    start = SAMPLE.index("\nroles:\n") + 1
    end = SAMPLE.index("\n# --- Topics")
    text = SAMPLE[:start] + SAMPLE[end:]
    issue = find(issues_of(tmp_path, text), "(top level)", "nobody receives complaints")
    assert issue.line == line_of(text, "\norganisation:")


# --- one case per issue kind --------------------------------------------------------------
CASES: list[tuple[str, str, str, str, str | None]] = [
    # topic kind
    (
        "    kind: idea\n",
        "    kind: ideas\n",
        f"topics[{TOPIC['idee']}].kind",
        "unknown topic kind 'ideas'; did you mean 'idea'?",
        None,
    ),
    (
        "    kind: idea\n",
        "    kind: [idea]\n",
        f"topics[{TOPIC['idee']}].kind",
        "expected a topic kind (complaint, idea, request, round_table), found a list",
        None,
    ),
    # knowledge entries
    (
        "  - id: sachkonto-unklar\n",
        "  - id: belegstand-pruefen\n",
        f"knowledge[{K['sachkonto-unklar']}].id",
        "duplicate knowledge entry id 'belegstand-pruefen'",
        None,
    ),
    (
        "    topics: [belegstand, kreditoren]\n",
        "    topics: [belegstand, kreditor]\n",
        f"knowledge[{K['rechnung-nicht-bezahlt']}].topics[1]",
        "unknown topic 'kreditor'; did you mean 'kreditoren'?",
        None,
    ),
    (
        "    topics: [formulare]\n",
        "    topics: []\n",
        f"knowledge[{K['formulare']}].topics",
        "at least one topic",
        None,
    ),
    (
        "    topics: [formulare]\n",
        "    topics: [formulare, formulare]\n",
        f"knowledge[{K['formulare']}].topics[1]",
        "listed twice",
        None,
    ),
    (
        "      lieferanten:",
        "      lieferant:",
        f"knowledge[{K['rechnung-nicht-bezahlt']}].answers.lieferant",
        "unknown key 'lieferant'; did you mean 'lieferanten'?",
        None,
    ),
    (
        "        url: https://servicedesk.stadt.example/\n",
        "        url: servicedesk.stadt.example\n",
        f"knowledge[{K['srm-zugang-gesperrt']}].links[0].url",
        "invalid URL 'servicedesk.stadt.example'",
        None,
    ),
    (
        "        url: https://servicedesk.stadt.example/\n",
        "        url: ftp://servicedesk.stadt.example/\n",
        f"knowledge[{K['srm-zugang-gesperrt']}].links[0].url",
        "expected http:// or https://",
        None,
    ),
    (
        "        url: https://servicedesk.stadt.example/\n",
        "",
        f"knowledge[{K['srm-zugang-gesperrt']}].links[0]",
        "missing required key 'url'",
        '{de: "IT-Serviceportal"',
    ),
    (
        '      de: "Wo finde ich den Kontierungsleitfaden?"\n',
        '      de: ""\n',
        f"knowledge[{K['kontierungsleitfaden']}].question.de",
        "empty text",
        None,
    ),
    (
        '      en: "When are the next trainings and workshops?"\n',
        '      en: "  "\n',
        f"knowledge[{K['schulungstermine']}].question.en",
        "empty text",
        None,
    ),
    (
        '{de: "Schulungskalender", en: "Training calendar"}',
        '""',
        f"knowledge[{K['schulungstermine']}].links[0].title",
        "empty text",
        None,
    ),
    (
        "  - id: hotline-erreichbarkeit\n",
        "  - id: hotline-erreichbarkeit\n    answer: {}\n",
        f"knowledge[{K['hotline-erreichbarkeit']}].answer",
        "did you mean 'answers'?",
        "    answer: {}",
    ),
    # roles
    (
        "  complaint_managers: [bk.berger, bk.yilmaz]\n",
        "  complaint_managers: [bk.berger, bk.yilmas]\n",
        "roles.complaint_managers[1]",
        "unknown person 'bk.yilmas'; did you mean 'bk.yilmaz'?",
        None,
    ),
    (
        "  admins: [bk.berger]\n",
        "  admins: [anna]\n",
        "roles.admins[0]",
        "unknown person 'anna'",
        None,
    ),
    (
        "  admins: [bk.berger]\n",
        "  admins: [bk.berger, bk.berger]\n",
        "roles.admins[1]",
        "listed twice",
        None,
    ),
    (
        "  admins: [bk.berger]\n",
        "  admin: [bk.berger]\n",
        "roles.admin",
        "did you mean 'admins'?",
        None,
    ),
    (
        "  complaint_managers: [bk.berger, bk.yilmaz]\n",
        "  complaint_managers: []\n",
        "roles.complaint_managers",
        "topic 'beschwerde' has kind complaint, but nobody receives complaints",
        None,
    ),
    (
        "  complaint_managers: [bk.berger, bk.yilmaz]\n",
        "",
        "roles",
        "nobody receives complaints",
        "\nroles:",
    ),
    # dialogs
    ("  timeout: 30m\n", "  timeout: 0\n", "dialogs.timeout", "greater than zero", None),
    ("  timeout: 30m\n", "  timeout: -5m\n", "dialogs.timeout", "must not be negative", None),
    ("  timeout: 30m\n", "  timeout: 30 min\n", "dialogs.timeout", "invalid duration", None),
    ("  timeout: 30m\n", "  timout: 30m\n", "dialogs.timout", "did you mean 'timeout'?", None),
    (
        "  max_message_length: 2000\n",
        "  max_message_length: 99\n",
        "dialogs.max_message_length",
        "must be between 100 and 20000 characters, found 99",
        None,
    ),
    (
        "  max_message_length: 2000\n",
        "  max_message_length: 20001\n",
        "dialogs.max_message_length",
        "must be between 100 and 20000",
        None,
    ),
    (
        "  max_message_length: 2000\n",
        "  max_message_length: 2000.5\n",
        "dialogs.max_message_length",
        "whole number",
        None,
    ),
]


@issue_cases(CASES, id_width=40)
def test_issue_names_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)


def test_knowledge_must_be_a_list(tmp_path: Path) -> None:
    text = SAMPLE[: SAMPLE.index("\nknowledge:\n") + 1] + "knowledge: {}\n"
    issue = find(issues_of(tmp_path, text), "knowledge", "expected a list of knowledge entries")
    assert issue.line == line_of(text, "knowledge: {}")


def test_missing_default_answer(tmp_path: Path) -> None:
    old = "      default:\n        de: >-\n          Alle Termine"
    text, _ = mutate(old, old.replace("default:", "kern:"))
    issue = find(
        issues_of(tmp_path, text),
        f"knowledge[{K['schulungstermine']}].answers",
        "missing required key 'default'",
    )
    assert issue.line == line_after(text, "  - id: schulungstermine", "    answers:")


def test_answer_keys_follow_the_customer_groups(tmp_path: Path) -> None:
    """A handbook variant no group uses is unknown; a new group's id becomes a valid key."""
    text, _ = mutate("  - id: f4\n", "  - id: f4-alt\n")
    text = text.replace("    handbook: f4\n", "    handbook: null\n", 1)
    issues = issues_of(tmp_path, text)
    for entry in ("kontierungsleitfaden", "srm-genehmigungsstatus"):
        issue = find(issues, f"knowledge[{K[entry]}].answers.f4", "unknown key 'f4'")
        assert issue.line == line_after(text, f"  - id: {entry}\n", "      f4:")
    assert [i for i in issues if i.path.startswith("customer_groups")] == []
    text = text.replace(
        "  - id: lieferanten\n", "  - id: f4\n    name: F4 neu\n  - id: lieferanten\n", 1
    )
    assert issues_of(tmp_path, text) == []


def test_confidential_is_only_for_complaints(tmp_path: Path) -> None:
    from bot.config.loader import check_config, default_config_path

    sample = default_config_path().read_text(encoding="utf-8")
    marker = "  - id: kreditoren\n"  # the topic (the team is listed as "- id: kreditoren" too)
    start = sample.index("\ntopics:")
    assert marker in sample[start:]
    topics = sample[start:].replace(marker, marker + "    confidential: true\n", 1)
    changed = sample[:start] + topics
    path = tmp_path / "c.yaml"
    path.write_text(changed, encoding="utf-8")
    issues = check_config(path)
    assert [i.path for i in issues] == [f"{issues[0].path}"]
    assert issues[0].path.endswith(".confidential") and "only complaints" in issues[0].message
    assert issues[0].line == changed.splitlines().index("    confidential: true") + 1


def test_a_link_is_for_known_handbooks_or_groups_only(tmp_path: Path) -> None:
    text, _ = mutate("        for: [kern]\n", "        for: [kerm]\n")
    issue = find(
        issues_of(tmp_path, text),
        f"knowledge[{K['kontierungsleitfaden']}].links[3].for[0]",
        "unknown handbook variant or customer group 'kerm'; did you mean 'kern'?",
    )
    assert issue.line == line_of(text, "        for: [kerm]")
    text, _ = mutate("        for: [f4]\n", "        for: f4\n")
    find(
        issues_of(tmp_path, text),
        f"knowledge[{K['kontierungsleitfaden']}].links[2].for",
        "expected a list of handbook variants or customer group ids",
    )
