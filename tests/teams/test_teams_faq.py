"""Answers become FAQ entries in Teams, through Microsoft's Agents Playground (issue 17):
the agent presses "Als FAQ vorschlagen" on the resolved card (an Action.Submit with the
data the card's other buttons use), Team BK presses "Annehmen" on the review card in its
channel, the card is updated in place without buttons, and the requester's next request
about the topic is offered the entry at once."""

from __future__ import annotations

from storage.models import FaqEntryRow
from tests.teams.stage import (
    BK_CHANNEL,
    CAST,
    PERSONAL_CHAT,
    Stage,
    actions,
    click,
    offers,
    plain,
    says,
    wait_posted,
)
from tests.teams.test_teams_card_actions import AGENT, _as_agent, _dm

DESCRIPTION = "Wie beantrage ich Mittel für den Werkraum?"
ANSWER = "Mit dem Formular HH-7, wir prüfen binnen zwei Tagen."


async def test_the_resolved_cards_button_proposes_and_team_bk_accepts(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, _, post = await stage.file_request(DESCRIPTION)
    await click(pg, post, f"resolve:{number}", CAST[AGENT])
    await wait_posted(pg, lambda p: f"requester of no. {number}" in p.text)
    agent_dm = await _dm(bot, AGENT)
    await _as_agent(stage, agent_dm, ANSWER)
    await wait_posted(pg, lambda p: "Send it?" in p.text)
    await _as_agent(stage, agent_dm, action="owed:send")
    resolved = await pg.wait_for(
        lambda e: e.is_update and e.message_id == post.message_id and "Erledigt von" in plain(e)
    )
    assert actions(resolved) == [f"faq:{number}"]
    assert [a["title"] for a in resolved.submit_actions()] == ["Als FAQ vorschlagen"]

    mark = pg.mark()  # pressed on the card as updated in place (the same message)
    where = post.thread_id or post.conversation_id
    await pg.submit(where, {"action": f"faq:{number}"}, CAST[AGENT], reply_to_id=post.message_id)
    await wait_posted(pg, lambda p: "is with Team BK for review" in p.text)
    review = await pg.wait_for(offers("faq_review:1:accept", BK_CHANNEL), after=mark)
    assert DESCRIPTION in plain(review) and ANSWER in plain(review)
    assert actions(review) == ["faq_review:1:accept", "faq_review:1:edit", "faq_review:1:reject"]

    mark = await click(pg, review, "faq_review:1:accept", CAST["bk.yilmaz"])
    decided = await pg.wait_for(
        lambda e: e.is_update and e.message_id == review.message_id and "Angenommen" in plain(e),
        after=mark,
    )
    assert actions(decided) == []
    await click(pg, review, "faq_review:1:reject", CAST["bk.berger"])  # a stale button
    await wait_posted(pg, lambda p: "has already been decided" in p.text)
    async with bot.app.sessions() as session:
        row = await session.get(FaqEntryRow, 1)
    assert row is not None and (row.status, row.decided_by) == ("accepted", "bk.yilmaz")

    mark = (await pg.say(PERSONAL_CHAT, "/neu")).mark
    topics = await pg.wait_for(offers("topic:haushalt", PERSONAL_CHAT), after=mark)
    mark = await click(pg, topics, "topic:haushalt")
    menu = await pg.wait_for(offers("answer:faq-1", PERSONAL_CHAT), after=mark)
    assert DESCRIPTION in plain(menu)  # KERN, the group of the request: offered at once
    mark = await click(pg, menu, "answer:faq-1")
    await pg.wait_for(says(ANSWER, PERSONAL_CHAT), after=mark)
