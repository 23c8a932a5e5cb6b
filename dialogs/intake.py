"""The intake dialog ("ONE hotline"): group, topic, first-level answer, details, ticket.

`start` and `step` are pure: (old state, input) -> (new state, notices, effects). The runner
persists the state with compare-and-set and carries out the effects in the same
transaction. "zurück"/"back" and "abbrechen"/"cancel" work at every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.config.model import OrgConfig
from bot.domain.requests import NewRequest
from bot.i18n import t
from bot.kernel import limits
from bot.kernel.actions import ButtonAction
from bot.kernel.notices import Choice, Notice
from dialogs import intake_draft
from dialogs import intake_prompts as p
from dialogs.choices import match_choice
from dialogs.control_words import BACK_WORDS as BACK_WORDS  # re-exported
from dialogs.control_words import CANCEL_WORDS as CANCEL_WORDS  # re-exported
from dialogs.control_words import control_word
from dialogs.intake_prompts import Context

__all__ = [
    "Context",
    "StepResult",
    "UserInput",
    "is_current",
    "restart",
    "start",
    "start_with_topic",
    "step",
]
from dialogs.intake_states import (
    AskAnonymous,
    AskDescription,
    AskGroup,
    AskHelped,
    AskReference,
    AskSubtopic,
    AskTopic,
    Confirm,
    IntakeState,
    PickAnswer,
)

MIN_DESCRIPTION_WORDS = 2
MAX_REFERENCE = limits.limit("reference")
NO_REFERENCE = frozenset({"", "-", "–", "nein", "no", "keine", "none"})
# "Don't know" is no number either: the request goes on without one.
UNKNOWN_REFERENCE = frozenset(
    {"weiß nicht", "weiss nicht", "unbekannt", "keine ahnung", "k. a.", "k.a.", "n/a"}
    | {"don't know", "dont know", "unknown", "not known"}
)


@dataclass(frozen=True)
class RememberGroup:
    """Effect: store the requester's customer group in their profile."""

    group: str


@dataclass(frozen=True)
class OpenTicket:
    """Effect: create the ticket in the topic's team queue (complaints: confidential)."""

    request: NewRequest


@dataclass(frozen=True)
class RecordProposal:
    """Effect: store an idea or round-table topic for the leads."""

    kind: str
    topic: str
    group: str | None
    text: str


@dataclass(frozen=True)
class RecordAnswerFeedback:
    """Effect: a first-level answer helped (answered at first contact) or did not."""

    topic: str
    group: str | None
    entry: str
    helped: bool


Effect = RememberGroup | OpenTicket | RecordProposal | RecordAnswerFeedback


@dataclass(frozen=True)
class UserInput:
    """What the user sent: text, or the id of a pressed button; `event_id` names the
    platform's message (kept with a description, so an edit of it can be followed)."""

    text: str = ""
    action_id: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class StepResult:
    """The outcome of one turn; `state` None means the dialog has ended."""

    state: IntakeState | None
    notices: tuple[Notice, ...] = ()
    effects: tuple[Effect, ...] = field(default_factory=tuple)


INTAKE_VERBS = frozenset({"group", "topic", "answer", "confirm", "back"})


def is_intake_action(action_id: str) -> bool:
    """Whether a button belongs to the intake's questions (others belong elsewhere)."""
    pressed = ButtonAction.decode(action_id)
    return pressed is not None and pressed.verb in INTAKE_VERBS


def _argument(choice_id: str) -> str:
    """The id a menu button carries ("topic:haushalt" -> "haushalt")."""
    pressed = ButtonAction.decode(choice_id)
    return "" if pressed is None else ":".join(pressed.args)


def start(ctx: Context) -> StepResult:
    """Greet and ask the first question (the group only if it is not known yet)."""
    greeting = p.say("intake.greeting", ctx)
    if ctx.known_group is None:
        return StepResult(AskGroup(), (greeting, p.ask_group(ctx)))
    return StepResult(AskTopic(ctx.known_group), (greeting, p.ask_topic(ctx)))


