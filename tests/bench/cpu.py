"""CPU seconds of the parties of a benchmark rig, from /proc (Linux).

The bot processes and HAProxy by pid, PostgreSQL's backends serving one database by their
process title, this process by getrusage, and the whole machine from /proc/stat: on a
shared machine the rest ("others") says how much of the cores the rig did not get.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def _postgres_backends(database: str) -> list[int]:
    """PostgreSQL's processes serving `database` (title "postgres: [cluster:] user database
    host ..."; Debian's clusters put "15/main:" first)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        words = title.split()
        if len(words) > 2 and words[0] == "postgres:" and database in words[2:4]:
            found.append(int(entry.name))
    return found


def _machine_seconds() -> float:
    """CPU seconds the whole machine was busy (all cores; /proc/stat minus idle and iowait)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


def _self_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds per party since `start` (a PostgreSQL backend that appears later counts
    from zero; one that exits keeps what it had used when last seen)."""

    def __init__(self, pids: dict[str, list[int]], database: str) -> None:
        self.pids, self.database = pids, database
        self.backends: dict[int, tuple[float, float]] = {}  # pid: (at start, last seen)
        self.start_fixed: dict[str, float] = {}

    def _fixed(self) -> dict[str, float]:
        seconds = {
            name: sum(_process_seconds(p) for p in group) for name, group in self.pids.items()
        }
        seconds["driver+emulator"] = _self_seconds()
        seconds["machine"] = _machine_seconds()
        return seconds

    def _see_backends(self, starting: bool) -> None:
        for pid in _postgres_backends(self.database):
            now = _process_seconds(pid)
            first, _last = self.backends.get(pid, (now if starting else 0.0, 0.0))
            self.backends[pid] = (first, now)

    def start(self) -> None:
        self.start_fixed = self._fixed()
        self._see_backends(starting=True)

    def used(self) -> dict[str, float]:
        """Seconds used per party since start; "others": the rest of the machine's."""
        self._see_backends(starting=False)
        now = self._fixed()
        used = {name: now[name] - self.start_fixed[name] for name in now}
        machine = used.pop("machine")
        used["PostgreSQL"] = sum(last - first for first, last in self.backends.values())
        used["others"] = machine - sum(used.values())
        return used
