"""Team BK's send dialog as pure steps: groups -> title -> text -> preview -> send or cancel.

`step(draft, text, action_id, ctx)` returns the next draft (None: the dialog ends), the
notices to answer with, and whether to send now. "zurück" goes back, "abbrechen" discards;
every choice can be pressed, typed as its number or as its word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.actions import ButtonAction, button
from bot.kernel.notices import Choice, Notice
from bot.newsletter.content import (
    BODY_MIN,
    GROUP_VERB,
    TITLE_LIMIT,
    VERB,
    group_names,
    recipient_notice,
)
from dialogs.choices import match_choice

NEXT, CANCEL, SEND = button(VERB, "next"), button(VERB, "cancel"), button(VERB, "send")
BACK = button("back")  # the same "back" as the intake's
STEPS = ("groups", "title", "body", "confirm")
_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class Draft:
    """The newsletter being written, and the step the dialog is at."""

    step: str = "groups"
    groups: tuple[str, ...] = ()
    title: str = ""
    body: str = ""

    def to_state(self) -> dict[str, Any]:
        """JSON for the dialog slot."""
        return {
            "step": self.step,
            "groups": list(self.groups),
            "title": self.title,
            "body": self.body,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Draft:
        """Inverse of `to_state`."""
        step = str(state.get("step", "groups"))
        groups = tuple(str(group) for group in state.get("groups", ()))
        draft = cls(step if step in STEPS else "groups", groups)
        return replace(draft, title=str(state.get("title", "")), body=str(state.get("body", "")))


@dataclass(frozen=True)
class Context:
    """What a step may know: the config, the author's language, the current recipient count."""

    config: OrgConfig
    locale: str
    recipients: int = 0


@dataclass(frozen=True)
class Outcome:
    """A step's result."""

    draft: Draft | None
    notices: list[Notice]
    send: bool = False


def _choice(key: str, ident: str, ctx: Context) -> Choice:
    return Choice(ident, t(key, ctx.locale))


def prompt(draft: Draft, ctx: Context) -> list[Notice]:
    """The question (or preview) for the draft's current step."""
    back, cancel = _choice("choice.back", BACK, ctx), _cancel(ctx)
    if draft.step == "groups":
        chosen = group_names(ctx.config, draft.groups, ctx.locale)
        text = t("newsletter.ask_groups", ctx.locale, groups=chosen or _none(ctx))
        return [Notice(text=text, choices=(*group_choices(draft, ctx), _next(ctx), cancel))]
    if draft.step == "title":
        text = t("newsletter.ask_title", ctx.locale, limit=TITLE_LIMIT)
        return [Notice(text=text, choices=(back, cancel))]
    if draft.step == "body":
        return [Notice(text=t("newsletter.ask_body", ctx.locale), choices=(back, cancel))]
    names = group_names(ctx.config, draft.groups, ctx.locale)
    confirm = t("newsletter.confirm", ctx.locale, count=ctx.recipients, groups=names)
    return [
        Notice(text=t("newsletter.preview", ctx.locale)),
        recipient_notice(
            ctx.config, title=draft.title, body=draft.body, groups=draft.groups, locale=ctx.locale
        ),
        Notice(text=confirm, choices=_confirm_choices(ctx)),
    ]


def group_choices(draft: Draft, ctx: Context) -> tuple[Choice, ...]:
    """One toggle per customer group, ticked when chosen."""
    return tuple(
        Choice(button(GROUP_VERB, g.id), ("✓ " if g.id in draft.groups else "") + label)
        for g in ctx.config.customer_groups
        for label in (g.name.get(ctx.locale),)
    )


def group_of(choice_id: str) -> str | None:
    """The customer group a group toggle ("nlg:f4") carries; None for any other button."""
    pressed = ButtonAction.decode(choice_id)
    if pressed is None or pressed.verb != GROUP_VERB or len(pressed.args) != 1:
        return None
    return pressed.args[0]


def _next(ctx: Context) -> Choice:
    return _choice("newsletter.next", NEXT, ctx)


def _cancel(ctx: Context) -> Choice:
    return _choice("newsletter.cancel", CANCEL, ctx)