def restart(ctx: Context) -> StepResult:
    """The menu changed under a stored dialog: say so and ask the first question again."""
    changed = p.say("intake.menu_changed", ctx)
    if ctx.known_group is None:
        return StepResult(AskGroup(), (changed, p.ask_group(ctx)))
    return StepResult(AskTopic(ctx.known_group), (changed, p.ask_topic(ctx)))


def is_current(state: IntakeState, config: OrgConfig) -> bool:
    """Whether every configured thing the state names (customer group, topic, parent topic,
    FAQ entry) still exists: a stored state may outlive a configuration change."""
    group = getattr(state, "group", None)
    if group is not None and all(g.id != group for g in config.customer_groups):
        return False
    topics = {topic.id for topic in config.topics}
    for name in ("topic", "parent"):
        value = getattr(state, name, None)
        if value is not None and value not in topics:
            return False
    entry = getattr(state, "entry", None)
    return entry is None or any(known.id == entry for known in config.knowledge)


def start_with_topic(ctx: Context, topic_id: str, text: str) -> StepResult:
    """Jump straight to a topic (/beschwerde, /idee, /thema), with its text if already given."""
    topic = ctx.config.topic(topic_id)
    state = AskDescription(ctx.known_group, topic.id)
    if text.strip():
        return step(state, UserInput(text=text), ctx)
    return StepResult(state, (p.ask_description(topic, ctx),))


def step(state: IntakeState, user: UserInput, ctx: Context) -> StepResult:
    """One turn of the intake dialog."""
    typed = control_word(user.text)
    if user.action_id == "cancel" or (user.action_id is None and typed in CANCEL_WORDS):
        return StepResult(None, (p.say("intake.cancelled", ctx),))
    if user.action_id == p.BACK_BUTTON or (user.action_id is None and typed in BACK_WORDS):
        return back(state, ctx)
    if isinstance(state, AskGroup):
        return _on_group(user, ctx)
    if isinstance(state, AskTopic):
        return _on_topic(state, user, ctx)
    if isinstance(state, AskSubtopic):
        return _on_subtopic(state, user, ctx)
    if isinstance(state, PickAnswer):
        return _on_pick_answer(state, user, ctx)
    if isinstance(state, AskHelped):
        return _on_helped(state, user, ctx)
    if isinstance(state, AskDescription):
        return _on_description(state, user, ctx)
    if isinstance(state, AskReference):
        return _on_reference(state, user, ctx)
    if isinstance(state, AskAnonymous):
        return _on_anonymous(state, user, ctx)
    return _on_confirm(state, user, ctx)


def back(state: IntakeState, ctx: Context) -> StepResult:
    """One step back; at the first question, stay there."""
    if isinstance(state, AskGroup | AskTopic):
        first = AskGroup() if isinstance(state, AskTopic) else state
        return StepResult(first, (p.ask_group(ctx),))
    if isinstance(state, AskSubtopic):
        return StepResult(AskTopic(state.group), (p.ask_topic(ctx),))
    if isinstance(state, AskHelped) and len(p.knowledge_for(state.topic, ctx)) > 1:
        return StepResult(PickAnswer(state.group, state.topic), (p.pick_answer(state.topic, ctx),))
    if isinstance(state, PickAnswer | AskHelped | AskDescription):
        parent = ctx.config.topic(state.topic).parent
        if parent is None and ctx.config.subtopics(state.topic):
            parent = state.topic  # chosen as "general" from its own sub-topic menu
        if parent is not None:
            return StepResult(AskSubtopic(state.group, parent), (p.ask_subtopic(parent, ctx),))
        return StepResult(AskTopic(state.group), (p.ask_topic(ctx),))
    if isinstance(state, AskReference | AskAnonymous):
        topic = ctx.config.topic(state.topic)
        return StepResult(
            AskDescription(state.group, state.topic), (p.ask_description(topic, ctx),)
        )
    topic = ctx.config.topic(state.topic)
    held = (state.group, state.topic, state.description, state.description_event)
    if topic.kind == "complaint":
        previous: IntakeState = AskAnonymous(*held)
        return StepResult(previous, (ask_anonymous(ctx),))
    if topic.kind == "request":
        previous = AskReference(*held)
        return StepResult(previous, (p.say("intake.ask_reference", ctx),))
    return StepResult(AskDescription(state.group, state.topic), (p.ask_description(topic, ctx),))


