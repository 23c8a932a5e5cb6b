"""Absences and personal hours together (issue 16): first who stands in, then when.

An absent person is never pinged: their stand-in is (bot/people/availability.py). A
stand-in with personal working hours is pinged at their next working minute, like anyone
else (bot/people/schedule.py). On SQLite and PostgreSQL, against a frozen clock; the
office is open Monday to Friday 08:00-16:00 (tests/service/test_personal_hours.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from storage.models import OutboxRow
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions, sweep_at
from tests.service.test_personal_hours import (
    MONDAY,
    Recorder,
    deliver_at,
    held_rows,
    office_all_day,
)

REQUESTER = "schule.sonne"
HEAD = "leitung.hoffmann"  # the department leadership, who receives escalations
HEAD_DEPUTY = "leitung.meyer"  # her standing deputy in the sample config
ESCALATION = "Eskalation: Nr."  # the title of the escalation DM


def escalations(recorder: Recorder, person: str) -> list[tuple[str, datetime]]:
    """The escalation DMs the person received, with when they arrived."""
    return [(title, when) for title, when in recorder.to(person) if title.startswith(ESCALATION)]


async def test_an_escalation_for_an_absent_head_waits_for_her_part_time_deputy(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    changed = office_all_day(config, long_update=False)
    hotline, sweeper = Harness(changed, sessions, clock), Sweeper(changed, sessions, clock)
    recorder = Recorder()
    recorder.clock = clock
    sender = OutboxSender(sessions, {"local": recorder}, clock)
    clock.set(berlin(2026, 12, 10, 9, 0))  # Thursday
    await hotline.say(HEAD_DEPUTY, "/arbeitszeit Mo-Do 08:00-16:00")  # Fridays off
    answer = texts(await hotline.say(HEAD, "/abwesend bis Freitag"))
    assert "Frank Meyer" in answer  # her standing deputy stands in
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    for hour in (14, 16):  # the reminder, the breach of the reaction deadline (16:00)
        await sweep_at(sweeper, clock, berlin(2026, 12, 10, hour, 0))
    friday = berlin(2026, 12, 11, 9, 0)  # one office hour after the deadline
    fired = await sweep_at(sweeper, clock, friday)
    assert "eskalation" in [key.rsplit(":", 1)[-1] for key in fired]

    def about_it(rows: list[OutboxRow]) -> list[OutboxRow]:
        return [row for row in rows if row.payload.get("ticket_id") == ticket_id]

    # WHO: never the absent head; WHEN: the deputy's next working minute, Monday 08:00.
    assert about_it(await held_rows(sessions, HEAD)) == []
    (escalation,) = about_it(await held_rows(sessions, HEAD_DEPUTY))
    assert escalation.created_at == friday  # written at once: nothing is lost
    assert escalation.next_attempt_at == MONDAY

    for moment in (friday, MONDAY - timedelta(minutes=1)):
        await deliver_at(sender, clock, moment)
        assert escalations(recorder, HEAD_DEPUTY) == []
    await deliver_at(sender, clock, MONDAY)
    assert escalations(recorder, HEAD_DEPUTY) == [(f"{ESCALATION} {ticket_id}", MONDAY)]
    assert escalations(recorder, HEAD) == []