def _confirm_choices(ctx: Context) -> tuple[Choice, ...]:
    return (_choice("newsletter.send", SEND, ctx), _choice("choice.back", BACK, ctx), _cancel(ctx))


def _none(ctx: Context) -> str:
    return t("newsletter.none_chosen", ctx.locale)


def step(draft: Draft, text: str, action_id: str | None, ctx: Context) -> Outcome:
    """Advance the dialog by one input."""
    control = _control(text, action_id, ctx)
    if control == CANCEL:
        return Outcome(None, [Notice(text=t("newsletter.cancelled", ctx.locale))])
    if control == BACK and draft.step != "groups":
        earlier = replace(draft, step=STEPS[STEPS.index(draft.step) - 1])
        return Outcome(earlier, prompt(earlier, ctx))
    if draft.step == "groups":
        return _groups(draft, text, action_id, ctx)
    if draft.step == "title":
        title = " ".join(text.split())
        if action_id is not None or not title or len(title) > TITLE_LIMIT:
            return _again(draft, ctx, t("newsletter.title_bad", ctx.locale, limit=TITLE_LIMIT))
        return _to(replace(draft, title=title, step="body"), ctx)
    if draft.step == "body":
        body = text.strip()
        if action_id is not None or len(body) < BODY_MIN:
            return _again(draft, ctx, t("newsletter.body_bad", ctx.locale, min=BODY_MIN))
        return _to(replace(draft, body=body, step="confirm"), ctx)
    chosen = match_choice(_confirm_choices(ctx), text=text, action_id=action_id)
    if chosen is None:
        return _again(draft, ctx, t("newsletter.confirm_bad", ctx.locale))
    if chosen.id != SEND:  # "2" or "3": back or cancel, typed as its number
        return step(draft, "", chosen.id, ctx)
    if ctx.recipients == 0:
        names = group_names(ctx.config, draft.groups, ctx.locale)
        return _again(draft, ctx, t("newsletter.no_recipients", ctx.locale, groups=names))
    return Outcome(None, [], send=True)


def _groups(draft: Draft, text: str, action_id: str | None, ctx: Context) -> Outcome:
    options = group_choices(draft, ctx)
    single = match_choice((*options, _next(ctx), _cancel(ctx)), text=text, action_id=action_id)
    if single is not None and single.id == CANCEL:
        return step(draft, "", CANCEL, ctx)
    if single is not None and single.id == NEXT:
        if not draft.groups:
            return _again(draft, ctx, t("newsletter.pick_one", ctx.locale))
        return _to(replace(draft, step="title"), ctx)
    picked = [single] if single is not None else _picks(options, text, action_id)
    if not picked:
        return _again(draft, ctx, t("newsletter.pick_bad", ctx.locale))
    toggled = {group for choice in picked if (group := group_of(choice.id)) is not None}
    chosen = set(draft.groups) ^ toggled
    ordered = tuple(g.id for g in ctx.config.customer_groups if g.id in chosen)
    return _to(replace(draft, groups=ordered), ctx)


def _picks(options: tuple[Choice, ...], text: str, action_id: str | None) -> list[Choice]:
    """Several groups typed at once ("2, 3" or "f4 kern"); empty unless each part names one."""
    parts = [part for part in _SEPARATORS.split(text.strip()) if part]
    if action_id is not None or len(parts) < 2:
        return []
    many = [match_choice(options, text=part, action_id=None) for part in parts]
    return [] if any(choice is None for choice in many) else [c for c in many if c]


def _control(text: str, action_id: str | None, ctx: Context) -> str | None:
    """ "zurück" / "abbrechen" as a button or typed as the whole word (not as a prefix, so a
    title may start with "Ab...")."""
    if action_id in (BACK, CANCEL):
        return action_id
    typed = text.strip().rstrip(".!").casefold()
    words = {t("choice.back", ctx.locale).casefold(): BACK}
    words[t("newsletter.cancel", ctx.locale).casefold()] = CANCEL
    return words.get(typed) if action_id is None else None


def _again(draft: Draft, ctx: Context, why: str) -> Outcome:
    return Outcome(draft, [Notice(text=why), *prompt(draft, ctx)])


def _to(draft: Draft, ctx: Context) -> Outcome:
    return Outcome(draft, prompt(draft, ctx))
