"""Validate the optional sections `knowledge` (first-level answers), `roles` and `dialogs`.

Each section may be left out (the model's defaults apply), so older configs keep loading.
One rule is not optional: when a topic has `kind: complaint`, somebody must receive the
complaints, so `roles.complaint_managers` must name at least one person.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from bot.config.model import (
    DialogSettings,
    KnowledgeEntry,
    Link,
    PrivacySettings,
    Roles,
    Texts,
)
from bot.config.validate_base import Checker, Ids, known, unknown_key
from bot.config.yaml_lines import KeyPath
from bot.kernel import limits

DEFAULT_ANSWER = "default"
MIN_MESSAGE_LENGTH = 100
MAX_MESSAGE_LENGTH = limits.limit("text")
_URL = re.compile(r"https?://[^\s/?#]+\S*")


# --- raw look-ups (so references can be checked even when other sections are broken) ---
def raw_person_ids(teams: object) -> set[str] | None:
    """Person ids as written in teams[].members[]; None when `teams` is not a list."""
    if not isinstance(teams, list):
        return None
    return {
        member["id"]
        for team in teams
        if isinstance(team, dict) and isinstance(team.get("members"), list)
        for member in team["members"]
        if isinstance(member, dict) and isinstance(member.get("id"), str)
    }


def raw_answer_keys(groups: object) -> set[str] | None:
    """The keys an answer may have: "default", group ids and the groups' handbook variants.

    None when `customer_groups` is not a list (then answer keys are not checked).
    """
    if not isinstance(groups, list):
        return None
    keys = {DEFAULT_ANSWER}
    for group in groups:
        if isinstance(group, dict):
            keys |= {group[k] for k in ("id", "handbook") if isinstance(group.get(k), str)}
    return keys


# --- knowledge ---------------------------------------------------------------------------
def check_knowledge(
    ck: Checker,
    raw: object,
    path: KeyPath,
    topic_ids: set[str] | None,
    answer_keys: set[str] | None,
) -> tuple[KnowledgeEntry, ...] | None:
    """The knowledge entries in config order; `None` sets skip the reference checks."""
    items = ck.optional_sequence(raw, path, "a list of knowledge entries")
    if items is None:
        return None
    ids, entries, start = Ids(ck, "knowledge entry"), [], len(ck.issues)
    for index, item in enumerate(items):
        entry = _entry(ck, item, (*path, index), ids, topic_ids, answer_keys)
        if entry is not None:
            entries.append(entry)
    return tuple(entries) if len(ck.issues) == start else None


def _entry(
    ck: Checker,
    raw: object,
    path: KeyPath,
    ids: Ids,
    topic_ids: set[str] | None,
    answer_keys: set[str] | None,
) -> KnowledgeEntry | None:
    required = ("id", "topics", "question", "answers")
    start = len(ck.issues)
    node = ck.mapping(raw, path, required=required, optional=("links",))
    if node is None:
        return None
    entry_id = ids.add(node["id"], (*path, "id")) if "id" in node else None
    topics = _topics(ck, node["topics"], (*path, "topics"), topic_ids) if "topics" in node else ()
    question = (
        nonblank_text(ck, node["question"], (*path, "question")) if "question" in node else None
    )
    answers = (
        _answers(ck, node["answers"], (*path, "answers"), answer_keys) if "answers" in node else {}
    )
    links = _links(ck, node.get("links"), (*path, "links"), answer_keys)
    if len(ck.issues) > start or entry_id is None or question is None or links is None:
        return None
    return KnowledgeEntry(entry_id, tuple(topics), question, answers, links)


def _topics(ck: Checker, raw: object, path: KeyPath, topic_ids: set[str] | None) -> tuple[str, ...]:
    items = ck.sequence(raw, path, "a list of topic ids")
    if items is None:
        return ()
    if not items:
        ck.report(path, "a knowledge entry needs at least one topic")
    found: list[str] = []
    for index, item in enumerate(items):
        topic = ck.string(item, (*path, index), "a topic id")
        if topic is None:
            continue
        if topic_ids is not None and topic not in topic_ids:
            ck.report((*path, index), _unknown("topic", topic, topic_ids))
        elif topic in found:
            ck.report((*path, index), f"topic '{topic}' is listed twice")
        else:
            found.append(topic)
    return tuple(found)


def _answers(
    ck: Checker, raw: object, path: KeyPath, answer_keys: set[str] | None
) -> dict[str, Texts]:
    what = "a mapping of 'default' / handbook variant / customer group id -> answer text"
    node = ck.mapping(raw, path, what=what, check_keys=False)
    if node is None:
        return {}
    answers: dict[str, Texts] = {}
    for key, value in node.items():
        key_path = (*path, key)
        if answer_keys is not None and key not in answer_keys:
            ck.report(key_path, unknown_key(key, answer_keys))
            continue
        answer = nonblank_text(ck, value, key_path)
        if answer is not None:
            answers[key] = answer
    if DEFAULT_ANSWER not in node:
        ck.report(
            path,
            f"missing required key '{DEFAULT_ANSWER}': the answer for customer groups "
            "without a variant of their own",
        )
    return answers


def _links(
    ck: Checker, raw: object, path: KeyPath, group_keys: set[str] | None
) -> tuple[Link, ...] | None:
    items = ck.optional_sequence(raw, path, "a list of links {title: ..., url: ..., for: ...}")
    if items is None:
        return None
    links: list[Link] = []
    for index, item in enumerate(items):
        item_path = (*path, index)
        node = ck.mapping(item, item_path, required=("title", "url"), optional=("for",))
        if node is None or not {"title", "url"} <= set(node):
            continue
        groups = _link_groups(ck, node.get("for"), (*item_path, "for"), group_keys)
        title = nonblank_text(ck, node["title"], (*item_path, "title"))
        url = ck.string(node["url"], (*item_path, "url"), "a URL")
        if url is not None and not _URL.fullmatch(url):
            ck.report((*item_path, "url"), f"invalid URL {url!r}: expected http:// or https://...")
            url = None
        if title is not None and url is not None and groups is not None:
            links.append(Link(title=title, url=url, groups=groups))
    return tuple(links) if len(links) == len(items) else None


def _link_groups(
    ck: Checker, raw: object, path: KeyPath, group_keys: set[str] | None
) -> tuple[str, ...] | None:
    """`for:` of a link: the handbook variants or customer group ids it is meant for."""
    if raw is None:
        return ()
    items = ck.sequence(raw, path, "a list of handbook variants or customer group ids")
    if items is None:
        return None
    found: list[str] = []
    for index, item in enumerate(items):
        key = ck.string(item, (*path, index), "a handbook variant or customer group id")
        if key is None:
            return None
        allowed = None if group_keys is None else group_keys - {DEFAULT_ANSWER}
        if allowed is not None and key not in allowed:
            names = sorted(allowed)
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            ck.report(
                (*path, index),
                f"unknown handbook variant or customer group '{key}'; {hint}known: {known(names)}",
            )
            return None
        found.append(key)
    return tuple(found)


def nonblank_text(ck: Checker, raw: object, path: KeyPath) -> Texts | None:
    """A text (string or {de, en}); an empty or blank text is its own, clear issue."""
    blanks: list[KeyPath] = []
    if isinstance(raw, str):
        blanks = [path] if not raw.strip() else []
    elif isinstance(raw, dict):
        blanks = [
            (*path, k) for k in ("de", "en") if isinstance(raw.get(k), str) and not raw[k].strip()
        ]
    for blank in blanks:
        ck.report(blank, "empty text: write the German text (and optionally the English one)")
    if blanks:
        return None
    return ck.texts(raw, path, "a text")


# --- roles -------------------------------------------------------------------------------
ROLE_KEYS: tuple[str, ...] = ("complaint_managers", "admins")


def check_roles(ck: Checker, raw: object, path: KeyPath, people: set[str] | None) -> Roles | None:
    """Complaint managers and admins by person id; `people=None` skips the id check."""
    start = len(ck.issues)
    node = ck.mapping({} if raw is None else raw, path, optional=ROLE_KEYS)
    if node is None:
        return None
    found: dict[str, tuple[str, ...]] = {}
    for key in ROLE_KEYS:
        found[key] = _person_list(ck, node.get(key), (*path, key), people)
    if len(ck.issues) > start:
        return None
    return Roles(complaint_managers=found["complaint_managers"], admins=found["admins"])


def _person_list(
    ck: Checker, raw: object, path: KeyPath, people: set[str] | None
) -> tuple[str, ...]:
    items = ck.optional_sequence(raw, path, "a list of person ids")
    found: list[str] = []
    for index, item in enumerate(items or []):
        person = ck.string(item, (*path, index), "a person id")
        if person is None:
            continue
        if people is not None and person not in people:
            ck.report((*path, index), _unknown("person", person, people))
        elif person in found:
            ck.report((*path, index), f"person '{person}' is listed twice")
        else:
            found.append(person)
    return tuple(found)


def check_complaint_managers(ck: Checker, node: Mapping[str, object]) -> None:
    """If any topic is a complaint topic, `roles.complaint_managers` must name somebody."""
    topics = node.get("topics")
    complaint_topics = [
        t["id"]
        for t in (topics if isinstance(topics, list) else [])
        if isinstance(t, dict) and t.get("kind") == "complaint" and isinstance(t.get("id"), str)
    ]
    if not complaint_topics:
        return
    roles = node.get("roles")
    managers = roles.get("complaint_managers") if isinstance(roles, dict) else None
    if isinstance(managers, list) and managers:
        return
    if not isinstance(roles, dict):
        where: KeyPath = ("roles",) if "roles" in node else ()
    else:
        where = ("roles", "complaint_managers") if "complaint_managers" in roles else ("roles",)
    ck.report(
        where,
        f"topic '{complaint_topics[0]}' has kind complaint, but nobody receives complaints: "
        "list at least one person under roles.complaint_managers",
    )


# --- dialogs -----------------------------------------------------------------------------
def check_dialogs(ck: Checker, raw: object, path: KeyPath) -> DialogSettings | None:
    """Dialog timeout and maximum message length; both optional (model defaults)."""
    defaults = DialogSettings()
    start = len(ck.issues)
    node = ck.mapping({} if raw is None else raw, path, optional=("timeout", "max_message_length"))
    if node is None:
        return None
    timeout = defaults.timeout
    if node.get("timeout") is not None:
        timeout = ck.duration(node["timeout"], (*path, "timeout"), allow_zero=False) or timeout
    length = defaults.max_message_length
    if node.get("max_message_length") is not None:
        length_path = (*path, "max_message_length")
        value = ck.integer(node["max_message_length"], length_path)
        if value is not None and not MIN_MESSAGE_LENGTH <= value <= MAX_MESSAGE_LENGTH:
            ck.report(
                length_path,
                f"must be between {MIN_MESSAGE_LENGTH} and {MAX_MESSAGE_LENGTH} characters, "
                f"found {value}",
            )
        length = value or length
    if len(ck.issues) > start:
        return None
    return DialogSettings(timeout=timeout, max_message_length=length)


def _unknown(kind: str, name: str, names: Iterable[str]) -> str:
    """ "unknown topic 'x'; did you mean 'y'? known topics: ..." """
    names = sorted(names)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown {kind} '{name}'; {hint}known {kind}s: {known(names)}"


RETENTION_KEYS = ("tickets", "complaints", "feedback", "newsletter")
MAX_RETENTION_DAYS = 3650


def check_privacy(ck: Checker, raw: object, path: KeyPath) -> PrivacySettings | None:
    """`privacy: {retention_days: {tickets, complaints, feedback, newsletter}}`; all optional."""
    defaults = PrivacySettings()
    start = len(ck.issues)
    node = ck.mapping({} if raw is None else raw, path, optional=("retention_days",))
    if node is None:
        return None
    days_path = (*path, "retention_days")
    days = ck.mapping(node.get("retention_days") or {}, days_path, optional=RETENTION_KEYS)
    values: dict[str, int] = {}
    for key in RETENTION_KEYS:
        if days is None or days.get(key) is None:
            continue
        value = ck.integer(days[key], (*days_path, key), minimum=1)
        if value is not None and value > MAX_RETENTION_DAYS:
            ck.report((*days_path, key), f"at most {MAX_RETENTION_DAYS} days, found {value}")
        elif value is not None:
            values[f"{key}_days"] = value
    if len(ck.issues) > start:
        return None
    return replace(defaults, **values)
