"""The channel card's "Weitergeben" and "Erledigt" buttons in Teams, through Microsoft's
Agents Playground: the press in the channel, the private answer in the agent's 1:1 chat (which
the bot opens: the agent never wrote to it), the agent's reply there, the card updated in
place and the requester told."""

from __future__ import annotations

import json
from typing import Any

from storage.models import PlatformStateRow
from tests.teams.bot_fixture import HotlineBot
from tests.teams.stage import (
    CAST,
    PERSONAL_CHAT,
    TEAM,
    Stage,
    aad,
    actions,
    click,
    plain,
    posted,
    says,
    wait_posted,
)

AGENT = "hh.schneider"


async def _dm(bot: HotlineBot, person: str) -> str:
    """The 1:1 conversation the bot opened with `person` (known by their AAD object id)."""
    async with bot.app.sessions() as session:
        row = await session.get(PlatformStateRow, ("teams", f"ref:user:{aad(person)}"))
    assert row is not None, f"no 1:1 chat stored for {person}"
    return str(json.loads(row.value)["conversation_id"])


async def _as_agent(stage: Stage, conversation: str, text: str = "", **value: str) -> None:
    """The agent writes (or presses a button whose data is `value`) in their 1:1 chat."""
    config = await stage.pg.config()
    user = config.user(CAST[AGENT])
    activity: dict[str, Any] = await stage.pg.activity_template(conversation)
    activity.update(
        type="message",
        text=text,
        textFormat="plain",
        locale="en-US",  # as the playground's own activities for this user
        entities=[],
        **{"from": {"id": user["id"], "name": user["name"], "aadObjectId": user["aadObjectId"]}},
    )
    if value:
        activity["value"] = value
    activity.setdefault("channelData", {}).setdefault("tenant", {"id": config.tenant_id})
    await stage.pg.send_activity(activity)


async def test_the_card_offers_three_buttons_and_weitergeben_hands_off(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, _, post = await stage.file_request("Mittel für den Werkraum fehlen")
    assert actions(post) == [f"claim:{number}", f"handoff:{number}", f"resolve:{number}"]
    titles = [action["title"] for action in post.submit_actions()]
    assert titles == ["Übernehmen", "Weitergeben", "Erledigt"]

    mark = await click(pg, post, f"handoff:{number}", CAST[AGENT])
    # The agent's Teams speaks English (the playground's users have en-US): so does the bot.
    (picker,) = await wait_posted(pg, lambda p: f"Which team should no. {number} go to" in p.text)
    agent_dm = await _dm(bot, AGENT)
    assert picker.conversation_id == agent_dm and agent_dm not in (TEAM, PERSONAL_CHAT)
    (content,) = [attachment["content"] for attachment in picker.body["attachments"]]
    buttons = [a["data"]["action"] for a in content.get("actions", []) if "data" in a]
    # More than six teams: one choice set, its options carry the same action ids.
    buttons += [
        option["value"]
        for block in content["body"]
        if block["type"] == "Input.ChoiceSet"
        for option in block["choices"]
    ]
    assert len(content["actions"]) <= 6
    assert f"handoff:{number}:kreditoren" in buttons
    assert f"handoff:{number}:haushalt" not in buttons
    await pg.expect_none(lambda e: "Which team" in plain(e), after=mark)  # not in public

    await _as_agent(stage, agent_dm, action=f"handoff:{number}:kreditoren")
    update = await pg.wait_for(lambda e: e.is_update and e.message_id == post.message_id)
    assert "An Kreditorenbuchhaltung weitergegeben." in plain(update) or "weitergegeben" in plain(
        update
    )
    assert actions(update) == []  # the old team's card offers nothing any more
    await pg.wait_for(says("weitergegeben", PERSONAL_CHAT), after=mark)
    ticket = await bot.ticket(number)
    assert (ticket.team_id, ticket.status) == ("kreditoren", "queued")


async def test_erledigt_asks_privately_and_the_reply_resolves(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, _, post = await stage.file_request("Wie buche ich die Klassenfahrt?")
    mark = await click(pg, post, f"resolve:{number}", CAST[AGENT])
    (prompt,) = await wait_posted(pg, lambda p: f"requester of no. {number}" in p.text)
    agent_dm = await _dm(bot, AGENT)
    assert prompt.conversation_id == agent_dm
    assert (await bot.ticket(number)).status == "queued"

    await _as_agent(stage, agent_dm, "Über Kostenstelle 4711, Formular F-12.")
    (draft,) = await wait_posted(pg, lambda p: "Send it?" in p.text)  # shown before it goes
    assert draft.conversation_id == agent_dm and "Kostenstelle 4711" in draft.text
    assert (await bot.ticket(number)).status == "queued"
    await _as_agent(stage, agent_dm, action="owed:send")
    told = await pg.wait_for(says("ist erledigt", PERSONAL_CHAT), after=mark)
    assert "Über Kostenstelle 4711, Formular F-12." in plain(told)
    update = await pg.wait_for(
        lambda e: e.is_update and e.message_id == post.message_id and "Erledigt von" in plain(e)
    )
    assert actions(update) == [f"faq:{number}"]  # only "Als FAQ vorschlagen" (issue 17)
    ticket = await bot.ticket(number)
    assert (ticket.status, ticket.assignee) == ("resolved", AGENT)
    await bot.wait_outbox_idle()
    confirmations = [p for p in posted(pg) if p.conversation_id == agent_dm]
    assert any(f"No. {number} resolved" in p.text for p in confirmations[2:]), confirmations
