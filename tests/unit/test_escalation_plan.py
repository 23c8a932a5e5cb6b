"""The sweep's schedule as a pure function: which items a ticket owes, and when."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.loader import load_config
from bot.config.model import Level, OrgConfig
from bot.escalation import plan
from bot.sla.calendar import WorkingCalendar, calendar_for
from storage.models import TicketRow
from tests.conftest import berlin


@pytest.fixture(scope="module")
def cal(config: OrgConfig) -> WorkingCalendar:
    return calendar_for(config)


def ticket(**changes: object) -> TicketRow:
    row = TicketRow(
        id=7,
        status="queued",
        team_id="haushalt",
        assignee=None,
        created_at=berlin(2026, 11, 30, 9, 0),
        updated_at=berlin(2026, 11, 30, 9, 0),
        queued_at=berlin(2026, 11, 30, 9, 0),
        first_response_due_at=berlin(2026, 11, 30, 15, 30),
        resolution_due_at=berlin(2026, 12, 2, 14, 0),
        update_due_at=berlin(2026, 12, 1, 11, 0),
        escalation_repeats=0,
    )
    for key, value in changes.items():
        setattr(row, key, value)
    return row


def test_an_unclaimed_ticket_owes_reminder_breach_escalation_interim(
    config: OrgConfig, cal: WorkingCalendar
) -> None:
    items = plan.items(config, ticket(), cal)
    assert [(i.key.split(":")[-1], i.moment) for i in items] == [
        ("erinnerung", berlin(2026, 11, 30, 13, 30)),
        ("frist", berlin(2026, 11, 30, 15, 30)),
        ("eskalation", berlin(2026, 12, 1, 9, 30)),
        (str(int(berlin(2026, 11, 30, 9, 0).timestamp())), berlin(2026, 12, 1, 11, 0)),
        ("loesungsfrist", berlin(2026, 12, 2, 14, 0)),
    ]
    fired = {items[0].key}
    assert plan.next_action_at(items, fired) == berlin(2026, 11, 30, 15, 30)


def test_no_reminder_when_the_clock_started_with_less_time_left(
    config: OrgConfig, cal: WorkingCalendar
) -> None:
    late = ticket(queued_at=berlin(2026, 11, 30, 14, 0), created_at=berlin(2026, 11, 30, 14, 0))
    steps = [i.key.split(":")[-1] for i in plan.items(config, late, cal) if i.kind == "step"]
    assert "erinnerung" not in steps and "frist" in steps


def test_nothing_while_waiting_for_the_customer_or_resolved(
    config: OrgConfig, cal: WorkingCalendar
) -> None:
    assert plan.items(config, ticket(status="waiting_for_customer"), cal) == []
    assert plan.items(config, ticket(status="resolved"), cal) == []
    assert plan.items(config, ticket(paused_at=berlin(2026, 11, 30, 10, 0)), cal) == []


def test_a_claim_owes_a_lease_and_update_steps_not_reaction_steps(
    config: OrgConfig, cal: WorkingCalendar
) -> None:
    claimed = ticket(
        status="claimed",
        assignee="hh.weber",
        first_responded_at=berlin(2026, 11, 30, 9, 30),
        worked_at=berlin(2026, 11, 30, 9, 30),
        update_started_at=berlin(2026, 11, 30, 9, 30),
        update_due_at=berlin(2026, 12, 1, 11, 30),
    )
    by_kind = {(i.kind, i.key.split(":")[-1]): i.moment for i in plan.items(config, claimed, cal)}
    assert by_kind[("lease", str(int(berlin(2026, 11, 30, 9, 30).timestamp())))] == berlin(
        2026, 11, 30, 14, 30
    )
    assert by_kind[("step", "nachfrage")] == berlin(2026, 11, 30, 11, 30)
    assert by_kind[("step", "stille")] == berlin(2026, 12, 1, 11, 30)
    assert ("step", "erinnerung") not in by_kind


def test_repeats_stop_on_ack_on_activity_and_after_max(
    config: OrgConfig, cal: WorkingCalendar
) -> None:
    escalated = berlin(2026, 12, 1, 9, 30)
    base = ticket(escalated_at=escalated, escalation_level=1)
    repeats = [i for i in plan.items(config, base, cal) if i.kind == "repeat"]
    assert [(i.repeat, i.moment) for i in repeats] == [(1, berlin(2026, 12, 1, 14, 30))]
    acked = ticket(escalated_at=escalated, escalation_acked_at=berlin(2026, 12, 1, 10, 0))
    worked = ticket(escalated_at=escalated, worked_at=berlin(2026, 12, 1, 10, 0))
    done = ticket(escalated_at=escalated, escalation_repeats=3)
    for row in (acked, worked, done):
        assert [i for i in plan.items(config, row, cal) if i.kind == "repeat"] == []


def test_policy_by_level_and_team(config: OrgConfig) -> None:
    strict = replace(config.escalation.policies["standard"], name="streng", max_repeats=9)
    escalation = replace(
        config.escalation,
        policies={**config.escalation.policies, "streng": strict},
        by_level={Level.SECOND: "streng"},
    )
    changed = replace(config, escalation=escalation)
    assert changed.escalation_policy_for("haushalt").name == "streng"  # level 2
    assert changed.escalation_policy_for("bk").name == "standard"  # level 1


@functools.cache
def _sample_calendar() -> WorkingCalendar:
    return calendar_for(load_config(None))


@given(
    start=st.datetimes(
        min_value=berlin(2026, 1, 1).replace(tzinfo=None),
        max_value=berlin(2028, 12, 31).replace(tzinfo=None),
    ),
    minutes=st.integers(min_value=0, max_value=60 * 60),
)
def test_subtract_working_time_undoes_add_working_time(start: object, minutes: int) -> None:
    calendar = _sample_calendar()
    moment = calendar.next_office_time(start.replace(tzinfo=calendar.tz))  # type: ignore[attr-defined]
    amount = timedelta(minutes=minutes)
    end = calendar.add_working_time(moment, amount)
    assert calendar.subtract_working_time(end, amount) == moment
    assert calendar.working_time_between(calendar.subtract_working_time(end, amount), end) == amount


def test_a_phone_note_to_call_back_owes_no_interim_message_but_every_deadline_step(
    config: OrgConfig, cal: WorkingCalendar
) -> None:
    """A caller without a chat account gets no status message (nobody to send it to), so
    the sweep plans none; the team's reminders and escalations run as for every ticket."""
    call = ticket(requester_platform="phone", requester_id="+492211234567", channel="phone")
    kinds = [item.kind for item in plan.items(config, call, cal)]
    assert "interim" not in kinds
    assert kinds.count("step") == len(
        [i for i in plan.items(config, ticket(), cal) if i.kind == "step"]
    )
    chat_user = ticket(requester_platform="local", requester_id="schule.sonne", channel="phone")
    assert "interim" in [item.kind for item in plan.items(config, chat_user, cal)]
