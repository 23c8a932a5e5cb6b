"""Personal working hours at work (issue 16), against a frozen clock on SQLite and PostgreSQL.

A part-time agent (/arbeitszeit Mo-Do 08:00-12:30, Friday off) is reminded on Thursday at
14:00: the reminder is written to the outbox at once, due Monday 08:00, and the sender
delivers it exactly then, in order with the other pings that waited. A colleague without
personal hours is reminded at once. When the deadline would pass before the assignee is
back, the team channel hears of it instead. To make "Monday 08:00" the agent's first
minute, the office here is open Monday to Friday 08:00-16:00.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.config.model import EscalationStep, OfficeInterval, OrgConfig
from bot.delivery import InboundHandler, OutboxSender
from bot.escalation.digest import Digests
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.models import OutboxRow
from tests.conftest import berlin
from tests.harness import Harness
from tests.service.sweep_support import Sessions, sweep_at

REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # team Haushalt
TEAM_LEAD = "hh.schneider"
DEPARTMENT_LEAD = "leitung.hoffmann"
THURSDAY_CLAIM = berlin(2026, 12, 10, 12, 0)
THURSDAY_REMINDER = berlin(2026, 12, 10, 14, 0)  # 2 office hours after the claim
MONDAY = berlin(2026, 12, 14, 8, 0)


class Recorder:
    """A local-chat adapter that records what the sender hands it."""

    platform = "local"

    def __init__(self) -> None:
        self.sent: list[tuple[Target, Notice, datetime]] = []
        self.clock: FrozenClock | None = None

    async def start(self, on_inbound: InboundHandler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, notice: Notice, *, outbox_id: int) -> str | None:
        assert self.clock is not None
        self.sent.append((target, notice, self.clock.now()))
        return None

    def to(self, address: str) -> list[tuple[str, datetime]]:
        return [(n.title or n.text, when) for t, n, when in self.sent if t.address == address]


def office_all_day(config: OrgConfig, *, long_update: bool) -> OrgConfig:
    """Office Mon-Fri 08:00-16:00; `long_update`: a 24-hour update deadline whose reminder
    still comes 2 office hours after the claim (so the deadline is after the weekend)."""
    day = (OfficeInterval(time(8, 0), time(16, 0)),)
    calendar = replace(config.calendar, office_hours={d: day for d in range(5)})
    changed = replace(config, calendar=calendar)
    if not long_update:
        return changed
    policies = dict(config.sla.policies)
    policies["aktualisierung"] = replace(policies["aktualisierung"], duration=timedelta(hours=24))
    standard = config.escalation.policies["standard"]
    steps = tuple(
        replace(step, before=timedelta(hours=22)) if step.id == "nachfrage" else step
        for step in standard.steps
    )
    assert any(isinstance(s, EscalationStep) and s.id == "nachfrage" for s in steps)
    escalation = replace(config.escalation, policies={"standard": replace(standard, steps=steps)})
    return replace(changed, sla=replace(config.sla, policies=policies), escalation=escalation)


async def claimed_on_thursday(hotline: Harness, clock: FrozenClock, *, part_time: bool) -> int:
    clock.set(berlin(2026, 12, 10, 11, 0))
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    if part_time:
        answer = await hotline.say(AGENT, "/arbeitszeit Mo-Do 08:00-12:30")
        assert "Gespeichert" in answer[0].text
    clock.set(THURSDAY_CLAIM)
    await hotline.say(AGENT, f"/claim {ticket_id}")
    await hotline.dm(AGENT)
    await hotline.channel("haushalt")
    return ticket_id


async def held_rows(sessions: Sessions, address: str) -> list[OutboxRow]:
    """The rows still waiting for `address`: pending, or held for the bundler (sweep DMs)."""
    async with sessions() as session:
        query = select(OutboxRow).where(
            OutboxRow.target_address == address, OutboxRow.status.in_(("pending", "held"))
        )
        return list((await session.scalars(query.order_by(OutboxRow.id))).all())


async def deliver_at(sender: OutboxSender, clock: FrozenClock, moment: datetime) -> None:
    clock.set(moment)
    await sender.deliver_due()


@pytest.fixture
def recorder(clock: FrozenClock) -> Recorder:
    recorder = Recorder()
    recorder.clock = clock
    return recorder


async def test_a_part_time_agents_thursday_reminder_arrives_on_monday_at_eight(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, recorder: Recorder
) -> None:
    changed = office_all_day(config, long_update=True)
    hotline, sweeper = Harness(changed, sessions, clock), Sweeper(changed, sessions, clock)
    sender = OutboxSender(sessions, {"local": recorder}, clock)
    ticket_id = await claimed_on_thursday(hotline, clock, part_time=True)
    await deliver_at(sender, clock, THURSDAY_CLAIM)
    recorder.sent.clear()

    fired = await sweep_at(sweeper, clock, THURSDAY_REMINDER)
    assert [key.rsplit(":", 1)[-1] for key in fired] == ["nachfrage"]
    (reminder,) = await held_rows(sessions, AGENT)
    assert reminder.created_at == THURSDAY_REMINDER  # written at once: nothing is lost
    assert reminder.next_attempt_at == MONDAY  # due at her next working minute
    assert await hotline.channel("haushalt") == []  # the deadline (Tuesday) is after Monday
    # The claim lease runs out at 16:00; the note to her waits for Monday, too.
    fired = await sweep_at(sweeper, clock, berlin(2026, 12, 10, 16, 0))
    assert [key.split(":")[1] for key in fired] == ["lease"]
    assert [row.next_attempt_at for row in await held_rows(sessions, AGENT)] == [MONDAY, MONDAY]

    for moment in (THURSDAY_REMINDER, berlin(2026, 12, 11, 10, 0), MONDAY - timedelta(minutes=1)):
        await deliver_at(sender, clock, moment)
        assert recorder.to(AGENT) == [], moment
    await deliver_at(sender, clock, MONDAY)
    mine = [(notice, when) for target, notice, when in recorder.sent if target.address == AGENT]
    assert [when for _, when in mine] == [MONDAY, MONDAY]
    # in the order they were written: the reminder, then the note on the released claim
    assert mine[0][0].title == f"Fristerinnerung: Nr. {ticket_id}"
    assert "wieder in der Warteschlange" in mine[1][0].text
    assert await held_rows(sessions, AGENT) == []


async def test_a_colleague_without_personal_hours_is_reminded_at_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, recorder: Recorder
) -> None:
    changed = office_all_day(config, long_update=True)
    hotline, sweeper = Harness(changed, sessions, clock), Sweeper(changed, sessions, clock)
    sender = OutboxSender(sessions, {"local": recorder}, clock)
    ticket_id = await claimed_on_thursday(hotline, clock, part_time=False)
    await deliver_at(sender, clock, THURSDAY_CLAIM)
    recorder.sent.clear()
    await sweep_at(sweeper, clock, THURSDAY_REMINDER)
    (reminder,) = await held_rows(sessions, AGENT)
    assert reminder.next_attempt_at == THURSDAY_REMINDER
    await deliver_at(sender, clock, THURSDAY_REMINDER)
    assert recorder.to(AGENT) == [(f"Fristerinnerung: Nr. {ticket_id}", THURSDAY_REMINDER)]


async def test_the_team_channel_is_told_when_the_deadline_passes_before_she_is_back(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    # The standard 8-hour update deadline: claimed Thursday 12:00, due Friday 12:00, and
    # she is off until Monday. Waiting would miss it: the team hears now.
    changed = office_all_day(config, long_update=False)
    hotline, sweeper = Harness(changed, sessions, clock), Sweeper(changed, sessions, clock)
    ticket_id = await claimed_on_thursday(hotline, clock, part_time=True)
    fired = await sweep_at(sweeper, clock, THURSDAY_REMINDER)
    assert [key.rsplit(":", 1)[-1] for key in fired] == ["nachfrage"]
    (notice,) = await hotline.channel("haushalt")
    assert notice.title == f"Fristerinnerung: Nr. {ticket_id}" and notice.thread == ticket_id
    assert "Julia Weber hat es übernommen" in notice.text
    assert "Montag, 14.12.2026, 08:00 Uhr wieder im Dienst" in notice.text
    assert "morgen, Freitag, 12:00 Uhr" in notice.text  # the deadline, unchanged
    assert await hotline.dm(AGENT) == []  # no reminder waiting for her
    events = await hotline.events(ticket_id)
    remind = [e for e in events if e.action == "remind"][-1]
    assert remind.data["channel"] == "haushalt" and remind.data["assignee_off"] == AGENT


async def test_a_breach_notice_to_a_part_time_lead_waits_but_the_channel_hears_at_once(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    changed = office_all_day(config, long_update=False)
    hotline, sweeper = Harness(changed, sessions, clock), Sweeper(changed, sessions, clock)
    clock.set(berlin(2026, 12, 10, 9, 0))
    await hotline.say(TEAM_LEAD, "/arbeitszeit Mo-Mi 08:00-16:00")  # not on Thursdays
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.channel("haushalt")
    # Nobody claims it: the reaction deadline is Thursday 16:00.
    await sweep_at(sweeper, clock, berlin(2026, 12, 10, 14, 0))
    fired = await sweep_at(sweeper, clock, berlin(2026, 12, 10, 16, 0))
    assert [key.rsplit(":", 1)[-1] for key in fired] == ["frist"]
    assert any("Frist überschritten" in (n.title or "") for n in await hotline.channel("haushalt"))
    (breach,) = [
        row
        for row in await held_rows(sessions, TEAM_LEAD)
        if row.payload.get("ticket_id") == ticket_id
    ]
    assert breach.next_attempt_at == MONDAY  # Friday is not one of his days either


async def test_the_daily_digest_waits_for_a_leads_hours(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    changed = office_all_day(config, long_update=False)
    hotline = Harness(changed, sessions, clock)
    clock.set(berlin(2026, 12, 10, 8, 45))
    await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(TEAM_LEAD, "/arbeitszeit Do 10:00-14:00")
    assert await Digests(changed, sessions, clock).daily() >= 1
    (digest,) = [
        row
        for row in await held_rows(sessions, TEAM_LEAD)
        if (row.dedupe_key or "").startswith("digest:")
    ]
    assert digest.next_attempt_at == berlin(2026, 12, 10, 10, 0)
    other = [
        row
        for row in await held_rows(sessions, DEPARTMENT_LEAD)
        if (row.dedupe_key or "").startswith("digest:")
    ]
    assert [row.next_attempt_at for row in other] == [berlin(2026, 12, 10, 8, 45)]


@pytest.mark.parametrize("on_call", [False, True], ids=["office-policy", "on-call-policy"])
async def test_an_escalation_waits_for_a_part_time_department_lead_unless_on_call(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock, on_call: bool
) -> None:
    changed = office_all_day(config, long_update=False)
    if on_call:
        standard = changed.escalation.policies["standard"]
        policies = {"standard": replace(standard, office_hours_only=False)}
        changed = replace(changed, escalation=replace(changed.escalation, policies=policies))
    hotline, sweeper = Harness(changed, sessions, clock), Sweeper(changed, sessions, clock)
    clock.set(berlin(2026, 12, 10, 9, 0))
    await hotline.say(DEPARTMENT_LEAD, "/arbeitszeit Mo-Do 08:00-16:00")
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    for hour in (14, 16):  # the reminder, the breach of the reaction deadline (16:00)
        await sweep_at(sweeper, clock, berlin(2026, 12, 10, hour, 0))
    # One office hour after the deadline is Friday 09:00; on call, one hour is 17:00.
    moment = berlin(2026, 12, 10, 17, 0) if on_call else berlin(2026, 12, 11, 9, 0)
    fired = await sweep_at(sweeper, clock, moment)
    assert "eskalation" in [key.rsplit(":", 1)[-1] for key in fired]  # (and an interim)
    (escalation,) = [
        row
        for row in await held_rows(sessions, DEPARTMENT_LEAD)
        if row.payload.get("ticket_id") == ticket_id
    ]
    assert escalation.created_at == moment
    assert escalation.next_attempt_at == (moment if on_call else MONDAY)
