"""Notice.merge: which requester notices may replace the previous one, and its round trip."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config.loader import load_config
from bot.kernel.notices import Notice
from bot.service.feedback import to_requester
from storage.models import TicketRow

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _ticket() -> TicketRow:
    return TicketRow(
        id=4,
        status="claimed",
        topic_id="haushalt",
        customer_group_id="f1-f3",
        team_id="haushalt",
        level=2,
        escalation_level=0,
        confidential=False,
        description="Mittel fehlen",
        requester_platform="matrix",
        requester_id="@anna:localhost",
        requester_locale="de",
        created_at=NOW,
        updated_at=NOW,
    )


def test_who_works_on_it_may_be_merged_other_news_not() -> None:
    config = load_config(None)
    ticket = _ticket()
    claimed = to_requester(config, ticket, "ticket.claimed", NOW, agent="Martin Schneider")
    unclaimed = to_requester(config, ticket, "ticket.unclaimed", NOW)
    assert claimed.merge == unclaimed.merge == "assignment-4"
    for key in ("ticket.queued", "ticket.handed_off"):
        assert to_requester(config, ticket, key, NOW, level=2).merge is None
    asked = to_requester(config, ticket, "ticket.asked", NOW, question="Welche Schule?")
    assert asked.merge is None  # a question must be seen: never an edit


def test_merge_survives_the_outbox_and_is_left_out_when_unset() -> None:
    notice = Notice(text="bearbeitet jetzt", ticket_id=4, merge="assignment-4")
    assert Notice.from_json(notice.to_json()) == notice
    assert "merge" not in Notice(text="x").to_json()
