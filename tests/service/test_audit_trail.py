"""Every ticket action writes exactly one audit event: the right action, from and to status,
the acting platform user (and the staff member behind them), the moment it happened, and
its audience. Staff-only words given with an action (a handoff's reason, a staff member's
reason for reopening) are one more event: a note for the team, right after it.

The action is done through the engine, as a user would (a command, or the requester's
reply typed into the chat); the set-up goes through the ticket service. SQLite and
PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from storage.repositories import audit
from tests.harness import Harness
from tests.service import matrix_support as ms

Sessions = async_sessionmaker[AsyncSession]
REQUESTER, AGENT, LEAD = ms.REQUESTER, ms.AGENT, "hh.schneider"


@dataclass(frozen=True)
class Case:
    """An action: the ticket's state before, who does what, and the event it must leave."""

    action: str
    state: str  # queued, claimed, waiting, resolved, escalated
    user: str
    text: str  # {t}: the ticket number
    from_status: str
    to_status: str
    audience: str = "requester"
    data: tuple[tuple[str, object], ...] = ()  # entries the event's data must hold
    note: str | None = None  # the staff-only words that must follow in a team note
    id: str = ""  # the case's name when the action is not enough

    @property
    def name(self) -> str:
        """The parametrize id."""
        return self.id or self.action

    @property
    def person(self) -> str | None:
        """The staff member recorded (sample local ids are person ids); None for requesters."""
        return None if self.user == REQUESTER else self.user


CASES = (
    Case("claim", "queued", AGENT, "/claim {t}", "queued", "claimed"),
    Case("unclaim", "claimed", AGENT, "/unclaim {t}", "claimed", "queued", data=(("was", AGENT),)),
    Case(
        "handoff",
        "claimed",
        AGENT,
        "/handoff {t} ccc SRM-Frage",
        "claimed",
        "queued",
        data=(("from_team", "haushalt"), ("to_team", "ccc"), ("reason", None)),
        note="SRM-Frage",
    ),
    Case(
        "ask",
        "claimed",
        AGENT,
        "/ask {t} Welche Kostenstelle?",
        "claimed",
        "waiting_for_customer",
        data=(("text", "Welche Kostenstelle?"),),
    ),
    Case(
        "customer_reply",
        "waiting",
        REQUESTER,
        "Kostenstelle 4711",
        "waiting_for_customer",
        "claimed",
        data=(("text", "Kostenstelle 4711"),),
    ),
    Case(
        "note",
        "claimed",
        AGENT,
        "/note {t} intern: Rücksprache",
        "claimed",
        "claimed",
        audience="team",
        data=(("text", "intern: Rücksprache"),),
    ),
    Case(
        "resolve",
        "claimed",
        AGENT,
        "/resolve {t} Die Mittel sind freigegeben.",
        "claimed",
        "resolved",
        data=(("text", "Die Mittel sind freigegeben."),),
    ),
    Case(
        "reopen",
        "resolved",
        REQUESTER,
        "/reopen {t} Geld ist nicht da",
        "resolved",
        "reopened",
        data=(("text", "Geld ist nicht da"),),
    ),
    Case(
        "reopen",
        "resolved",
        AGENT,
        "/reopen {t} Kollegin hat falsch gebucht",
        "resolved",
        "reopened",
        data=(("text", None),),
        note="Kollegin hat falsch gebucht",
        id="reopen_by_staff",
    ),
    Case(
        "acknowledge",
        "escalated",
        LEAD,
        "/ack {t}",
        "queued",
        "queued",
        audience="leads",
        data=(("level", 1),),
    ),
)


