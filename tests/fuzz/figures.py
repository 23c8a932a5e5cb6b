"""What a fuzz run counts, and how it reports it. Logged errors are kept by logger and
exception type, so a failure says what broke without message bodies or user ids."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Figures:
    """What a run counted."""

    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    roles: Counter[str] = field(default_factory=Counter)
    escaped: Counter[str] = field(default_factory=Counter)  # exception type -> count
    unanswered: list[str] = field(default_factory=list)  # what was sent, for the report
    internal_errors: int = 0
    logged_errors: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    tickets: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (self.escaped or self.unanswered or self.internal_errors)

    def report(self, store: str) -> str:
        rate = self.messages / self.seconds if self.seconds else 0.0
        lines = [
            f"fuzz on {store}: {self.messages} messages in {self.seconds:.1f} s ({rate:.0f}/s)",
            f"  kinds: {dict(sorted(self.kinds.items()))}",
            f"  roles: {dict(sorted(self.roles.items()))}",
            f"  notices written: {self.notices}, tickets: {self.tickets}",
            f"  escaped exceptions: {sum(self.escaped.values())} {dict(self.escaped)}",
            f"  unanswered: {len(self.unanswered)} {self.unanswered[:10]}",
            f"  internal-error apologies: {self.internal_errors}",
            f"  errors logged: {sum(self.logged_errors.values())} {dict(self.logged_errors)}",
        ]
        return "\n".join(lines)


class ErrorLog(logging.Handler):
    """Counts ERROR records by logger and exception type (never their arguments)."""

    def __init__(self, counts: Counter[str]) -> None:
        super().__init__(logging.ERROR)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "-"
        self.counts[f"{record.name}: {kind}"] += 1
