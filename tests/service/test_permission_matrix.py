"""Every command x every role: refused politely and audited where the role may not use it,
carried out (or answered without a refusal) where it may.

The expectations are an explicit table written from the README and the concept (requesters
see their own requests; agents work on their team's tickets; leads see ideas, reports and
escalations; complaints belong to the complaint managers only; newsletters are Team BK's),
NOT derived from bot/service/permissions.py, so a wrong permission rule makes a row fail.
One database per table row (on SQLite and PostgreSQL); each role gets its own fresh ticket,
proposals or workshop, so the roles of one row cannot disturb each other.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from dialogs.commands import SPECS
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.harness import Harness, texts
from tests.service import matrix_support as ms
from tests.service.permission_table import (
    BUTTON,
    BUTTON_ROWS,
    HIDDEN,
    PEOPLE,
    REFUSALS,
    ROLES,
    ROWS,
    Row,
    Sessions,
    Y,
)


def test_the_table_covers_every_command_and_every_role() -> None:
    assert {row.command for row in ROWS} == {spec.name for spec in SPECS}
    for row in ROWS:
        assert len(row.expected) == len(ROLES), row.id
        assert all(outcome in (Y, *REFUSALS) for outcome in row.expected), row.id
        assert row.answers or Y not in row.expected, row.id
    ticket_commands = {row.command for row in ROWS if "{t}" in row.text}
    with_complaint = {row.command for row in ROWS if row.setup_name.endswith("_C")}
    assert ticket_commands == with_complaint  # every ticket command also on a complaint


def test_the_sample_people_hold_the_roles_the_table_assumes(config: OrgConfig) -> None:
    """Read from the configuration itself, not from the permission code under test."""

    def members(team: str) -> set[str]:
        return {person.id for person in config.team(team).members}

    assert PEOPLE["requester"] not in {p for team in config.teams for p in members(team.id)}
    assert PEOPLE["agent"] in members("haushalt")
    assert PEOPLE["agent"] not in config.team("haushalt").leads
    assert PEOPLE["team_lead"] in config.team("haushalt").leads
    assert PEOPLE["other_agent"] in members("kreditoren")
    assert PEOPLE["other_agent"] not in config.team("kreditoren").leads
    assert PEOPLE["other_lead"] in config.team("kreditoren").leads
    assert PEOPLE["department_lead"] in members("leitung")
    assert config.team("leitung").level == 3
    assert PEOPLE["complaint_manager"] in config.roles.complaint_managers
    assert PEOPLE["complaint_manager"] not in config.roles.admins
    assert PEOPLE["complaint_manager"] not in config.team("bk").leads
    assert PEOPLE["admin"] in config.roles.admins
    people = [p for team in config.teams for p in team.members]
    assert all(person.platform_ids.get("local") == person.id for person in people)


async def check_role(hotline: Harness, row: Row, role: str) -> str | None:
    """Run the row's command as `role`; a description of what went wrong, or None."""
    user = PEOPLE[role]
    made = await row.setup(hotline, user)
    keep, drop = made.proposals
    text = row.text.format(t=made.ticket, p=keep, q=drop, w=made.workshop)
    before = None if not made.ticket else await ms.stored(hotline, made)
    snapshot = None if before is None else (before.status, before.assignee, before.team_id)
    await hotline.dm(user)  # only the answer to the command counts
    after_id = await ms.last_audit_id(hotline)
    if text.startswith(BUTTON):  # a pressed button carries the command in its id
        notices = await hotline.say(user, action_id=text.removeprefix(BUTTON))
    else:
        notices = await hotline.say(user, text)
    answer = texts(notices)
    refusals = [e for e in await ms.audit_after(hotline, after_id) if e.action == "refused"]
    expected = row.expected[ROLES.index(role)]
    subject = made.ticket or made.workshop or keep
    if expected == Y:
        if refusals:
            return f"{role} ({user}) was refused {text!r}: {answer!r}"
        if not any(part in answer for part in row.answers):
            return f"{role} ({user}) got no answer of {row.command}: {answer!r}"
        if row.effect is not None:
            try:
                await row.effect(hotline, made, user)
            except AssertionError as error:
                return f"{role} ({user}): {text!r} had no effect ({error}); answered {answer!r}"
        return None
    reason = expected.removeprefix(HIDDEN)
    shown = "error.not_visible_staff" if expected.startswith(HIDDEN) else expected
    polite = t(shown, "de", id=subject)
    problems = []
    if [n.text for n in notices] != [polite]:
        problems.append(f"answer {[n.text for n in notices]!r}, expected {polite!r}")
    if len(refusals) != 1:
        problems.append(f"{len(refusals)} 'refused' audit rows")
    else:
        entry = refusals[0]
        seen = (entry.platform, entry.user_id, entry.detail.get("command"))
        if seen != ("local", user, row.command) or entry.detail.get("reason") != reason:
            problems.append(f"audit row {seen} {entry.detail}")
        if made.ticket and entry.ticket_id not in (None, made.ticket):
            problems.append(f"audit row names ticket {entry.ticket_id}")
    if snapshot is not None:
        now = await ms.stored(hotline, made)
        if (now.status, now.assignee, now.team_id) != snapshot:
            problems.append(f"ticket changed: {snapshot} -> {now.status, now.assignee}")
    if ms.COMPLAINT_TEXT in answer:
        problems.append("the refusal quotes the complaint")
    return f"{role} ({user}) {text!r}: " + "; ".join(problems) if problems else None


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, built once: each row copies it (migrating costs more than a row)."""
    path = tmp_path_factory.mktemp("matrix") / "template.db"

    async def migrate() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def fresh(template: Path, tmp_path: Path) -> AsyncIterator[Sessions]:
    """Sessions on a private copy of the migrated SQLite template."""
    copy = tmp_path / "hotline.db"
    shutil.copy(template, copy)
    engine = make_engine(f"sqlite+aiosqlite:///{copy}")
    yield make_sessionmaker(engine)
    await engine.dispose()


async def failures_of(hotline: Harness, rows: Sequence[Row]) -> list[str]:
    """Every role of every row; the problems found."""
    return [
        problem
        for row in rows
        for role in ROLES
        if (problem := await check_role(hotline, row, role))
    ]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
async def test_command_as_every_role(
    row: Row, config: OrgConfig, fresh: Sessions, clock: FrozenClock
) -> None:
    failures = await failures_of(Harness(config, fresh, clock), [row])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("row", BUTTON_ROWS, ids=[row.id for row in BUTTON_ROWS])
async def test_button_as_every_role(
    row: Row, config: OrgConfig, fresh: Sessions, clock: FrozenClock
) -> None:
    """Buttons are refused and allowed exactly like the typed command."""
    failures = await failures_of(Harness(config, fresh, clock), [row])
    assert not failures, "\n".join(failures)


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
async def test_the_ticket_rows_on_postgresql(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """The ticket rows in one PostgreSQL schema (each role's tickets are fresh anyway)."""
    rows = [row for row in ROWS if "{t}" in row.text]
    failures = await failures_of(Harness(config, sessions, clock), rows)
    assert not failures, "\n".join(failures)


async def test_a_refused_workshop_command_names_no_ticket_in_the_audit_log(
    config: OrgConfig, fresh: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, fresh, clock)
    ticket = await ms.open_ticket(hotline)
    workshop = await ms.add_workshop(hotline, days_from_now=2)
    assert ticket == workshop == 1  # the same number, different things
    for command in (f"/teilnehmer {workshop}", f"/rueckmeldungen {workshop}"):
        await hotline.say(PEOPLE["agent"], command)
    refused = await ms.audit_after(hotline, 0)
    assert [entry.detail["command"] for entry in refused] == ["participants", "workshop_feedback"]
    assert [entry.ticket_id for entry in refused] == [None, None]
