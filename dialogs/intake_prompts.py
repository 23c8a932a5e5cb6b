"""The intake's questions and menus: notices and choices, built from config and catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.model import KnowledgeEntry, OrgConfig, Topic
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Notice

# Button payloads (bot/kernel/actions.py) that carry no config id; the strings are those of
# buttons already sent ("back", "answer:none", "group:change", "confirm:yes").
BACK_BUTTON = button("back")
BACK = Choice(BACK_BUTTON, "")  # label filled per locale in `back_choice`
NOT_LISTED = button("answer", "none")
OTHER_GROUP = button("group", "change")
YES, NO = button("confirm", "yes"), button("confirm", "no")


@dataclass(frozen=True)
class Context:
    """What a step may know besides the state: configuration, language, remembered group."""

    config: OrgConfig
    locale: str
    known_group: str | None = None


def say(key: str, ctx: Context, **args: object) -> Notice:
    """A plain catalogue message."""
    return Notice(text=t(key, ctx.locale, **args))


def back_choice(ctx: Context) -> Choice:
    """The "zurück" button offered in every menu after the first."""
    return Choice(BACK_BUTTON, t("choice.back", ctx.locale))


def group_choices(ctx: Context) -> tuple[Choice, ...]:
    """The customer groups."""
    return tuple(
        Choice(button("group", g.id), g.name.get(ctx.locale)) for g in ctx.config.customer_groups
    )


def topic_choices(ctx: Context) -> tuple[Choice, ...]:
    """The topic menu, plus "change customer group"."""
    topics = tuple(
        Choice(button("topic", topic.id), topic.name.get(ctx.locale))
        for topic in ctx.config.top_level_topics()
    )
    return (*topics, Choice(OTHER_GROUP, t("intake.other_group", ctx.locale)))


def subtopic_choices(parent: str, ctx: Context) -> tuple[Choice, ...]:
    """A topic's sub-topics, "general" first, "back" last."""
    subs = ctx.config.subtopics(parent)
    choices = [Choice(button("topic", parent), t("intake.general", ctx.locale))]
    choices += [Choice(button("topic", sub.id), sub.name.get(ctx.locale)) for sub in subs]
    return (*choices, back_choice(ctx))


def answer_choices(topic: str, ctx: Context) -> tuple[Choice, ...]:
    """The FAQ questions for a topic, "my question is not listed", and "back"."""
    entries = knowledge_for(topic, ctx)
    choices = [Choice(button("answer", e.id), e.question.get(ctx.locale)) for e in entries]
    choices.append(Choice(NOT_LISTED, t("intake.not_listed", ctx.locale)))
    return (*choices, back_choice(ctx))


def yes_no(ctx: Context, yes: str = "choice.yes", no: str = "choice.no") -> tuple[Choice, ...]:
    """Two buttons; their ids are stable whatever the labels say."""
    return (Choice(YES, t(yes, ctx.locale)), Choice(NO, t(no, ctx.locale)))


def knowledge_for(topic: str, ctx: Context) -> tuple[KnowledgeEntry, ...]:
    """FAQ entries of the topic, or of its parent when the sub-topic has none."""
    entries = ctx.config.knowledge_for(topic)
    parent = ctx.config.topic(topic).parent
    if not entries and parent is not None:
        entries = ctx.config.knowledge_for(parent)
    return entries


def ask_group(ctx: Context) -> Notice:
    """Which customer group?"""
    return Notice(text=t("intake.ask_group", ctx.locale), choices=group_choices(ctx))


def ask_topic(ctx: Context) -> Notice:
    """What is it about?"""
    return Notice(text=t("intake.ask_topic", ctx.locale), choices=topic_choices(ctx))


def ask_subtopic(parent: str, ctx: Context) -> Notice:
    """Which aspect of the topic?"""
    topic = ctx.config.topic(parent).name.get(ctx.locale)
    return Notice(
        text=t("intake.ask_subtopic", ctx.locale, topic=topic),
        choices=subtopic_choices(parent, ctx),
    )


def pick_answer(topic: str, ctx: Context) -> Notice:
    """Several FAQ entries fit: which one?"""
    return Notice(text=t("intake.pick_answer", ctx.locale), choices=answer_choices(topic, ctx))


def show_answer(entry_id: str, group: str | None, ctx: Context) -> Notice:
    """The first-level answer in the group's variant, with its links, and "did it help?"."""
    entry = next((e for e in ctx.config.knowledge if e.id == entry_id), None)
    if entry is None:
        raise KeyError(entry_id)  # removed from the configuration: the runner restarts
    customer_group = None if group is None else ctx.config.customer_group(group)
    answer = entry.answer_for(customer_group).get(ctx.locale)
    own_links = entry.links_for(customer_group)
    links = tuple(Fact(link.title.get(ctx.locale), link.url) for link in own_links)
    return Notice(
        title=entry.question.get(ctx.locale),
        text=literal(answer) + "\n\n" + t("intake.helped", ctx.locale),
        facts=links,
        choices=(*yes_no(ctx, "choice.helped", "choice.not_helped"), back_choice(ctx)),
    )


def ask_description(topic: Topic, ctx: Context) -> Notice:
    """The free-text question, worded for requests, complaints, ideas and round-table topics."""
    return say(f"intake.describe.{topic.kind}", ctx)


def ask_confirm(
    topic: Topic, group: str | None, description: str, reference: str | None, ctx: Context
) -> Notice:
    """Summary and "shall I send it?"; complaints and proposals say where they go."""
    config, locale = ctx.config, ctx.locale
    team = config.team(topic.team).shown_to_requesters(locale)
    facts = [Fact(t("fact.topic", locale), topic.name.get(locale))]
    if group is not None:
        facts.insert(
            0, Fact(t("fact.customer_group", locale), config.customer_group(group).name.get(locale))
        )
    if topic.kind == "request":
        facts.append(Fact(t("fact.team", locale), team))
    if reference:
        facts.append(Fact(t("fact.reference", locale), literal(reference)))
    question = t(f"intake.confirm.{topic.kind}", locale, team=team)
    return Notice(
        text=question + "\n\n" + literal(description),
        facts=tuple(facts),
        choices=(*yes_no(ctx), back_choice(ctx)),
        channel_safe=False,
    )
