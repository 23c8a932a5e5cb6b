"""Validate raw config data, collecting every issue, and build the OrgConfig if none.

The sections are checked by `validate_org`, `validate_calendar`, `validate_deadlines`,
`validate_platforms` and `validate_knowledge`; this module walks the top level, wires the
cross-references (topics -> teams, teams -> escalation policies, knowledge -> topics and
customer groups, roles -> persons) and assembles the result.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config.model import (
    DialogSettings,
    KnowledgeEntry,
    OperationsSettings,
    OrgConfig,
    PrivacySettings,
    Roles,
    WorkshopSettings,
)
from bot.config.validate_base import Checker, ConfigIssue
from bot.config.validate_calendar import check_calendar
from bot.config.validate_deadlines import check_escalation, check_sla
from bot.config.validate_knowledge import (
    check_complaint_managers,
    check_dialogs,
    check_knowledge,
    check_privacy,
    check_roles,
    raw_answer_keys,
    raw_person_ids,
)
from bot.config.validate_operations import check_operations
from bot.config.validate_org import (
    check_customer_groups,
    check_organisation,
    check_teams,
    check_topics,
    raw_ids,
)
from bot.config.validate_people import check_hours_meet_office
from bot.config.validate_platforms import check_no_clear_secrets, check_platforms
from bot.config.validate_workshops import check_workshops
from bot.config.yaml_lines import KeyPath

TOP_LEVEL_KEYS: tuple[str, ...] = (
    "organisation",
    "calendar",
    "customer_groups",
    "teams",
    "topics",
    "sla",
    "escalation",
    "platforms",
)
# Optional sections: left out, the model's defaults apply (older configs keep loading).
OPTIONAL_KEYS: tuple[str, ...] = (
    "knowledge",
    "roles",
    "dialogs",
    "privacy",
    "workshops",
    "operations",
)


def validate(
    data: object, lines: Mapping[KeyPath, int]
) -> tuple[OrgConfig | None, list[ConfigIssue]]:
    """Check raw YAML data; return (config, []) when valid, else (None, all issues).

    `lines` maps key paths to 1-based line numbers (see `bot.config.yaml_lines`).
    Issues are ordered by line.
    """
    ck = Checker(lines)
    if data is None:
        ck.report((), f"the config is empty; expected the sections {', '.join(TOP_LEVEL_KEYS)}")
        return None, ck.issues
    node = ck.mapping(
        data,
        (),
        required=TOP_LEVEL_KEYS,
        optional=OPTIONAL_KEYS,
        what="a mapping of sections (organisation, teams, ...)",
    )
    if node is None:
        return None, ck.issues
    check_no_clear_secrets(ck, node)

    def section(key: str) -> tuple[object, KeyPath] | None:
        return (node[key], (key,)) if key in node else None

    organisation = check_organisation(ck, *s) if (s := section("organisation")) else None
    calendar = check_calendar(ck, *s) if (s := section("calendar")) else None
    groups = check_customer_groups(ck, *s) if (s := section("customer_groups")) else None
    sla = check_sla(ck, *s) if (s := section("sla")) else None
    escalation = check_escalation(ck, *s) if (s := section("escalation")) else None
    teams = check_teams(ck, *s, _policy_names(node)) if (s := section("teams")) else None
    if teams is not None and calendar is not None:
        check_hours_meet_office(ck, teams, calendar, ("teams",))
    team_ids = raw_ids(node.get("teams"))
    topics = check_topics(ck, *s, team_ids) if (s := section("topics")) else None
    platforms = check_platforms(ck, *s) if (s := section("platforms")) else None
    topic_ids = raw_ids(node["topics"]) if isinstance(node.get("topics"), list) else None
    answer_keys = raw_answer_keys(node.get("customer_groups"))
    knowledge: tuple[KnowledgeEntry, ...] | None = ()
    if s := section("knowledge"):
        knowledge = check_knowledge(ck, *s, topic_ids, answer_keys)
    roles: Roles | None = Roles()
    if s := section("roles"):
        roles = check_roles(ck, *s, raw_person_ids(node.get("teams")))
    check_complaint_managers(ck, node)
    dialogs = check_dialogs(ck, *s) if (s := section("dialogs")) else DialogSettings()
    privacy = check_privacy(ck, *s) if (s := section("privacy")) else PrivacySettings()
    workshops = check_workshops(ck, *s) if (s := section("workshops")) else WorkshopSettings()
    operations: OperationsSettings | None = OperationsSettings()
    if s := section("operations"):
        operations = check_operations(ck, *s)

    issues = sorted(ck.issues, key=lambda i: (i.line is not None, i.line or 0))
    if issues:
        return None, issues
    if (
        organisation is None
        or calendar is None
        or groups is None
        or teams is None
        or topics is None
        or sla is None
        or escalation is None
        or platforms is None
        or knowledge is None
        or roles is None
        or dialogs is None
        or privacy is None
        or workshops is None
        or operations is None
    ):  # pragma: no cover - every None comes with an issue
        raise AssertionError("a section failed without reporting an issue")
    name, locale, email = organisation
    config = OrgConfig(
        name=name,
        default_locale=locale,
        email=email,
        calendar=calendar,
        customer_groups=groups,
        teams=teams,
        topics=topics,
        sla=sla,
        escalation=escalation,
        platforms=platforms,
        knowledge=knowledge,
        roles=roles,
        dialogs=dialogs,
        privacy=privacy,
        workshops=workshops,
        operations=operations,
    )
    return config, []


def _policy_names(node: Mapping[str, object]) -> set[str] | None:
    """Escalation policy names as written (so teams can be checked despite other errors)."""
    escalation = node.get("escalation")
    policies = escalation.get("policies") if isinstance(escalation, dict) else None
    return {str(k) for k in policies} if isinstance(policies, dict) else None
