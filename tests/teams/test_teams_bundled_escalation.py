"""One bundled escalation in Teams (the offline emulator): four tickets escalate at once,
above the bundling threshold (3 in 10 minutes), and the department lead's 1:1 chat gets ONE
card listing them all, with one button per ticket that the bot understands (issue 16)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bot.kernel.clock import FrozenClock
from storage.models import EscalationStepRow
from tests.conftest import berlin
from tests.teams.playground import Playground
from tests.teams.stage import (
    CAST,
    PERSONAL_CHAT,
    Posted,
    Stage,
    aad,
    click,
    offers,
    plain,
    posted,
    says,
    wait_posted,
)

TICKETS = 4  # one above the threshold: the smallest storm that is bundled


async def another_request(pg: Playground, description: str) -> int:
    """The requester files one more request: the bot knows the customer group by now."""
    mark = (await pg.say(PERSONAL_CHAT, "Hallo")).mark
    topics = await pg.wait_for(offers("topic:haushalt", PERSONAL_CHAT), after=mark)
    mark = await click(pg, topics, "topic:haushalt")
    faq = await pg.wait_for(offers("confirm:no", PERSONAL_CHAT), after=mark)
    mark = await click(pg, faq, "confirm:no")
    await pg.wait_for(says("Bitte beschreiben Sie Ihr Anliegen", PERSONAL_CHAT), after=mark)
    mark = (await pg.say(PERSONAL_CHAT, description)).mark
    await pg.wait_for(says("Rechnungsnummer", PERSONAL_CHAT), after=mark)
    mark = (await pg.say(PERSONAL_CHAT, "-")).mark
    confirm = await pg.wait_for(offers("confirm:yes", PERSONAL_CHAT), after=mark)
    mark = await click(pg, confirm, "confirm:yes")
    receipt = await pg.wait_for(says("Antwort spätestens", PERSONAL_CHAT), after=mark)
    found = re.search(r"Nr\. (\d+)", plain(receipt))
    assert found, plain(receipt)
    return int(found.group(1))


async def test_four_escalations_reach_the_department_lead_as_one_card(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    clock = bot.clock
    assert isinstance(clock, FrozenClock)
    numbers = [(await stage.file_request("Haushaltsmittel für Schule 0 fehlen"))[0]]
    for index in range(1, TICKETS):  # the customer group is remembered from the first
        numbers.append(await another_request(pg, f"Haushaltsmittel für Schule {index} fehlen"))
    await bot.wait_outbox_idle()
    for moment in (berlin(2026, 11, 30, 13, 30), berlin(2026, 11, 30, 15, 30)):
        clock.set(moment)  # the reminder, then the reaction deadline (the team lead's)
        assert await bot.app.jobs.run_sweep() is not None  # None: the sweep failed
        await bot.wait_outbox_idle()
    clock.set(berlin(2026, 12, 1, 9, 30))  # one office hour after the reaction deadline
    report = await bot.app.jobs.run_sweep()
    assert report is not None
    assert len([key for key in report.keys if key.endswith(":eskalation")]) == TICKETS

    (bundle,) = await wait_posted(pg, lambda p: "Eskalation: 4 Tickets" in p.text)
    assert bundle.status in (201, 202)
    await bot.wait_outbox_idle()
    creates = [e for e in pg.recorded_events() if e.get("activityName") == "createConversation"]
    opened = {e["response"]["body"]["id"]: e["request"]["body"]["members"] for e in creates}
    assert opened[bundle.conversation_id] == [{"id": aad("leitung.hoffmann")}]
    lead_chat = bundle.conversation_id
    assert [p for p in posted(pg) if p.conversation_id == lead_chat] == [bundle]  # not four
    for number in numbers:
        assert re.search(rf"^Nr\. {number} · ", bundle.text, re.MULTILINE), bundle.text
    buttons = [a for block in card(bundle)["body"] for a in block.get("actions", [])]
    assert [b["data"]["action"] for b in buttons] == [f"ack:{n}" for n in numbers]
    assert buttons[1]["title"] == f"Nr. {numbers[1]}: Zur Kenntnis nehmen"
    async with bot.app.sessions() as session:
        steps = await session.scalars(
            select(EscalationStepRow.ticket_id).where(EscalationStepRow.step == "eskalation")
        )
        assert sorted(steps.all()) == sorted(numbers)  # each step recorded once

    # The lead presses the second ticket's button: the bot understands the bundle's data.
    await press(pg, lead_chat, "leitung.hoffmann", buttons[1]["data"])
    (ack,) = await wait_posted(
        pg, lambda p: p.conversation_id == lead_chat and "zur Kenntnis genommen" in p.text
    )
    assert f"Eskalation zu Nr. {numbers[1]} zur Kenntnis genommen" in ack.text


def card(post: Posted) -> dict[str, Any]:
    (attachment,) = post.body["attachments"]
    return dict(attachment["content"])


async def press(pg: Playground, chat: str, person: str, data: dict[str, Any]) -> None:
    """`person` presses a button with this data on a card in their 1:1 chat (a custom
    activity: the playground lets only its current user click)."""
    config = await pg.config()
    user = config.user(CAST[person])
    activity: dict[str, Any] = await pg.activity_template(chat)
    activity.update(
        type="message",
        text="",
        locale="de-DE",
        entities=[],
        value=data,
        **{"from": {"id": user["id"], "name": user["name"], "aadObjectId": user["aadObjectId"]}},
    )
    activity.setdefault("channelData", {}).setdefault("tenant", {"id": config.tenant_id})
    await pg.send_activity(activity)
