"""Validate who serves whom: organisation, customer groups, teams with members, topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import get_args

from bot.config.model import (
    LOCALES,
    TOPIC_KINDS,
    CustomerGroup,
    Level,
    Person,
    Team,
    Topic,
    TopicKind,
)
from bot.config.validate_appointments import contact_email, screen_sharing
from bot.config.validate_base import Checker, Ids, known
from bot.config.validate_calendar import closure_days
from bot.config.validate_people import check_deputies, check_hours, deputy_of
from bot.config.validate_platforms import check_platform_ids
from bot.config.yaml_lines import KeyPath


def check_organisation(
    ck: Checker, raw: object, path: KeyPath
) -> tuple[str, str, str | None] | None:
    """(name, default locale, the hotline's contact e-mail address or None)."""
    node = ck.mapping(raw, path, required=("name",), optional=("default_locale", "email"))
    if node is None or "name" not in node:
        return None
    name = ck.string(node["name"], (*path, "name"))
    locale = node.get("default_locale", "de")
    if locale not in LOCALES:
        ck.report((*path, "default_locale"), f"unknown locale {locale!r}; use {known(LOCALES)}")
        return None
    email = contact_email(ck, node["email"], (*path, "email")) if "email" in node else None
    if "email" in node and email is None:
        return None
    return (name, str(locale), email) if name is not None else None


def raw_ids(raw: object) -> set[str]:
    """The `id` strings of a raw list of mappings (to check references despite errors)."""
    items = raw if isinstance(raw, list) else []
    return {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}


def check_customer_groups(
    ck: Checker, raw: object, path: KeyPath
) -> tuple[CustomerGroup, ...] | None:
    """The customer groups, in config order."""
    items = ck.sequence(raw, path, "a list of customer groups")
    if items is None:
        return None
    ids, groups, start = Ids(ck, "customer group"), [], len(ck.issues)
    for index, item in enumerate(items):
        item_path = (*path, index)
        node = ck.mapping(item, item_path, required=("id", "name"), optional=("handbook",))
        if node is None or not {"id", "name"} <= set(node):
            continue
        group_id = ids.add(node["id"], (*item_path, "id"))
        name = ck.texts(node["name"], (*item_path, "name"))
        handbook = None
        if node.get("handbook") is not None:
            handbook = ck.ident(node["handbook"], (*item_path, "handbook"), "handbook variant")
        if group_id is not None and name is not None:
            groups.append(CustomerGroup(id=group_id, name=name, handbook=handbook))
    if not items:
        ck.report(path, "at least one customer group is needed")
    return tuple(groups) if len(ck.issues) == start else None


@dataclass
class _People:
    """Persons across teams: the same id must mean the same person; accounts are unique."""

    by_id: dict[str, Person] = field(default_factory=dict)
    accounts: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, ck: Checker, person: Person, path: KeyPath) -> None:
        known_person = self.by_id.setdefault(person.id, person)
        if known_person != person:
            ck.report(path, f"person '{person.id}' is defined differently in another team")
        for platform, user_id in person.platform_ids.items():
            owner = self.accounts.setdefault((platform, user_id), person.id)
            if owner != person.id:
                ck.report(
                    (*path, "ids", platform),
                    f"{platform} id {user_id!r} is already used by person '{owner}'",
                )


def check_teams(
    ck: Checker, raw: object, path: KeyPath, policies: set[str] | None
) -> tuple[Team, ...] | None:
    """The teams; `policies` are the known escalation policy names (None: unknown)."""
    items = ck.sequence(raw, path, "a list of teams")
    if items is None:
        return None
    ids, people, teams, start = Ids(ck, "team"), _People(), [], len(ck.issues)
    levels: list[Level | None] = []
    for index, item in enumerate(items):
        team = _team(ck, item, (*path, index), ids, people, policies, levels)
        if team is not None:
            teams.append(team)
    check_deputies(ck, items, path, people.by_id)
    if None not in levels:
        if Level.FIRST not in levels:
            ck.report(path, "no level-1 team (Team BK): every request starts at level 1")
        if Level.THIRD not in levels:
            ck.report(
                path,
                "no level-3 team (department leadership): escalations need somewhere to go; "
                "add a team with level: 3",
            )
    return tuple(teams) if len(ck.issues) == start else None


