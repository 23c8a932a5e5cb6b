"""The report card fits one Teams message even when every breakdown is full: all topics,
customer groups, levels and teams of the sample organisation have figures."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.teams.connector import wire_body
from adapters.teams.render import activity
from bot.config.model import OrgConfig
from bot.reports import render
from bot.reports.breakdown import Deadlines
from bot.reports.metrics import Report
from bot.reports.shares import Share

TEAMS_MESSAGE_LIMIT = 28_000  # bytes Teams accepts for one bot message (about)


def test_a_full_report_fits_one_teams_message(config: OrgConfig) -> None:
    tz = ZoneInfo(config.calendar.timezone)
    busy = Deadlines(1234, Share(999, 1200), Share(888, 1190), 12.25, 140.5)
    teams = [team.id for team in config.teams]
    report = Report(
        start=datetime(2026, 11, 1, tzinfo=tz),
        end=datetime(2026, 12, 1, tzinfo=tz),
        tickets=9999,
        by_topic={topic.id: 123 for topic in config.topics},
        by_group={group.id: 456 for group in config.customer_groups},
        by_team={},
        by_level={},
        first_contact=Share(1, 3),
        first_response=Share(2, 3),
        resolution=Share(1, 3),
        response_hours_median=1.5,
        response_hours_p90=9.0,
        handoffs_by_team=dict.fromkeys(teams, 44),
        escalations_by_team=dict.fromkeys(teams, 22),
        complaints=3,
        ideas=4,
        round_table=5,
        csat_average=3.3,
        csat_count=40,
        csat_by_team=dict.fromkeys(teams, (3.3, 55)),
        workshop_scales={q.id: (4.1, 99) for q in config.workshops.questions},
        workshop_forms=99,
        deadlines_by_level=dict.fromkeys((1, 2, 3), busy),
        deadlines_by_team=dict.fromkeys(teams, busy),
    )
    notice = render.to_notice(config, report, title="Wochenbericht der Hotline")
    assert len(notice.tables) == 9
    size = len(wire_body(activity(notice)))  # as the connector sends it
    assert size < TEAMS_MESSAGE_LIMIT, size
