"""The complaint relay in Teams (the offline emulator, issue 17): the complaint manager
forwards in the 1:1 chat the bot opened for the complaint card; the lead of Haushalt reads
it in a 1:1 chat of his own and asks under the pseudonym; the complainant answers in the
personal chat. No channel ever shows any of it."""

from __future__ import annotations

import json
import re

from storage.models import PlatformStateRow
from tests.teams.bot_fixture import HotlineBot
from tests.teams.playground import Playground
from tests.teams.stage import (
    CAST,
    PERSONAL_CHAT,
    Posted,
    Stage,
    aad,
    click,
    in_channel,
    offers,
    plain,
    plain_actions,
    posted,
    says,
    wait_posted,
)

COMPLAINT = "Relay-5b7d: am Telefon sehr unfreundlich abgewimmelt worden"


async def _dm(bot: HotlineBot, person: str) -> str:
    """The 1:1 conversation the bot holds with a staff member."""
    async with bot.app.sessions() as session:
        row = await session.get(PlatformStateRow, ("teams", f"ref:user:{aad(person)}"))
        assert row is not None, f"no 1:1 conversation stored for {person}"
        return str(json.loads(row.value)["conversation_id"])


async def test_a_relayed_complaint_in_teams_stays_in_direct_chats(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    mark = await stage.say("/sprache de")
    await pg.wait_for(says("auf Deutsch", PERSONAL_CHAT), after=mark)
    mark = await stage.say("/beschwerde")
    first = await pg.wait_for(
        lambda e: says("Kundengruppe", PERSONAL_CHAT)(e) or says("schildern Sie", PERSONAL_CHAT)(e),
        after=mark,
    )
    if "group:kern" in plain_actions(first):
        mark = await click(pg, first, "group:kern")
        await pg.wait_for(says("schildern Sie", PERSONAL_CHAT), after=mark)
    mark = await stage.say(COMPLAINT)
    anonymous = await pg.wait_for(offers("confirm:yes", PERSONAL_CHAT), after=mark)
    mark = await click(pg, anonymous, "confirm:yes")  # stay anonymous towards the team
    confirm = await pg.wait_for(offers("confirm:yes", PERSONAL_CHAT), after=mark)
    mark = await click(pg, confirm, "confirm:yes")
    receipt = await pg.wait_for(says("vertraulich", PERSONAL_CHAT), after=mark)
    found = re.search(r"Nr\. (\d+)", plain(receipt))
    assert found, plain(receipt)
    number = int(found.group(1))
    await wait_posted(pg, lambda p: COMPLAINT in p.text and p.conversation_id != PERSONAL_CHAT, 2)
    await bot.wait_outbox_idle()

    manager = await _dm(bot, "bk.yilmaz")
    await pg.say_as(manager, f"/claim {number}", CAST["bk.yilmaz"])
    await said(pg, manager, f"Sie haben Nr. {number} übernommen")
    await pg.say_as(
        manager, f"/weiterleiten {number} haushalt Unfreundlich abgewimmelt", CAST["bk.yilmaz"]
    )
    forwarded = await said(pg, manager, "weitergeleitet")
    found = re.search(r"B-\d+", forwarded.text)
    assert found, forwarded.text
    pseudonym = found.group(0)

    (relayed,) = await wait_posted(pg, lambda p: f"Beschwerde {pseudonym}" in p.text)
    await bot.wait_outbox_idle()
    lead = await _dm(bot, "hh.schneider")
    assert relayed.conversation_id == lead
    assert "Unfreundlich abgewimmelt" in relayed.text and f"Nr. {number}" not in relayed.text
    assert COMPLAINT not in relayed.text
    mark = pg.mark()
    await pg.say_as(lead, f"/rueckfrage {pseudonym} An welchem Tag war das?", CAST["hh.schneider"])
    await said(pg, lead, "geht über die Hotline")
    question = await pg.wait_for(says("Rückfrage zu Ihrem Anliegen", PERSONAL_CHAT), after=mark)
    assert "An welchem Tag war das?" in plain(question) and "Haushalt" not in plain(question)
    await stage.say("Am Montag gegen zehn")
    answer = await said(pg, lead, f"Antwort auf die Rückfrage zu {pseudonym}")
    assert "Am Montag gegen zehn" in answer.text

    await bot.wait_outbox_idle()
    await pg.settle()
    shown = [p.conversation_id for p in posted(pg) if pseudonym in p.text]
    other_manager = await _dm(bot, "bk.berger")  # copies for the other complaint manager
    assert set(shown) == {manager, lead, other_manager}  # 1:1 chats only, no channel
    assert not [e for e in pg.events if in_channel(e)], "the relay reached a channel"


async def said(pg: Playground, conversation: str, fragment: str) -> Posted:
    """The bot's post in a 1:1 chat the playground does not stream (another user's)."""
    matches = await wait_posted(
        pg, lambda p: p.conversation_id == conversation and fragment in p.text
    )
    return matches[0]