def _team(
    ck: Checker,
    raw: object,
    path: KeyPath,
    ids: Ids,
    people: _People,
    policies: set[str] | None,
    levels: list[Level | None],
) -> Team | None:
    required = ("id", "name", "level", "members", "leads")
    optional = (
        "channels",
        "closure_days",
        "escalation_policy",
        "public_name",
        "deputy",
        "screen_sharing",
    )
    start = len(ck.issues)
    node = ck.mapping(raw, path, required=required, optional=optional)
    if node is None:
        levels.append(None)
        return None
    team_id = ids.add(node["id"], (*path, "id")) if "id" in node else None
    name = ck.texts(node["name"], (*path, "name")) if "name" in node else None
    public_name = None
    if "public_name" in node:
        public_name = ck.texts(node["public_name"], (*path, "public_name"))
    level = _level(ck, node.get("level"), (*path, "level")) if "level" in node else None
    levels.append(level)
    channels = check_platform_ids(ck, node.get("channels") or {}, (*path, "channels"), rooms=True)
    members = (
        _members(ck, node.get("members"), (*path, "members"), people) if "members" in node else ()
    )
    leads = _leads(ck, node, path)
    deputy = deputy_of(ck, node, path)
    closures = closure_days(ck, node.get("closure_days"), (*path, "closure_days"), recurring=False)
    video = screen_sharing(ck, node.get("screen_sharing"), (*path, "screen_sharing"))
    policy = node.get("escalation_policy")
    if policy is not None:
        policy_path = (*path, "escalation_policy")
        if ck.string(policy, policy_path, "an escalation policy name") is None:
            policy = None
        elif policies is not None and policy not in policies:
            ck.report(
                policy_path, f"unknown escalation policy '{policy}'; known: {known(policies)}"
            )
    if len(ck.issues) > start:
        return None
    if team_id is None or name is None or level is None or channels is None:
        return None
    if not members or not leads:
        return None
    return Team(
        id=team_id,
        name=name,
        level=level,
        channels=channels,
        members=members,
        leads=leads,
        closure_days=tuple(d for d in closures or () if isinstance(d, date)),
        escalation_policy=str(policy) if policy is not None else None,
        public_name=public_name,
        deputy=deputy,
        screen_sharing_url=video,
    )


def _level(ck: Checker, raw: object, path: KeyPath) -> Level | None:
    if isinstance(raw, bool) or raw not in (1, 2, 3):
        ck.report(path, f"level must be 1, 2 or 3, found {raw!r}")
        return None
    return Level(raw)


def _members(ck: Checker, raw: object, path: KeyPath, people: _People) -> tuple[Person, ...] | None:
    items = ck.sequence(raw, path, "a list of members")
    if items is None:
        return None
    ids, members, start = Ids(ck, "person"), [], len(ck.issues)
    for index, item in enumerate(items):
        item_path = (*path, index)
        node = ck.mapping(
            item, item_path, required=("id", "name", "ids"), optional=("hours", "deputy")
        )
        if node is None or not {"id", "name", "ids"} <= set(node):
            continue
        person_id = ids.add(node["id"], (*item_path, "id"))
        name = ck.string(node["name"], (*item_path, "name"), "the person's display name")
        accounts = check_platform_ids(ck, node["ids"], (*item_path, "ids"), rooms=False)
        hours = check_hours(ck, node["hours"], (*item_path, "hours")) if "hours" in node else None
        if person_id is None or name is None or accounts is None:
            continue
        deputy = deputy_of(ck, node, item_path)
        person = Person(
            id=person_id, display_name=name, platform_ids=accounts, hours=hours, deputy=deputy
        )
        people.add(ck, person, item_path)
        members.append(person)
    if not items:
        ck.report(path, "a team needs at least one member")
    return tuple(members) if len(ck.issues) == start else None


