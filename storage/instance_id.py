"""The id an instance leases outbox rows under, kept across restarts of the same instance.

A killed process's leases go back once its heartbeat is 30 s old (bot/delivery.py), so a
crash delays its last answers by half a minute. But the process restarted in its place (by
systemd, say) is the same instance: it keeps its id in the data directory and takes back
what its previous life had leased at once. Two live processes never share an id: the id
file is locked (flock) for the life of the process that holds it; a second process on the
same data directory (a second `hotline-bot shell`) gets an id of its own.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FILE = "instance-id"


@dataclass
class InstanceId:
    """An instance id; `resumed` when earlier leases under it are this instance's own.
    `release()` (at close) lets the next process on the data directory take it over."""

    value: str
    resumed: bool = False
    _lock: IO[str] | None = None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file ends the flock
            self._lock = None


def claim_instance_id(directory: Path) -> InstanceId:
    """This data directory's instance id when no live process holds it, else a new one."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = (directory / FILE).open("a+", encoding="ascii")
    except OSError:  # a read-only data directory: run, only without the quick takeover
        return InstanceId(uuid.uuid4().hex)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by a live process (or another app in this one)
        handle.close()
        return InstanceId(uuid.uuid4().hex)
    handle.seek(0)
    known = handle.read().strip()
    if known:
        return InstanceId(known, True, handle)
    fresh = uuid.uuid4().hex
    handle.write(fresh)
    handle.flush()
    os.fsync(handle.fileno())
    return InstanceId(fresh, False, handle)
