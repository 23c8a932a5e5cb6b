"""`hotline-bot audit`: who did what to which ticket, and what was refused, for admins.

Ticket events and the audit log in one list, filtered by ticket, person (user id, config
person id or the pseudonym the audit log keeps), action and period; as an aligned table or
as CSV (semicolons, UTF-8 with BOM: a German spreadsheet opens it). Words people wrote
(questions, answers, notes, reasons) are shown as their length unless `--with-text`: an
audit answers "who, when, what", and a text belongs to the ticket's own history.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import opened_app
from bot.service.privacy import pseudonym
from storage.repositories.audit_view import AuditFilter, AuditLine, audit_lines

TEXT_KEYS = frozenset({"text", "note", "description", "answer", "question", "comment"})
COLUMNS = ("time", "source", "ticket", "action", "actor", "person", "audience", "detail")


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("audit", help="the audit trail: ticket events and refusals")
    parser.add_argument("--ticket", type=int, help="one ticket number")
    parser.add_argument("--person", help="user id, config person id or sha256: pseudonym")
    parser.add_argument("--action", help="e.g. claim, resolve, escalate, refused, privacy_export")
    parser.add_argument("--since", help="from this day (YYYY-MM-DD), inclusive")
    parser.add_argument("--until", help="to this day (YYYY-MM-DD), inclusive")
    parser.add_argument("--format", choices=("table", "csv"), default="table")
    parser.add_argument("--with-text", action="store_true", help="show the words people wrote")
    parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    parser.set_defaults(handler=run)


def people_of(person: str | None, platforms: tuple[str, ...]) -> tuple[str, ...]:
    """Every form the person may take in the two tables."""
    if person is None:
        return ()
    if person.startswith("sha256:"):
        return (person,)
    hashed = {pseudonym(platform, person) for platform in (None, *platforms)}
    return (person, *sorted(hashed))


def day_bound(value: str | None, tz: ZoneInfo, *, end: bool) -> datetime | str | None:
    """The start of the day (or of the next one, for an inclusive end); or why not."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return f"not a day (YYYY-MM-DD): {value!r}"
    return datetime.combine(day + timedelta(days=int(end)), time(), tz)


def shown(line: AuditLine, tz: ZoneInfo, with_text: bool) -> dict[str, str]:
    """One line as the columns print it."""
    detail = {
        key: value
        if with_text or key not in TEXT_KEYS or not isinstance(value, str)
        else f"[{len(value)} Zeichen]"
        for key, value in line.detail.items()
    }
    return {
        "time": line.at.astimezone(tz).isoformat(timespec="seconds"),
        "source": line.source,
        "ticket": "" if line.ticket_id is None else str(line.ticket_id),
        "action": line.action,
        "actor": line.actor,
        "person": line.person or "",
        "audience": line.audience or "",
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
    }


def as_table(rows: list[dict[str, str]]) -> str:
    """Aligned columns, the detail last and unpadded."""
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in COLUMNS[:-1]}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS[:-1]) + "  detail"]
    for row in rows:
        lines.append(
            "  ".join(row[c].ljust(widths[c]) for c in COLUMNS[:-1]) + "  " + row["detail"]
        )
    return "\n".join(line.rstrip() for line in lines) + "\n"


def as_csv(rows: list[dict[str, str]]) -> str:
    """Semicolon CSV with a BOM, like the reports' CSV."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


def run(args: argparse.Namespace) -> int:
    """Print the selected lines."""

    async def _go() -> int:
        async with opened_app(config_file=args.config, platforms=()) as app:
            if app is None:
                return 2
            tz = ZoneInfo(app.config.calendar.timezone)
            since = day_bound(args.since, tz, end=False)
            until = day_bound(args.until, tz, end=True)
            for bound in (since, until):
                if isinstance(bound, str):
                    print(bound, file=sys.stderr)
                    return 2
            assert not isinstance(since, str) and not isinstance(until, str)
            wanted = AuditFilter(
                ticket_id=args.ticket,
                people=people_of(args.person, tuple(app.config.platforms)),
                action=args.action,
                since=since,
                until=until,
            )
            async with app.sessions() as session:
                lines = await audit_lines(session, wanted)
            rows = [shown(line, tz, args.with_text) for line in lines]
            sys.stdout.write(as_csv(rows) if args.format == "csv" else as_table(rows))
            return 0

    return asyncio.run(_go())
