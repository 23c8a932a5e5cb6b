"""Button payloads: one typed value, encoded and decoded in one place (bot/kernel/actions.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.matrix.render import is_choice_reaction
from bot.kernel.actions import ButtonAction, button, rating, stale, without_prompt
from bot.kernel.notices import ticket_card_key, ticket_of_card

SLUG = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)


@given(
    verb=SLUG,
    args=st.lists(SLUG, max_size=3),
    prompt=st.none() | st.integers(min_value=0, max_value=10**12),
)
def test_every_action_survives_the_round_trip(
    verb: str, args: list[str], prompt: int | None
) -> None:
    action = ButtonAction(verb, tuple(args), prompt)
    assert ButtonAction.decode(action.encode()) == action


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("claim:12", ButtonAction("claim", ("12",))),
        ("rate:12:4@57", ButtonAction("rate", ("12", "4"), 57)),
        ("back", ButtonAction("back")),
        ("nl:sub:f4", ButtonAction("nl", ("sub", "f4"))),
    ],
)
def test_the_payloads_in_use_decode(raw: str, expected: ButtonAction) -> None:
    assert ButtonAction.decode(raw) == expected


@pytest.mark.parametrize("raw", ["", ":12", "rate:1:2@", "rate:1:2@x", "a@" + "9" * 19, "x" * 201])
def test_what_no_button_of_ours_sends_is_refused(raw: str) -> None:
    assert ButtonAction.decode(raw) is None


def test_the_helpers_build_the_payloads() -> None:
    assert button("claim", 12) == "claim:12"
    assert button("handoff", 12, "kreditoren") == "handoff:12:kreditoren"
    assert rating(12, 4, 57) == "rate:12:4@57" and rating(12, 4, None) == "rate:12:4"
    assert stale() == "stale" and stale(3) == "stale:ticket:3"
    assert without_prompt("rate:12:4@57") == "rate:12:4"
    assert without_prompt("claim:1") == "claim:1"


def test_a_card_key_names_its_ticket() -> None:
    assert ticket_of_card(ticket_card_key(42, 1796650552738)) == 42
    for other in (None, "", "digest-2026-12-07", "ticket-x-1", "ticket-" + "9" * 19 + "-1"):
        assert ticket_of_card(other) is None


@pytest.mark.parametrize(
    ("key", "offered"),
    [
        *[(key, True) for key in ("1️⃣", "🔟", "✋", "✅", "↪️", "↪")],
        *[(key, False) for key in ("👍", "❤️", "ok")],
    ],
)
def test_only_the_bots_choice_reactions_count_as_answers(key: str, offered: bool) -> None:
    assert is_choice_reaction(key) is offered
