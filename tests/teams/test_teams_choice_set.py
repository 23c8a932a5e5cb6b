"""Long option lists in Teams, through Microsoft's Agents Playground: the customer groups
(8) and topics (16) come as one numbered compact choice set with a single submit button,
since Teams shows six actions and hides the rest in an overflow menu. A pick from the list
and a typed number both answer the question."""

from __future__ import annotations

from tests.teams.stage import (
    PERSONAL_CHAT,
    Stage,
    choice_set,
    click,
    offers,
    plain,
    says,
)


async def test_a_long_list_is_a_choice_set_and_a_pick_moves_the_intake_on(stage: Stage) -> None:
    pg = stage.pg
    mark = await stage.say("/sprache de")
    await pg.wait_for(says("auf Deutsch", PERSONAL_CHAT), after=mark)
    mark = await stage.say("Hallo")
    groups = await pg.wait_for(offers("group:kern", PERSONAL_CHAT), after=mark)
    options = choice_set(groups)
    assert len(options) == 8 and len(groups.submit_actions()) == 1, groups.cards
    assert all("@" in value for value in options)  # each carries the question's prompt id
    numbered = [f"{n}. {title.split('. ', 1)[1]}" for n, title in enumerate(options.values(), 1)]
    assert "\n".join(numbered) in plain(groups)  # the text numbers them too

    mark = await click(pg, groups, "group:kern")  # picked from the list, then submitted
    topics = await pg.wait_for(offers("topic:haushalt", PERSONAL_CHAT), after=mark)
    assert "Worum geht es?" in plain(topics)
    topic_options = list(choice_set(topics))
    assert len(topic_options) == 16 and len(topics.submit_actions()) == 1
    number = 1 + [v.partition("@")[0] for v in topic_options].index("topic:haushalt")

    mark = await stage.say(str(number))  # a typed number answers the same question
    faq = await pg.wait_for(offers("confirm:no", PERSONAL_CHAT), after=mark)
    assert "Hat Ihnen das geholfen?" in plain(faq)
    # The group list is answered: picking from it again changes nothing.
    mark = await click(pg, groups, "group:kern")
    await pg.wait_for(says("nicht mehr aktuell", PERSONAL_CHAT), after=mark)
