"""The bundler's decisions (window, threshold, hourly ceiling) and the bundled message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.bundling.bundler import CEILING, decide
from bot.bundling.notice import BUTTONS, LINES, bundle_notice, entry
from bot.config.model import BundlingConfig
from storage.models import NoticePacingRow, OutboxRow

NOW = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
SETTINGS = BundlingConfig(window=timedelta(minutes=10), threshold=3, dm_ceiling_per_hour=5)
Counters = dict[tuple[str, str, str], NoticePacingRow]


def held(
    first: int, count: int, kind: str = "breach", address: str = "kred.wagner"
) -> list[OutboxRow]:
    return [
        OutboxRow(id=first + n, platform="local", target_address=address, bundle_kind=kind)
        for n in range(count)
    ]


def counters(*kinds: str, address: str = "kred.wagner", started: datetime = NOW) -> Counters:
    return {
        ("local", address, kind): NoticePacingRow(
            platform="local", address=address, kind=kind, started=started, sent=0
        )
        for kind in (*kinds, CEILING)
    }


def test_up_to_the_threshold_each_goes_alone_then_one_bundle_then_the_window_holds() -> None:
    state = counters("breach")
    first = decide(held(1, 2), state, SETTINGS, NOW)
    assert (first.release, first.folds, first.held) == ([1, 2], [], {})
    later = NOW + timedelta(minutes=1)
    second = decide(held(3, 4), state, SETTINGS, later)  # 4 > room 1: one bundle
    assert second.release == [] and [[r.id for r in f] for f in second.folds] == [[3, 4, 5, 6]]
    third = decide(held(7, 1), state, SETTINGS, later)  # the window is full
    assert third.held == {NOW + SETTINGS.window: [7]}
    fourth = decide(held(7, 1), state, SETTINGS, NOW + SETTINGS.window)  # a new window
    assert fourth.release == [7]


def test_a_window_that_lies_ahead_is_started_anew() -> None:
    """The sweep ran on a simulated clock ahead of the bot's (`hotline-bot jobs --at`)."""
    state = counters("breach", started=NOW + timedelta(days=1))
    for counter in state.values():
        counter.sent = 99
    assert decide(held(1, 2), state, SETTINGS, NOW).release == [1, 2]


def test_a_storm_at_once_is_one_message() -> None:
    decision = decide(held(1, 1000), counters("breach"), SETTINGS, NOW)
    assert decision.release == [] and len(decision.folds) == 1 and len(decision.folds[0]) == 1000


def test_the_hourly_ceiling_counts_every_kind_and_holds_until_the_hour_ends() -> None:
    kinds = ("breach", "escalation", "remind")
    state = counters(*kinds)
    rows = held(1, 2, "breach") + held(3, 2, "escalation") + held(5, 2, "remind")
    decision = decide(rows, state, SETTINGS, NOW)
    # breach 2 alone, escalation 2 alone (4 of 5 this hour), reminders: room 1 -> a bundle
    assert sorted(decision.release) == [1, 2, 3, 4]
    assert [[r.id for r in f] for f in decision.folds] == [[5, 6]]
    later = NOW + timedelta(minutes=20)  # the windows are over, the hour is not
    again = decide(held(7, 1, "breach"), state, SETTINGS, later)
    assert again.held == {NOW + timedelta(hours=1): [7]}
    assert decide(held(7, 1, "breach"), state, SETTINGS, NOW + timedelta(hours=1)).release == [7]


def test_people_are_paced_apart() -> None:
    state = counters("breach") | counters("breach", address="hh.schneider")
    rows = held(1, 3) + held(4, 3, address="hh.schneider")
    assert sorted(decide(rows, state, SETTINGS, NOW).release) == [1, 2, 3, 4, 5, 6]


def payload(ticket: int, kind: str = "breach", locale: str = "de") -> dict[str, Any]:
    line = f"Nr. {ticket} · Kreditoren · FiBu · fällig heute, 15:30 Uhr"
    return {
        "text": "…",
        "ticket_id": ticket,
        "choices": [[f"history:{ticket}", "Verlauf"]],
        "bundle": entry(kind, locale, ticket, line),
    }


def test_a_few_tickets_get_a_button_each() -> None:
    notice = bundle_notice([payload(n) for n in range(1, BUTTONS + 1)])
    assert notice.title == f"{BUTTONS} Tickets haben ihre Frist überschritten"
    assert [c.id for c in notice.choices] == [f"history:{n}" for n in range(1, BUTTONS + 1)]
    assert notice.choices[0].label == "Nr. 1: Verlauf"
    assert not notice.channel_safe and notice.ticket_id is None


def test_many_tickets_are_all_named_and_get_the_listing_command() -> None:
    notice = bundle_notice([payload(n, "escalation") for n in range(1, 1001)])
    assert notice.title == "Eskalation: 1000 Tickets" and notice.choices == ()
    lines = notice.text.split("\n")
    assert len([line for line in lines if line.startswith("Nr. ")]) == LINES
    assert lines[LINES] == "Außerdem: Nr. " + ", ".join(str(n) for n in range(LINES + 1, 1001))
    assert "/eskalationen" in lines[-1] and "/ack" in lines[-1]
    assert len(notice.text.encode()) < 12_000  # well below Teams' 28 KB


def test_beyond_the_numbers_limit_only_a_count_and_in_english() -> None:
    notice = bundle_notice([payload(n, "breach", "en") for n in range(1, 2001)])
    assert notice.title == "2000 tickets have passed their deadline"
    assert "… and 480 more" in notice.text and "/overdue" in notice.text


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        entry("shout", "de", 1, "Nr. 1")
