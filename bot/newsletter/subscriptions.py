"""/newsletter: a person's subscriptions per customer group, toggled by button, number or word.

The menu's buttons carry their action ("nl:sub:f4", a `ButtonAction`), so they work whenever
pressed; while the menu is open (a small dialog in the conversation's slot), typed numbers and
words work too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.actions import ButtonAction, button
from bot.kernel.notices import Choice, Notice
from bot.newsletter.content import VERB
from bot.service.actors import Actor
from storage.repositories import newsletter as repo

SUBSCRIBE, UNSUBSCRIBE = "sub", "unsub"  # "nl:sub:f4", "nl:unsub:f4"
DONE = button(VERB, "done")


@dataclass(frozen=True)
class Toggle:
    """What a subscribe or unsubscribe button carries: which way, for which customer group."""

    subscribe: bool
    group_id: str

    def encode(self) -> str:
        """The button's payload."""
        return button(VERB, SUBSCRIBE if self.subscribe else UNSUBSCRIBE, self.group_id)

    @classmethod
    def decode(cls, action_id: str) -> Toggle | None:
        """The toggle a payload carries; None for any other button."""
        pressed = ButtonAction.decode(action_id)
        if pressed is None or pressed.verb != VERB or len(pressed.args) != 2:
            return None
        way, group_id = pressed.args
        return cls(way == SUBSCRIBE, group_id) if way in (SUBSCRIBE, UNSUBSCRIBE) else None


def menu_choices(config: OrgConfig, subscribed: set[str], locale: str) -> tuple[Choice, ...]:
    """One button per customer group (subscribe, or unsubscribe when subscribed), and done."""
    choices = [
        Choice(Toggle(False, group.id).encode(), t("newsletter.unsubscribe", locale, group=name))
        if group.id in subscribed
        else Choice(Toggle(True, group.id).encode(), t("newsletter.subscribe", locale, group=name))
        for group in config.customer_groups
        for name in (group.name.get(locale),)
    ]
    return (*choices, Choice(DONE, t("newsletter.done", locale)))


async def menu(session: AsyncSession, config: OrgConfig, actor: Actor) -> Notice:
    """The person's subscriptions and a button per group."""
    subscribed = await repo.subscribed_groups(
        session, platform=actor.platform, user_id=actor.user_id
    )
    names = [g.name.get(actor.locale) for g in config.customer_groups if g.id in subscribed]
    current = ", ".join(names) or t("newsletter.menu_nothing", actor.locale)
    return Notice(
        text=t("newsletter.menu", actor.locale, groups=current),
        choices=menu_choices(config, subscribed, actor.locale),
        channel_safe=False,
    )


def is_toggle(action_id: str) -> bool:
    """Whether a choice id subscribes or unsubscribes."""
    return Toggle.decode(action_id) is not None


async def toggle(
    session: AsyncSession, config: OrgConfig, actor: Actor, action_id: str, *, at: datetime
) -> list[Notice]:
    """Carry out "nl:sub:f4" / "nl:unsub:f4"; an unknown group is answered, not stored."""
    pressed = Toggle.decode(action_id)
    groups = {group.id: group for group in config.customer_groups}
    if pressed is None or pressed.group_id not in groups:
        return [await menu(session, config, actor)]
    subscribe, group_id = pressed.subscribe, pressed.group_id
    who = {"platform": actor.platform, "user_id": actor.user_id, "group_id": group_id}
    if subscribe:
        await repo.subscribe(session, **who, locale=actor.locale, at=at)
    else:
        await repo.unsubscribe(session, **who)
    name = groups[group_id].name.get(actor.locale)
    key = "newsletter.subscribed" if subscribe else "newsletter.unsubscribed"
    return [Notice(text=t(key, actor.locale, group=name)), await menu(session, config, actor)]