def _on_group(user: UserInput, ctx: Context) -> StepResult:
    choice = match_choice(p.group_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(AskGroup(), p.ask_group(ctx), ctx)
    group = _argument(choice.id)
    return StepResult(AskTopic(group), (p.ask_topic(ctx),), (RememberGroup(group),))


def _on_topic(state: AskTopic, user: UserInput, ctx: Context) -> StepResult:
    choice = match_choice(p.topic_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(state, p.ask_topic(ctx), ctx)
    if choice.id == p.OTHER_GROUP:
        return StepResult(AskGroup(), (p.ask_group(ctx),))
    topic = _argument(choice.id)
    if ctx.config.subtopics(topic):
        return StepResult(AskSubtopic(state.group, topic), (p.ask_subtopic(topic, ctx),))
    return _topic_chosen(state.group, topic, ctx)


def _on_subtopic(state: AskSubtopic, user: UserInput, ctx: Context) -> StepResult:
    choices = p.subtopic_choices(state.parent, ctx)
    choice = match_choice(choices, text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(state, p.ask_subtopic(state.parent, ctx), ctx)
    if choice.id == p.BACK.id:  # "zurück" typed as its number or a prefix of its label
        return back(state, ctx)
    return _topic_chosen(state.group, _argument(choice.id), ctx)


def _topic_chosen(group: str | None, topic_id: str, ctx: Context) -> StepResult:
    """First level first: show a configured answer before collecting details."""
    topic = ctx.config.topic(topic_id)
    entries = p.knowledge_for(topic_id, ctx) if topic.kind == "request" else ()
    if len(entries) == 1:
        shown = AskHelped(group, topic_id, entries[0].id)
        return StepResult(shown, (p.show_answer(entries[0].id, group, ctx),))
    if entries:
        return StepResult(PickAnswer(group, topic_id), (p.pick_answer(topic_id, ctx),))
    return StepResult(AskDescription(group, topic_id), (p.ask_description(topic, ctx),))


def _on_pick_answer(state: PickAnswer, user: UserInput, ctx: Context) -> StepResult:
    choices = p.answer_choices(state.topic, ctx)
    choice = match_choice(choices, text=user.text, action_id=user.action_id)
    if choice is None:
        return _again(state, p.pick_answer(state.topic, ctx), ctx)
    if choice.id == p.BACK.id:
        return back(state, ctx)
    if choice.id == p.NOT_LISTED:
        topic = ctx.config.topic(state.topic)
        return StepResult(
            AskDescription(state.group, state.topic), (p.ask_description(topic, ctx),)
        )
    entry = _argument(choice.id)
    shown = AskHelped(state.group, state.topic, entry)
    return StepResult(shown, (p.show_answer(entry, state.group, ctx),))


def _on_helped(state: AskHelped, user: UserInput, ctx: Context) -> StepResult:
    choice = match_choice(
        (*p.yes_no(ctx, "choice.helped", "choice.not_helped"), p.back_choice(ctx)),
        text=user.text,
        action_id=user.action_id,
    ) or _yes_no_word(user)
    if choice is None:
        return _again(state, p.show_answer(state.entry, state.group, ctx), ctx)
    if choice.id == p.BACK.id:
        return back(state, ctx)
    helped = choice.id == p.YES
    feedback = RecordAnswerFeedback(state.topic, state.group, state.entry, helped)
    if helped:
        return StepResult(None, (p.say("intake.glad_to_help", ctx),), (feedback,))
    topic = ctx.config.topic(state.topic)
    asked = (p.say("intake.sorry_not_helped", ctx), p.ask_description(topic, ctx))
    return StepResult(AskDescription(state.group, state.topic), asked, (feedback,))


def _on_description(state: AskDescription, user: UserInput, ctx: Context) -> StepResult:
    if intake_draft.taken(state, user.text, user.action_id):
        assert state.draft is not None
        user = UserInput(text=state.draft, event_id=state.draft_event)
    text = user.text.strip()
    if len(text.split()) < MIN_DESCRIPTION_WORDS:
        return StepResult(state, (p.say("intake.too_short", ctx),))
    topic = ctx.config.topic(state.topic)
    held = (state.group, state.topic, text, user.event_id)
    if topic.kind == "complaint":
        return StepResult(AskAnonymous(*held), (ask_anonymous(ctx),))
    if topic.kind == "request":
        return StepResult(AskReference(*held), (p.say("intake.ask_reference", ctx),))
    return _confirm(Confirm(*held[:3], description_event=user.event_id), ctx)


def _on_reference(state: AskReference, user: UserInput, ctx: Context) -> StepResult:
    """A document, order or invoice number has digits ("4500012345", "RE-2026-17"); a word
    without any ("vielleicht") is asked again with what is allowed."""
    text = user.text.strip()
    folded = text.casefold().rstrip(".!")
    if folded in NO_REFERENCE or folded in UNKNOWN_REFERENCE:
        reference = None
    elif any(char.isdigit() for char in text):
        reference = text[:MAX_REFERENCE]
    else:
        return StepResult(state, (p.say("intake.reference_needs_digits", ctx),))
    confirm = Confirm(state.group, state.topic, state.description, reference)
    return _confirm(replace(confirm, description_event=state.description_event), ctx)


def _on_anonymous(state: AskAnonymous, user: UserInput, ctx: Context) -> StepResult:
    choices = (*p.yes_no(ctx, "choice.anonymous", "choice.named"), p.back_choice(ctx))
    choice = match_choice(choices, text=user.text, action_id=user.action_id) or _yes_no_word(user)
    if choice is None:
        return _again(state, ask_anonymous(ctx), ctx)
    if choice.id == p.BACK.id:
        return back(state, ctx)
    anonymous = choice.id == p.YES
    confirm = Confirm(state.group, state.topic, state.description, anonymous=anonymous)
    return _confirm(replace(confirm, description_event=state.description_event), ctx)


def _on_confirm(state: Confirm, user: UserInput, ctx: Context) -> StepResult:
    choices = (*p.yes_no(ctx), p.back_choice(ctx))
    choice = match_choice(choices, text=user.text, action_id=user.action_id)
    choice = choice or _yes_no_word(user)
    if choice is None:
        return _again(state, confirm_notice(state, ctx), ctx)
    if choice.id == p.BACK.id:
        return back(state, ctx)
    if choice.id == p.NO:
        return StepResult(None, (p.say("intake.cancelled", ctx),))
    topic = ctx.config.topic(state.topic)
    if topic.kind in ("idea", "round_table"):
        return StepResult(
            None, (), (RecordProposal(topic.kind, topic.id, state.group, state.description),)
        )
    request = NewRequest(
        state.topic,
        state.group,
        state.description,
        state.reference,
        state.anonymous,
        source_event=state.description_event,
    )
    return StepResult(None, (), (OpenTicket(request),))


def _confirm(state: Confirm, ctx: Context) -> StepResult:
    return StepResult(state, (confirm_notice(state, ctx),))


def confirm_notice(state: Confirm, ctx: Context) -> Notice:
    topic = ctx.config.topic(state.topic)
    return p.ask_confirm(topic, state.group, state.description, state.reference, ctx)


def ask_anonymous(ctx: Context) -> Notice:
    return Notice(
        text=t("intake.ask_anonymous", ctx.locale),
        choices=(*p.yes_no(ctx, "choice.anonymous", "choice.named"), p.back_choice(ctx)),
    )


def _yes_no_word(user: UserInput) -> Choice | None:
    """Plain "ja"/"nein"/"yes"/"no" answer every yes/no question, whatever its labels."""
    typed = user.text.strip().casefold().rstrip(".!")
    if user.action_id is None and typed in ("ja", "j", "yes", "y"):
        return Choice(p.YES, typed)
    if user.action_id is None and typed in ("nein", "n", "no"):
        return Choice(p.NO, typed)
    return None


def _again(state: IntakeState, question: Notice, ctx: Context) -> StepResult:
    return StepResult(state, (p.say("intake.not_understood", ctx), question))