def _leads(ck: Checker, node: dict[str, object], path: KeyPath) -> tuple[str, ...] | None:
    """The team's leads; each must be listed among the team's members."""
    if "leads" not in node:
        return None
    leads_path = (*path, "leads")
    items = ck.sequence(node["leads"], leads_path, "a list of person ids (the team leads)")
    if items is None:
        return None
    if not items:
        ck.report(leads_path, "every team needs at least one lead (Gruppenleitung)")
        return None
    member_ids = raw_ids(node.get("members"))
    leads: list[str] = []
    for index, item in enumerate(items):
        lead = ck.string(item, (*leads_path, index), "a person id")
        if lead is not None and lead not in member_ids:
            ck.report(
                (*leads_path, index),
                f"lead '{lead}' is not a member of this team; members: {known(member_ids)}",
            )
        elif lead is not None:
            leads.append(lead)
    return tuple(leads) if len(leads) == len(items) else None


def check_topics(
    ck: Checker, raw: object, path: KeyPath, team_ids: set[str]
) -> tuple[Topic, ...] | None:
    """The topics in menu order; each routes to a known team, sub-topics to a parent."""
    items = ck.sequence(raw, path, "a list of topics")
    if items is None:
        return None
    parents = {
        i["id"]: i.get("parent")
        for i in items
        if isinstance(i, dict) and isinstance(i.get("id"), str)
    }
    ids, topics, start = Ids(ck, "topic"), [], len(ck.issues)
    for index, item in enumerate(items):
        item_path = (*path, index)
        node = ck.mapping(
            item,
            item_path,
            required=("id", "name", "team"),
            optional=("parent", "confidential", "kind"),
        )
        if node is None or not {"id", "name", "team"} <= set(node):
            continue
        topic_id = ids.add(node["id"], (*item_path, "id"))
        name = ck.texts(node["name"], (*item_path, "name"))
        team = ck.string(node["team"], (*item_path, "team"), "a team id")
        if team is not None and team not in team_ids:
            ck.report(
                (*item_path, "team"),
                f"topic routes to unknown team '{team}'; known teams: {known(team_ids)}",
            )
        parent = node.get("parent")
        if parent is not None:
            _check_parent(ck, parent, (*item_path, "parent"), node["id"], parents)
        confidential = node.get("confidential", False)
        ck.boolean(confidential, (*item_path, "confidential"))
        kind = _topic_kind(ck, node.get("kind", "request"), (*item_path, "kind"))
        if confidential is True and kind is not None and kind != "complaint":
            ck.report(
                (*item_path, "confidential"),
                "only complaints are confidential (they go to the complaint managers alone); "
                "set kind: complaint or remove confidential",
            )
        if topic_id and name and team and kind:
            parent_id = str(parent) if parent else None
            topics.append(Topic(topic_id, name, team, parent_id, confidential is True, kind))
    if not items:
        ck.report(path, "at least one topic is needed")
    return tuple(topics) if len(ck.issues) == start else None


def _check_parent(
    ck: Checker, parent: object, path: KeyPath, topic_id: object, parents: dict[str, object]
) -> None:
    if ck.string(parent, path, "a topic id") is None:
        return
    if parent == topic_id:
        ck.report(path, "a topic cannot be its own parent")
    elif parent not in parents:
        ck.report(path, f"unknown parent topic '{parent}'; known topics: {known(parents)}")
    elif parents[str(parent)] is not None:
        ck.report(path, f"parent '{parent}' is itself a sub-topic; only one level is supported")


def _topic_kind(ck: Checker, raw: object, path: KeyPath) -> TopicKind | None:
    """request (default), complaint, idea or round_table."""
    if ck.choice(raw, path, TOPIC_KINDS, "topic kind") is None:
        return None
    return next(k for k in get_args(TopicKind) if k == raw)
