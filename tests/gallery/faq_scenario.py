"""The gallery's FAQ situations (issue 17): the proposal from a resolved card, Team BK's
review card, the edit dialog (its long group list) and the decided card. Kept apart so
tests/gallery/scenarios.py stays small; its `collect` calls `faq_proposal`."""

from __future__ import annotations

from typing import Protocol

from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from tests.conftest import berlin
from tests.harness import Harness

PROPOSER = "hh.weber"  # Haushalt: resolves the gallery's second request here
REVIEWER = "bk.yilmaz"  # Team BK


class Taker(Protocol):
    async def take(self, situation: str) -> list[Notice]: ...


async def faq_proposal(hotline: Harness, out: Taker, clock: FrozenClock) -> None:
    """The second request's answer becomes an FAQ entry, edited and accepted by Team BK."""
    clock.set(berlin(2026, 12, 7, 11, 0))
    say = hotline.say
    await say(PROPOSER, "/erledigt 2 Zusätzliche Mittel beantragen Sie mit dem Formular HH-7.")
    await out.take("resolved card offering the faq proposal")
    await say(PROPOSER, "/faq 2 Wie beantrage ich zusätzliche Haushaltsmittel?")
    await out.take("faq proposal and review card")
    await say(REVIEWER, "/faqpruefen 1 ändern")  # the first proposal
    await out.take("faq edit question")
    await say(REVIEWER, "1")
    await out.take("faq edit answer")
    await say(REVIEWER, "1")
    await out.take("faq edit customer groups")
    await say(REVIEWER, "1, 2")
    await out.take("faq edit summary")
    await say(REVIEWER, "1")
    await out.take("faq accepted and decided card")
