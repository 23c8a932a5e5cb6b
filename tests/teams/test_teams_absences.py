"""One absence in Teams (the offline emulator): the department lead enters her absence
with a deputy in a channel; the escalation DM goes to the deputy, not to her (issue 16)."""

from __future__ import annotations

from bot.kernel.clock import FrozenClock
from tests.conftest import berlin
from tests.teams.stage import CAST, TEAM, Stage, aad, plain, says, wait_posted


async def test_the_escalation_dm_goes_to_the_deputy_of_the_absent_lead(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    clock = bot.clock
    assert isinstance(clock, FrozenClock)
    mark = pg.mark()
    await pg.say_as(
        TEAM, "/abwesend bis Freitag hh.weber", CAST["leitung.hoffmann"], mention_bot=True
    )
    saved = await pg.wait_for(says("Eingetragen: Dr. Katharina Hoffmann ist abwesend"), after=mark)
    assert "an Julia Weber" in plain(saved)
    number, _, _ = await stage.file_request("Haushaltssperre blockiert die Schulbücher")
    await bot.wait_outbox_idle()

    for moment in (berlin(2026, 11, 30, 13, 30), berlin(2026, 11, 30, 15, 30)):
        clock.set(moment)
        assert await bot.app.jobs.run_sweep() is not None  # None: the sweep failed
    clock.set(berlin(2026, 12, 1, 9, 30))  # one office hour after the reaction deadline
    report = await bot.app.jobs.run_sweep()
    assert report is not None and [k.rsplit(":", 1)[-1] for k in report.keys] == ["eskalation"]

    (dm,) = await wait_posted(pg, lambda p: f"Eskalation: Nr. {number}" in p.text)
    assert dm.status in (201, 202)
    await bot.wait_outbox_idle()
    creates = [e for e in pg.recorded_events() if e.get("activityName") == "createConversation"]
    opened = {e["response"]["body"]["id"]: e["request"]["body"]["members"] for e in creates}
    assert opened[dm.conversation_id] == [{"id": aad("hh.weber")}]  # the deputy's 1:1 chat
    assert [{"id": aad("leitung.hoffmann")}] not in opened.values()  # nobody pinged her
