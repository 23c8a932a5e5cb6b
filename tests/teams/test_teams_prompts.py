"""Prompts in Teams, through Microsoft's Agents Playground: the rating card answered by
typing, then its buttons pressed again (stale), and a button no card carries any more.

Repro cases of issue 13 as a Teams user meets them: each used to start a new request or
change the rating given."""

from __future__ import annotations

from tests.teams.stage import (
    CAST,
    PERSONAL_CHAT,
    Stage,
    actions,
    click,
    plain,
    says,
    wait_posted,
)
from tests.teams.test_teams_card_actions import AGENT, _as_agent, _dm


async def _resolved(stage: Stage, description: str) -> tuple[int, object]:
    """File a request, resolve it by the card's "Erledigt"; return the number and the
    requester's rating card."""
    pg = stage.pg
    number, _, post = await stage.file_request(description)
    await click(pg, post, f"resolve:{number}", CAST[AGENT])
    await wait_posted(pg, lambda p: f"requester of no. {number}" in p.text)
    agent_dm = await _dm(stage.bot, AGENT)
    mark = pg.mark()
    await _as_agent(stage, agent_dm, "Über Kostenstelle 4711.")
    await wait_posted(pg, lambda p: "Send it?" in p.text)
    await _as_agent(stage, agent_dm, action="owed:send")
    card = await pg.wait_for(says("Wie zufrieden sind Sie", PERSONAL_CHAT), after=mark)
    return number, card


async def test_a_typed_rating_counts_once_and_the_card_is_stale_afterwards(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, card = await _resolved(stage, "Mittel für den Werkraum fehlen")
    buttons = actions(card)  # type: ignore[arg-type]
    assert buttons[0].startswith(f"rate:{number}:1@"), buttons

    mark = await stage.say("4")
    thanks = await pg.wait_for(
        says("Danke für Ihre Bewertung (4 von 5)", PERSONAL_CHAT), after=mark
    )
    assert "Kundengruppe" not in plain(thanks)
    mark = await click(pg, card, buttons[1])  # "2" on the same card, later
    stale = await pg.wait_for(says("nicht mehr aktuell", PERSONAL_CHAT), after=mark)
    assert "bereits mit 4 von 5 bewertet" in plain(stale)
    await bot.wait_outbox_idle()
    async with bot.app.sessions() as session:
        score = await bot.app.engine.router.csat.service.score_of(session, number)
    assert score == 4
    assert (await bot.ticket(number)).status == "resolved"


async def test_a_button_no_card_carries_keeps_the_draft_waiting(stage: Stage) -> None:
    """Repro: a button value from an older card version started an intake and dropped the
    resolve draft waiting for "Senden"."""
    pg, bot = stage.pg, stage.bot
    number, _, post = await stage.file_request("Wie buche ich die Klassenfahrt?")
    await click(pg, post, f"resolve:{number}", CAST[AGENT])
    await wait_posted(pg, lambda p: f"requester of no. {number}" in p.text)
    agent_dm = await _dm(bot, AGENT)
    await _as_agent(stage, agent_dm, "Über Kostenstelle 4711.")
    (draft,) = await wait_posted(pg, lambda p: "Send it?" in p.text)
    mark = pg.mark()
    await _as_agent(stage, agent_dm, action="colour:blue")
    (stale,) = await wait_posted(pg, lambda p: "no longer current" in p.text)
    assert stale.conversation_id == agent_dm and "Hello" not in stale.text
    send = next(
        action["data"]["action"]
        for attachment in draft.body["attachments"]
        for action in attachment["content"].get("actions", [])
    )
    assert send.startswith(f"owed:send:{number}:"), send  # the draft's own "Senden"
    await _as_agent(stage, agent_dm, action=send)
    await pg.wait_for(says("ist erledigt", PERSONAL_CHAT), after=mark)
    assert (await bot.ticket(number)).status == "resolved"
