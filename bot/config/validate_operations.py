"""Checks of the `operations:` section: where health and metrics are served, and the limits
beyond which the bot reports itself not ready."""

from __future__ import annotations

from bot.config.model import OperationsSettings
from bot.config.validate_base import Checker
from bot.config.yaml_lines import KeyPath

KEYS = ("enabled", "host", "port", "outbox_max_age", "sweep_max_lag")
MAX_PORT = 65535


def check_operations(ck: Checker, raw: object, path: KeyPath) -> OperationsSettings | None:
    """`operations: {enabled, host, port, outbox_max_age, sweep_max_lag}`; all optional."""
    defaults = OperationsSettings()
    start = len(ck.issues)
    node = ck.mapping({} if raw is None else raw, path, optional=KEYS)
    if node is None:
        return None
    enabled = defaults.enabled
    if node.get("enabled") is not None:
        if isinstance(node["enabled"], bool):
            enabled = node["enabled"]
        else:
            ck.expect(node["enabled"], (*path, "enabled"), "true or false")
    host = defaults.host
    if node.get("host") is not None:
        host = ck.string(node["host"], (*path, "host"), "a host name or IP address") or host
    port = defaults.port
    if node.get("port") is not None:
        value = ck.integer(node["port"], (*path, "port"), minimum=0)
        if value is not None and value > MAX_PORT:
            ck.report((*path, "port"), f"a TCP port is at most {MAX_PORT}, found {value}")
        elif value is not None:
            port = value
    limits = {}
    for key in ("outbox_max_age", "sweep_max_lag"):
        if node.get(key) is not None:
            limits[key] = ck.duration(node[key], (*path, key), allow_zero=False)
    if len(ck.issues) > start:
        return None
    return OperationsSettings(
        enabled=enabled,
        host=host,
        port=port,
        outbox_max_age=limits.get("outbox_max_age") or defaults.outbox_max_age,
        sweep_max_lag=limits.get("sweep_max_lag") or defaults.sweep_max_lag,
    )
