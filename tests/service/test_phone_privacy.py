"""A caller's phone number or e-mail address is personal data: exported, erased on request
and anonymised by retention with the ticket, everywhere it was written (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.service.privacy import PrivacyService
from tests.harness import Harness
from tests.service.erasure_support import scan
from tests.service.test_phone_notes import AGENT, owed, record_call
from tests.service.test_privacy import Sessions

NUMBER = "+492211234567"  # as stored; typed "+49 221 123-4567"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


@pytest.fixture
def privacy(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> PrivacyService:
    return PrivacyService(config, sessions, clock)


async def test_privacy_delete_by_number_erases_the_caller_everywhere(
    hotline: Harness, privacy: PrivacyService
) -> None:
    ticket_id = await record_call(hotline, "+49 221 123-4567")
    other = await record_call(hotline, "winter@schule.example")
    assert await scan(hotline.sessions, NUMBER)  # the scan sees it: ticket, card, summary
    exported = await privacy.export(user_id="+49 (221) 123 4567", platform="phone")
    assert [ticket["id"] for ticket in exported["tickets"]] == [ticket_id]

    counts = await privacy.erase(user_id="+49 221 123-4567", platform="phone")
    assert counts["tickets_anonymised"] == 1
    assert await scan(hotline.sessions, NUMBER) == set()
    assert await scan(hotline.sessions, "1234567") == set()
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.requester_id, ticket.requester_name, ticket.status) == ("anonym", None, "closed")
    assert ticket.channel == "phone"  # the reports still count the call
    assert (await hotline.ticket(other)).requester_id == "winter@schule.example"
    await privacy.erase(user_id="Winter@Schule.Example")  # any platform, any spelling
    assert await scan(hotline.sessions, "winter@schule.example") == set()
    assert (await hotline.ticket(other)).requester_id == "anonym"


async def test_retention_anonymises_a_callers_number_with_the_ticket(
    hotline: Harness, privacy: PrivacyService, clock: FrozenClock
) -> None:
    start = clock.now()
    ticket_id = await record_call(hotline, "+49 221 123-4567")
    asked = await hotline.say(AGENT, f"/erledigt {ticket_id} Rückruf: Mittel sind frei.")
    await hotline.say(AGENT, action_id=owed(asked, "send"))  # "Ja, Rückruf erfolgt"
    assert (await hotline.ticket(ticket_id)).status == "resolved"
    clock.set(start + timedelta(days=731))  # requests: 730 days
    assert (await privacy.apply_retention())["tickets_anonymised"] == 1
    assert await scan(hotline.sessions, NUMBER) == set()
    assert await scan(hotline.sessions, "Frau Sommer") == set()