async def prepare(hotline: Harness, state: str) -> int:
    """A Haushalt ticket of the requester in `state` (waiting: asked back by the agent)."""
    if state != "waiting":
        return await ms.ticket_in(hotline, state)
    ticket_id = await ms.ticket_in(hotline, "claimed")
    await hotline.say(AGENT, f"/ask {ticket_id} Welche Kostenstelle?")
    return ticket_id


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_each_action_leaves_exactly_one_event(
    case: Case, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    ticket_id = await prepare(hotline, case.state)
    before = await hotline.events(ticket_id)
    clock.advance(timedelta(minutes=7))  # the event's time must be the action's, not set-up's
    await hotline.say(case.user, case.text.format(t=ticket_id))
    after = await hotline.events(ticket_id)
    assert [event.id for event in after[: len(before)]] == [event.id for event in before]
    new = after[len(before) :]
    assert [event.action for event in new] == [case.action] + ["note"] * (case.note is not None)
    event = new[0]
    assert (event.from_status, event.to_status) == (case.from_status, case.to_status)
    assert (event.actor_platform, event.actor_id, event.actor_person) == (
        "local",
        case.user,
        case.person,
    )
    assert event.at == clock.now()
    assert event.audience == case.audience
    for key, value in case.data:
        assert event.data.get(key) == value, (key, event.data)
    if case.note is not None:
        note = new[1]
        assert (note.audience, note.data) == ("team", {"text": case.note, "about": case.action})
        assert (note.actor_person, note.at, note.to_status) == (
            case.person,
            clock.now(),
            case.to_status,
        )
    ticket = await hotline.ticket(ticket_id)
    assert ticket.status == case.to_status
    async with sessions() as session:
        assert await audit.entries(session, action="refused") == []


async def test_a_second_message_after_a_reply_is_one_customer_info_event(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    ticket_id = await prepare(hotline, "waiting")
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    before = len(await hotline.events(ticket_id))
    clock.advance(timedelta(minutes=3))
    await hotline.say(REQUESTER, "Betrag 300 Euro")
    (event,) = (await hotline.events(ticket_id))[before:]
    assert (event.action, event.from_status, event.to_status) == (
        "customer_info",
        "claimed",
        "claimed",
    )
    assert (event.actor_id, event.actor_person, event.at) == (REQUESTER, None, clock.now())


async def test_a_refused_action_leaves_no_ticket_event(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    ticket_id = await ms.ticket_in(hotline, "queued")
    before = [event.id for event in await hotline.events(ticket_id)]
    await hotline.say("kred.novak", f"/claim {ticket_id}")
    await hotline.say(REQUESTER, f"/note {ticket_id} selbst notiert")
    assert [event.id for event in await hotline.events(ticket_id)] == before
    async with sessions() as session:
        refused = await audit.entries(session, action="refused")
    assert [(entry.user_id, entry.detail["command"]) for entry in refused] == [
        ("kred.novak", "claim"),
        (REQUESTER, "note"),
    ]


async def test_a_refused_card_answer_is_audited(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    hotline = Harness(config, sessions, clock)
    ticket_id = await ms.ticket_in(hotline, "claimed")  # by the agent
    prompt = await hotline.say(AGENT, action_id=f"resolve:{ticket_id}")  # "Erledigt" on the card
    assert prompt and prompt[0].ticket_id == ticket_id
    await hotline.say(LEAD, f"/handoff {ticket_id} ccc passt besser zum CCC")
    answer = await hotline.say(AGENT, "Die Mittel sind freigegeben.")
    reason = t("error.not_allowed", "de", id=ticket_id)
    not_sent = t("card.answer_not_sent", "de", id=ticket_id, reason=reason)
    assert [notice.text for notice in answer] == [not_sent]
    assert (await hotline.ticket(ticket_id)).team_id == "ccc"
    async with sessions() as session:
        refused = await audit.entries(session, action="refused")
    assert [(entry.user_id, entry.ticket_id) for entry in refused] == [(AGENT, ticket_id)]


async def test_leads_read_the_refusals_in_the_tickets_history(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """/verlauf for leads carries refusals and acknowledgements; agents and the requester
    see the ticket's own trail only."""
    hotline = Harness(config, sessions, clock)
    ticket_id = await ms.ticket_in(hotline, "queued")
    clock.advance(timedelta(minutes=5))
    await hotline.say("kred.novak", f"/claim {ticket_id}")  # another team's agent: refused
    *_, lead_view = await hotline.say(LEAD, f"/verlauf {ticket_id}")  # after a welcome
    refusal = "Tomasz Novak · abgelehnt: /claim"
    assert refusal in lead_view.text
    assert lead_view.text.splitlines()[-1].endswith(refusal)
    *_, agent_view = await hotline.say(AGENT, f"/verlauf {ticket_id}")
    assert "abgelehnt" not in agent_view.text
    *_, own_view = await hotline.say(REQUESTER, f"/verlauf {ticket_id}")
    assert "abgelehnt" not in own_view.text
