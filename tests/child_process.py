"""Helpers for test servers started as child processes (Synapse, the Teams playground)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def resolve_prctl() -> Callable[..., int] | None:
    """libc's prctl on Linux, else None. Looked up in the parent: dlopen after fork (in a
    preexec_fn) could deadlock."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def die_with_parent(prctl: Callable[..., int], parent: int) -> Callable[[], None]:
    """A preexec_fn: SIGKILL the child when the thread that spawned it dies, so a killed
    test run leaves no server behind."""

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec
