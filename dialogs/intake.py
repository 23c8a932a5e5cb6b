"""The intake dialog ("ONE hotline"): customer group, topic, details, confirmation, ticket.

`start` and `step` are pure: (old state, input) -> (new state, notices, effects). The runner
persists the state with compare-and-set and carries out the effects in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.notices import Choice, Fact, Notice
from bot.service.tickets import NewRequest
from dialogs.choices import match_choice
from dialogs.intake_states import (
    AskDescription,
    AskGroup,
    AskReference,
    AskSubtopic,
    AskTopic,
    Confirm,
    IntakeState,
)

MIN_DESCRIPTION_WORDS = 2
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class RememberGroup:
    """Effect: store the requester's customer group in their profile."""

    group: str


@dataclass(frozen=True)
class OpenTicket:
    """Effect: create the ticket in the topic's team queue."""

    request: NewRequest


Effect = RememberGroup | OpenTicket


@dataclass(frozen=True)
class UserInput:
    """What the user sent: text, or the id of a pressed button."""

    text: str = ""
    action_id: str | None = None


@dataclass(frozen=True)
class Context:
    """What a step may know besides the state: configuration, language, remembered group."""

    config: OrgConfig
    locale: str
    known_group: str | None = None


@dataclass(frozen=True)
class StepResult:
    """The outcome of one turn; `state` None means the dialog has ended."""

    state: IntakeState | None
    notices: tuple[Notice, ...] = ()
    effects: tuple[Effect, ...] = field(default_factory=tuple)


def start(ctx: Context) -> StepResult:
    """Greet and ask the first question (the group only if it is not known yet)."""
    greeting = Notice(text=t("intake.greeting", ctx.locale))
    if ctx.known_group is None:
        return StepResult(AskGroup(), (greeting, _ask_group(ctx)))
    return StepResult(AskTopic(ctx.known_group), (greeting, _ask_topic(ctx)))


def step(state: IntakeState, user: UserInput, ctx: Context) -> StepResult:
    """One turn of the intake dialog."""
    if isinstance(state, AskGroup):
        return _on_group(user, ctx)
    if isinstance(state, AskTopic):
        return _on_topic(state, user, ctx)
    if isinstance(state, AskSubtopic):
        return _on_subtopic(state, user, ctx)
    if isinstance(state, AskDescription):
        return _on_description(state, user, ctx)
    if isinstance(state, AskReference):
        return _on_reference(state, user, ctx)
    return _on_confirm(state, user, ctx)


def _on_group(user: UserInput, ctx: Context) -> StepResult:
    choice = match_choice(_group_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(AskGroup(), _ask_group(ctx), ctx)
    group = choice.id.removeprefix("group:")
    topic_ctx = Context(ctx.config, ctx.locale, group)
    return StepResult(AskTopic(group), (_ask_topic(topic_ctx),), (RememberGroup(group),))


def _on_topic(state: AskTopic, user: UserInput, ctx: Context) -> StepResult:
    choice = match_choice(_topic_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(state, _ask_topic(ctx), ctx)
    if choice.id == "group:change":
        return StepResult(AskGroup(), (_ask_group(ctx),))
    topic = choice.id.removeprefix("topic:")
    if ctx.config.subtopics(topic):
        return StepResult(AskSubtopic(state.group, topic), (_ask_subtopic(topic, ctx),))
    return StepResult(AskDescription(state.group, topic), (_notice("intake.ask_description", ctx),))


def _on_subtopic(state: AskSubtopic, user: UserInput, ctx: Context) -> StepResult:
    choices = _subtopic_choices(state.parent, ctx)
    choice = match_choice(choices, text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(state, _ask_subtopic(state.parent, ctx), ctx)
    if choice.id == "back":
        return StepResult(AskTopic(state.group), (_ask_topic(ctx),))
    topic = choice.id.removeprefix("topic:")
    return StepResult(AskDescription(state.group, topic), (_notice("intake.ask_description", ctx),))


def _on_description(state: AskDescription, user: UserInput, ctx: Context) -> StepResult:
    text = user.text.strip()
    if len(text.split()) < MIN_DESCRIPTION_WORDS:
        return StepResult(state, (_notice("intake.too_short", ctx),))
    description = text[:MAX_DESCRIPTION]
    next_state = AskReference(state.group, state.topic, description)
    return StepResult(next_state, (_notice("intake.ask_reference", ctx),))


def _on_reference(state: AskReference, user: UserInput, ctx: Context) -> StepResult:
    text = user.text.strip()
    reference = None if text in ("", "-", "–", "nein", "no", "keine", "none") else text[:255]
    confirm = Confirm(state.group, state.topic, state.description, reference)
    return StepResult(confirm, (_ask_confirm(confirm, ctx),))


def _on_confirm(state: Confirm, user: UserInput, ctx: Context) -> StepResult:
    choice = match_choice(_confirm_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(state, _ask_confirm(state, ctx), ctx)
    if choice.id == "confirm:no":
        return StepResult(None, (_notice("intake.cancelled", ctx),))
    request = NewRequest(state.topic, state.group, state.description, state.reference)
    return StepResult(None, (), (OpenTicket(request),))


def _again(state: IntakeState, question: Notice, ctx: Context) -> StepResult:
    return StepResult(state, (_notice("intake.not_understood", ctx), question))


def _notice(key: str, ctx: Context) -> Notice:
    return Notice(text=t(key, ctx.locale))


def _group_choices(ctx: Context) -> tuple[Choice, ...]:
    return tuple(
        Choice(f"group:{g.id}", g.name.get(ctx.locale)) for g in ctx.config.customer_groups
    )


def _topic_choices(ctx: Context) -> tuple[Choice, ...]:
    topics = tuple(
        Choice(f"topic:{topic.id}", topic.name.get(ctx.locale))
        for topic in ctx.config.top_level_topics()
    )
    return (*topics, Choice("group:change", t("intake.other_group", ctx.locale)))


def _subtopic_choices(parent: str, ctx: Context) -> tuple[Choice, ...]:
    subs = ctx.config.subtopics(parent)
    choices = [Choice(f"topic:{parent}", t("intake.general", ctx.locale))]
    choices += [Choice(f"topic:{sub.id}", sub.name.get(ctx.locale)) for sub in subs]
    return (*choices, Choice("back", t("choice.back", ctx.locale)))


def _confirm_choices(ctx: Context) -> tuple[Choice, ...]:
    return (
        Choice("confirm:yes", t("choice.yes", ctx.locale)),
        Choice("confirm:no", t("choice.no", ctx.locale)),
    )


def _ask_group(ctx: Context) -> Notice:
    return Notice(text=t("intake.ask_group", ctx.locale), choices=_group_choices(ctx))


def _ask_topic(ctx: Context) -> Notice:
    return Notice(text=t("intake.ask_topic", ctx.locale), choices=_topic_choices(ctx))


def _ask_subtopic(parent: str, ctx: Context) -> Notice:
    topic = ctx.config.topic(parent).name.get(ctx.locale)
    return Notice(
        text=t("intake.ask_subtopic", ctx.locale, topic=topic),
        choices=_subtopic_choices(parent, ctx),
    )


def _ask_confirm(state: Confirm, ctx: Context) -> Notice:
    config, locale = ctx.config, ctx.locale
    topic = config.topic(state.topic)
    team = config.team(topic.team).name.get(locale)
    facts = [
        Fact(t("fact.customer_group", locale), config.customer_group(state.group).name.get(locale)),
        Fact(t("fact.topic", locale), topic.name.get(locale)),
        Fact(t("fact.team", locale), team),
    ]
    if state.reference:
        facts.append(Fact(t("fact.reference", locale), state.reference))
    return Notice(
        text=t("intake.confirm", locale, team=team) + "\n\n" + state.description,
        facts=tuple(facts),
        choices=_confirm_choices(ctx),
        channel_safe=False,
    )
