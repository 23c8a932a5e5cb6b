"""Validate the `sla` and `escalation` sections (deadline policies and escalation steps)."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

from bot.config.model import (
    DeadlineKind,
    EscalationAction,
    EscalationConfig,
    EscalationPolicy,
    EscalationStep,
    Level,
    PolicyKind,
    SlaConfig,
    SlaPolicy,
    SlaTargets,
)
from bot.config.validate_base import Checker, known
from bot.config.validate_bundling import check_bundling
from bot.config.yaml_lines import KeyPath

POLICY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "same_or_next_working_day": ("min_remaining",),
    "working_hours": ("duration",),
}
DEADLINES: tuple[str, ...] = get_args(DeadlineKind)
ACTIONS: tuple[str, ...] = get_args(EscalationAction)
assert set(POLICY_PARAMETERS) == set(get_args(PolicyKind))


def check_sla(ck: Checker, raw: object, path: KeyPath) -> SlaConfig | None:
    """The SLA config, or None when it has issues (all of them reported)."""
    start = len(ck.issues)
    node = ck.mapping(
        raw, path, required=("policies", "default"), optional=("by_level", "compliance_target")
    )
    if node is None:
        return None
    policies = (
        _policies(ck, node.get("policies"), (*path, "policies")) if "policies" in node else {}
    )
    raw_policies = node.get("policies")  # names as written, even of broken policies
    names = set(raw_policies) if isinstance(raw_policies, dict) else set(policies)
    default = None
    if "default" in node:
        default = _targets(ck, node["default"], (*path, "default"), names, fallback=None)
    by_level: dict[Level, SlaTargets] = {}
    levels = ck.mapping(node.get("by_level") or {}, (*path, "by_level"), check_keys=False)
    for key, value in (levels or {}).items():
        level_path = (*path, "by_level", key)
        if key not in ("1", "2", "3"):
            ck.report(level_path, f"unknown level '{key}'; levels are 1, 2 and 3")
            continue
        targets = _targets(ck, value, level_path, names, fallback=default)
        if targets is not None:
            by_level[Level(int(key))] = targets
    target = 90
    if "compliance_target" in node:
        value = ck.integer(node["compliance_target"], (*path, "compliance_target"), minimum=1)
        if value is not None and value > 100:
            ck.report((*path, "compliance_target"), f"a percentage up to 100, found {value}")
        target = value or target
    if len(ck.issues) > start or default is None:
        return None
    return SlaConfig(
        policies=policies, default=default, by_level=by_level, compliance_target=target
    )


def _policies(ck: Checker, raw: object, path: KeyPath) -> dict[str, SlaPolicy]:
    node = ck.mapping(raw, path, what="a mapping of policy name -> policy", check_keys=False)
    policies: dict[str, SlaPolicy] = {}
    for name, value in (node or {}).items():
        policy = _policy(ck, name, value, (*path, name))
        if policy is not None:
            policies[name] = policy
    if node is not None and not node:
        ck.report(path, "no SLA policies defined")
    return policies


def _policy(ck: Checker, name: str, raw: object, path: KeyPath) -> SlaPolicy | None:
    node = ck.mapping(raw, path, required=("kind",), optional=("duration", "min_remaining"))
    if node is None or "kind" not in node:
        return None
    kind = node["kind"]
    if not isinstance(kind, str) or kind not in POLICY_PARAMETERS:
        ck.report(
            (*path, "kind"),
            f"unknown policy kind {kind!r}; known kinds: {known(POLICY_PARAMETERS)}",
        )
        return None
    needed = POLICY_PARAMETERS[str(kind)]
    values: dict[str, timedelta | None] = {"duration": None, "min_remaining": None}
    ok = True
    for param in values:
        if param not in node:
            if param in needed:
                ck.report(path, f"policy kind '{kind}' needs '{param}' (a duration like '2h')")
                ok = False
            continue
        if param not in needed:
            ck.report((*path, param), f"'{param}' is not used by policy kind '{kind}'")
            ok = False
            continue
        values[param] = ck.duration(node[param], (*path, param), allow_zero=param != "duration")
        ok = ok and values[param] is not None
    if not ok:
        return None
    return SlaPolicy(
        name=name,
        kind="working_hours" if kind == "working_hours" else "same_or_next_working_day",
        duration=values["duration"],
        min_remaining=values["min_remaining"],
    )


def _targets(
    ck: Checker, raw: object, path: KeyPath, names: set[str], fallback: SlaTargets | None
) -> SlaTargets | None:
    """Targets naming known policies; with a `fallback`, keys may be left out."""
    required = DEADLINES if fallback is None else ()
    node = ck.mapping(raw, path, required=required, optional=DEADLINES)
    if node is None:
        return None
    chosen: dict[str, str] = {}
    ok = True
    for deadline in DEADLINES:
        if deadline not in node:
            if fallback is None:
                ok = False
            else:
                chosen[deadline] = getattr(fallback, deadline)
            continue
        name = ck.string(node[deadline], (*path, deadline), "the name of an SLA policy")
        if name is not None and name not in names:
            ck.report(
                (*path, deadline), f"unknown SLA policy '{name}'; known policies: {known(names)}"
            )
            name = None
        if name is None:
            ok = False
        else:
            chosen[deadline] = name
    if not ok:
        return None
    return SlaTargets(chosen["first_response"], chosen["resolution"], chosen["update"])


def check_escalation(ck: Checker, raw: object, path: KeyPath) -> EscalationConfig | None:
    """The escalation config, or None when it has issues (all of them reported)."""
    timings = ("sweep_interval", "interim_update_after", "claim_lease")
    start = len(ck.issues)
    node = ck.mapping(
        raw,
        path,
        required=(*timings, "digest_at", "default_policy", "policies"),
        optional=("by_level", "bundling"),
    )
    if node is None:
        return None
    durations = {
        key: ck.duration(node[key], (*path, key), allow_zero=False)
        for key in timings
        if key in node
    }
    digest_at = ck.clock(node["digest_at"], (*path, "digest_at")) if "digest_at" in node else None
    policies: dict[str, EscalationPolicy] = {}
    table = None
    if "policies" in node:
        table = ck.mapping(node["policies"], (*path, "policies"), check_keys=False)
    for name, value in (table or {}).items():
        policy = _escalation_policy(ck, name, value, (*path, "policies", name))
        if policy is not None:
            policies[name] = policy
    if table is not None and not table:
        ck.report((*path, "policies"), "no escalation policies defined")
    default = None
    if "default_policy" in node:
        default = ck.string(node["default_policy"], (*path, "default_policy"), "a policy name")
        if table is not None and default is not None and default not in table:
            ck.report(
                (*path, "default_policy"),
                f"unknown escalation policy '{default}'; known policies: {known(table)}",
            )
    by_level = _policy_by_level(ck, node.get("by_level") or {}, (*path, "by_level"), table)
    bundling = check_bundling(ck, node.get("bundling"), (*path, "bundling"))
    if len(ck.issues) > start or default is None or digest_at is None or bundling is None:
        return None
    return EscalationConfig(
        policies=policies,
        default_policy=default,
        by_level=by_level,
        sweep_interval=durations["sweep_interval"] or timedelta(0),
        digest_at=digest_at,
        interim_update_after=durations["interim_update_after"] or timedelta(0),
        claim_lease=durations["claim_lease"] or timedelta(0),
        bundling=bundling,
    )


def _policy_by_level(
    ck: Checker, raw: object, path: KeyPath, table: dict[str, object] | None
) -> dict[Level, str]:
    """`by_level: {3: name}`: the policy of the teams of a level (a team's own one wins)."""
    levels = ck.mapping(raw, path, check_keys=False)
    chosen: dict[Level, str] = {}
    for key, value in (levels or {}).items():
        if str(key) not in ("1", "2", "3"):
            ck.report((*path, key), f"unknown level '{key}'; levels are 1, 2 and 3")
            continue
        name = ck.string(value, (*path, key), "a policy name")
        if name is not None and table is not None and name not in table:
            ck.report((*path, key), f"unknown escalation policy '{name}'; known: {known(table)}")
        elif name is not None:
            chosen[Level(int(key))] = name
    return chosen


def _escalation_policy(
    ck: Checker, name: str, raw: object, path: KeyPath
) -> EscalationPolicy | None:
    start = len(ck.issues)
    node = ck.mapping(
        raw,
        path,
        required=("steps", "repeat_every", "max_repeats"),
        optional=("office_hours_only",),
    )
    if node is None:
        return None
    office_hours_only = True
    if "office_hours_only" in node:
        flag = ck.boolean(node["office_hours_only"], (*path, "office_hours_only"))
        office_hours_only = True if flag is None else flag
    repeat = None
    if "repeat_every" in node:
        repeat = ck.duration(node["repeat_every"], (*path, "repeat_every"), allow_zero=False)
    repeats = None
    if "max_repeats" in node:
        repeats = ck.integer(node["max_repeats"], (*path, "max_repeats"), minimum=0)
    steps: list[EscalationStep] = []
    items = (
        ck.sequence(node.get("steps"), (*path, "steps"), "a list of steps")
        if "steps" in node
        else None
    )
    seen: set[str] = set()
    for index, item in enumerate(items or []):
        step = _step(ck, item, (*path, "steps", index))
        if step is None:
            continue
        if step.id in seen:
            ck.report((*path, "steps", index, "id"), f"duplicate step id '{step.id}'")
        seen.add(step.id)
        steps.append(step)
    if items is not None and not items:
        ck.report((*path, "steps"), "an escalation policy needs at least one step")
    if len(ck.issues) > start or repeat is None or repeats is None:
        return None
    return EscalationPolicy(
        name=name,
        steps=tuple(steps),
        repeat_every=repeat,
        max_repeats=repeats,
        office_hours_only=office_hours_only,
    )


def _step(ck: Checker, raw: object, path: KeyPath) -> EscalationStep | None:
    start = len(ck.issues)
    node = ck.mapping(
        raw, path, required=("id", "deadline", "action"), optional=("before", "after")
    )
    if node is None:
        return None
    step_id = ck.ident(node["id"], (*path, "id"), "step id") if "id" in node else None
    choices = {"deadline": DEADLINES, "action": ACTIONS}
    for key, allowed in choices.items():
        if key in node and node[key] not in allowed:
            ck.report((*path, key), f"unknown {key} {node[key]!r}; known: {known(allowed)}")
    offsets = {k: ck.duration(node[k], (*path, k)) for k in ("before", "after") if k in node}
    if all(offsets.get(k) for k in ("before", "after")):
        ck.report(path, "a step fires either 'before' or 'after' its deadline, not both")
    if len(ck.issues) > start or step_id is None:
        return None
    deadline: DeadlineKind = next(d for d in get_args(DeadlineKind) if d == node["deadline"])
    action: EscalationAction = next(a for a in get_args(EscalationAction) if a == node["action"])
    return EscalationStep(
        id=step_id,
        deadline=deadline,
        action=action,
        before=offsets.get("before") or timedelta(0),
        after=offsets.get("after") or timedelta(0),
    )
