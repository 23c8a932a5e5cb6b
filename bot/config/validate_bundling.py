"""Validate `escalation.bundling`: how sweep notices to one person are bundled and capped.

Kept apart from the deadline validators (which are near their size limit); every problem
names its key path, e.g. `escalation.bundling.dm_ceiling_per_hour`.
"""

from __future__ import annotations

from datetime import timedelta

from bot.config.model import BundlingConfig
from bot.config.validate_base import Checker
from bot.config.yaml_lines import KeyPath

KEYS = ("window", "threshold", "dm_ceiling_per_hour")
LONGEST_WINDOW = timedelta(hours=1)  # a notice held longer than an hour is no longer timely


def check_bundling(ck: Checker, raw: object, path: KeyPath) -> BundlingConfig | None:
    """The bundling settings (defaults for what is left out), or None when they have issues."""
    defaults = BundlingConfig()
    if raw is None:
        return defaults
    start = len(ck.issues)
    node = ck.mapping(raw, path, optional=KEYS)
    if node is None:
        return None
    window = defaults.window
    if "window" in node:
        window = ck.duration(node["window"], (*path, "window"), allow_zero=False) or window
        if window > LONGEST_WINDOW:
            ck.report((*path, "window"), "a bundling window may last at most 1h")
    threshold = defaults.threshold
    if "threshold" in node:
        threshold = ck.integer(node["threshold"], (*path, "threshold"), minimum=1) or threshold
    ceiling = defaults.dm_ceiling_per_hour
    if "dm_ceiling_per_hour" in node:
        key = (*path, "dm_ceiling_per_hour")
        ceiling = ck.integer(node["dm_ceiling_per_hour"], key, minimum=1) or ceiling
        if ceiling < threshold:
            ck.report(key, f"must be at least the threshold ({threshold}), found {ceiling}")
    if len(ck.issues) > start:
        return None
    return BundlingConfig(window=window, threshold=threshold, dm_ceiling_per_hour=ceiling)
