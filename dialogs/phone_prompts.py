"""The phone note's questions and menus (dialogs/phone_note.py), from config and catalogue."""

from __future__ import annotations

from typing import Protocol

from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Notice
from dialogs.intake_prompts import Context
from dialogs.phone_contact import Contact

BACK = button("back")
NO_GROUP = "none"
SOLVED, OPEN = button("psolved", "yes"), button("psolved", "no")
YES, NO = button("pconfirm", "yes"), button("pconfirm", "no")
TYPED_QUESTIONS = {
    "caller": "phone.ask_caller",
    "description": "phone.ask_description",
    "contact": "phone.ask_contact",
}


class Note(Protocol):
    """What the questions read of the note (dialogs.phone_note.PhoneNote)."""

    @property
    def ask(self) -> str: ...
    @property
    def caller(self) -> str | None: ...
    @property
    def group(self) -> str | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def contact(self) -> Contact | None: ...
    @property
    def solved(self) -> bool | None: ...


def say(key: str, ctx: Context, **args: object) -> Notice:
    """A plain catalogue message."""
    return Notice(text=t(key, ctx.locale, **args), channel_safe=False)


def back_choice(ctx: Context) -> Choice:
    """The "zurück" button of every question after the first."""
    return Choice(BACK, t("choice.back", ctx.locale))


def group_choices(ctx: Context) -> tuple[Choice, ...]:
    """The customer groups, "not known", and back."""
    groups = tuple(
        Choice(button("pgroup", g.id), g.name.get(ctx.locale)) for g in ctx.config.customer_groups
    )
    unknown = Choice(button("pgroup", NO_GROUP), t("phone.no_group", ctx.locale))
    return (*groups, unknown, back_choice(ctx))


def topic_choices(ctx: Context) -> tuple[Choice, ...]:
    """The request topics of the intake's first menu (complaints, ideas and round-table
    topics are not phone notes), and back."""
    topics = tuple(
        Choice(button("ptopic", topic.id), topic.name.get(ctx.locale))
        for topic in ctx.config.top_level_topics()
        if topic.kind == "request"
    )
    return (*topics, back_choice(ctx))


def solved_choices(note: Note, ctx: Context) -> tuple[Choice, ...]:
    """Solved on the spot, or a ticket for the team (a callback, or the chat user's)."""
    chat = note.contact is not None and note.contact.kind == "chat"
    open_label = "phone.open_chat" if chat else "phone.open_callback"
    return (
        Choice(SOLVED, t("phone.solved_now", ctx.locale)),
        Choice(OPEN, t(open_label, ctx.locale)),
        back_choice(ctx),
    )


def confirm_choices(ctx: Context) -> tuple[Choice, ...]:
    """Save, discard, back."""
    return (
        Choice(YES, t("phone.save", ctx.locale)),
        Choice(NO, t("phone.discard", ctx.locale)),
        back_choice(ctx),
    )


def yes_no_word(text: str, action_id: str | None, yes: str, no: str) -> Choice | None:
    """Plain "ja"/"nein"/"yes"/"no" typed answer a yes/no question."""
    typed = text.strip().casefold().rstrip(".!")
    if action_id is None and typed in ("ja", "j", "yes", "y"):
        return Choice(yes, typed)
    if action_id is None and typed in ("nein", "n", "no"):
        return Choice(no, typed)
    return None


def contact_text(contact: Contact, locale: str) -> str:
    """How to reach the caller, in words (markup-safe)."""
    if contact.kind == "chat":
        shown = contact.name or contact.address
        return t("phone.contact_chat", locale, name=literal(shown), platform=contact.platform)
    return literal(contact.address)


def question(note: Note, ctx: Context) -> Notice:
    """The question the note asks now."""
    if note.ask == "group":
        return Notice(text=t("phone.ask_group", ctx.locale), choices=group_choices(ctx))
    if note.ask == "topic":
        return Notice(text=t("phone.ask_topic", ctx.locale), choices=topic_choices(ctx))
    if note.ask == "solved":
        return Notice(text=t("phone.ask_solved", ctx.locale), choices=solved_choices(note, ctx))
    if note.ask == "confirm":
        return summary(note, ctx)
    # caller, description, contact: typed answers ("zurück" and "abbrechen" work, too)
    return say(TYPED_QUESTIONS.get(note.ask, "phone.ask_caller"), ctx)


def summary(note: Note, ctx: Context) -> Notice:
    """Everything collected, and "save?"."""
    loc, config = ctx.locale, ctx.config
    group = "-"
    if note.group is not None:
        group = config.customer_group(note.group).name.get(loc)
    topic = config.topic(note.topic).name.get(loc) if note.topic else "-"
    contact = contact_text(note.contact, loc) if note.contact else "-"
    outcome = "phone.solved_now" if note.solved else "phone.open_callback"
    if not note.solved and note.contact is not None and note.contact.kind == "chat":
        outcome = "phone.open_chat"
    facts = (
        Fact(t("fact.caller", loc), literal(note.caller or "-")),
        Fact(t("fact.customer_group", loc), group),
        Fact(t("fact.topic", loc), topic),
        Fact(t("fact.contact", loc), contact),
        Fact(t("phone.outcome", loc), t(outcome, loc)),
    )
    return Notice(
        text=t("phone.confirm", loc) + "\n\n" + literal(note.description or ""),
        facts=facts,
        choices=confirm_choices(ctx),
        channel_safe=False,
    )
