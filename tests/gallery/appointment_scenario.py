"""The gallery's appointment situations: the team proposes times, the requester picks one,
both get the confirmation and the calendar file (.ics), a reminder goes out, the team moves
the appointment (a new proposal, a new file of the same UID), then it is cancelled
(METHOD:CANCEL). Kept apart so tests/gallery/scenarios.py stays small."""

from __future__ import annotations

from typing import Protocol

from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from tests.conftest import berlin
from tests.harness import Harness

REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # team Haushalt: a screen-sharing link is configured


class Taker(Protocol):
    async def take(self, situation: str, *, kind: str | None = None) -> list[Notice]: ...


async def appointment(hotline: Harness, out: Taker, clock: FrozenClock) -> None:
    """Ticket to appointment and back: proposal, pick, .ics, reminder, move, cancel."""
    clock.set(berlin(2026, 12, 7, 13, 0))  # Monday
    say = hotline.say
    ticket = await hotline.file_request(REQUESTER, topic="haushalt")
    await say(AGENT, f"/claim {ticket}")
    await out.take("appointment ticket filed and claimed", kind="nobody")  # shown before
    await say(AGENT, f"/termin {ticket} Mi 10:00, 10.12. 14:30")
    proposal = await out.take("appointment proposal")
    picked = next(c.id for n in proposal for c in n.choices if c.id.startswith("appt:pick:"))
    await say(REQUESTER, action_id=picked)
    # the reminders are queued with the confirmation (they wait for their moment)
    await out.take("appointment picked, confirmation, calendar file, reminders")
    await say(AGENT, f"/termin {ticket} Do 11:00")
    await out.take("appointment moved by the team, new proposal")
    await say(REQUESTER, "1")
    await out.take("appointment rescheduled, new calendar file")
    await say(REQUESTER, f"/termin {ticket} absagen")
    await out.take("appointment cancelled with cancel file")
