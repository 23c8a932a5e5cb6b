"""What the benchmarks ran on: cores, memory, Python, date."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path


def total_memory_mib() -> int | None:
    """MemTotal from /proc/meminfo in MiB (None where there is no /proc)."""
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return None


def rss_mib(pid: int | str = "self") -> float | None:
    """Resident memory (VmRSS) of a process in MiB, from /proc/<pid>/status."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def describe() -> str:
    """One line: cores, memory, Python, platform and the date (UTC)."""
    memory = total_memory_mib()
    memory_text = "?" if memory is None else f"{memory / 1024:.1f} GiB"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{os.cpu_count()} cores, {memory_text} RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {now}"
    )
