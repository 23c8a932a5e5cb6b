"""The chart costs nothing until it is drawn and nothing after: matplotlib is not imported
when the bot starts, no pyplot figure is registered, and repeated charts do not grow the
heap; the digest draws it in a child process that gives the same picture."""

from __future__ import annotations

import gc
import subprocess
import sys
import tracemalloc
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.reports import chart, chart_process
from bot.reports.metrics import Report, Week
from bot.reports.shares import Share


def _report(config: OrgConfig) -> Report:
    tz = ZoneInfo(config.calendar.timezone)
    weeks = tuple(
        Week(date(2026, 10, 5) + timedelta(weeks=n), 10 + n, Share(n, 10)) for n in range(8)
    )
    return Report(
        start=datetime(2026, 10, 5, tzinfo=tz),
        end=datetime(2026, 11, 30, tzinfo=tz),
        tickets=100,
        by_topic={},
        by_group={},
        by_team={},
        by_level={},
        first_contact=Share(1, 3),
        first_response=Share(2, 3),
        resolution=Share(1, 3),
        response_hours_median=1.5,
        response_hours_p90=9.0,
        handoffs_by_team={},
        escalations_by_team={},
        complaints=0,
        ideas=0,
        round_table=0,
        csat_average=None,
        csat_count=0,
        weeks=weeks,
        team_weeks={team.id: weeks for team in config.teams[:4]},
    )


def test_starting_the_bot_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.app, bot.escalation.digest, bot.reports.chart;"
        "sys.exit('matplotlib' in sys.modules or 'PIL' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_repeated_charts_do_not_grow_the_heap(config: OrgConfig) -> None:
    report = _report(config)
    for _ in range(2):  # warm up: font cache, imports
        chart.png(config, report)
    gc.collect()
    tracemalloc.start()
    try:
        chart.png(config, report)
        gc.collect()
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(4):
            chart.png(config, report)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - first
    finally:
        tracemalloc.stop()
    assert grown < 256 * 1024, grown  # a leak would keep a figure's MiB per chart
    assert "matplotlib.pyplot" not in sys.modules


async def test_the_child_process_draws_the_same_picture(config: OrgConfig) -> None:
    report = _report(config)
    child = await chart_process.for_chat(config, report, "w.png", "de")
    assert child == chart.for_chat(config, report, "w.png", "de")
    assert child.data.startswith(b"\x89PNG") and child.name == "w.png"
