"""Matrix: the team card's actions keep their own reaction, whatever else the card offers."""

from __future__ import annotations

from adapters.matrix.render import choice_for_reaction, reaction_keys
from bot.kernel.notices import Choice


def test_card_actions_have_fixed_reactions_and_other_choices_keycaps() -> None:
    new_card = [Choice("claim:7", "Übernehmen"), Choice("handoff:7", "x"), Choice("resolve:7", "y")]
    assert reaction_keys(new_card) == ["✋", "↪️", "✅"]
    claimed_card = new_card[1:]
    assert reaction_keys(claimed_card) == ["↪️", "✅"]  # not 1️⃣/2️⃣: a tap means the same
    picker = [Choice("handoff:7:kreditoren", "Kreditoren"), Choice("handoff:7:ccc", "CCC")]
    assert reaction_keys(picker) == ["1️⃣", "2️⃣"]


def test_a_reaction_maps_back_to_its_action() -> None:
    ids = ["handoff:7", "resolve:7"]
    assert choice_for_reaction(ids, "✅") == "resolve:7"
    assert choice_for_reaction(ids, "↪\ufe0f") == "handoff:7"
    assert choice_for_reaction(ids, "↪") == "handoff:7"
    assert choice_for_reaction(ids, "✋") is None
