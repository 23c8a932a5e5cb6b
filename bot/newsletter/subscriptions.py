"""/newsletter: a person's subscriptions per customer group, toggled by button, number or word.

The menu's buttons carry their action ("nl:sub:f4"), so they work whenever pressed; while the
menu is open (a small dialog in the conversation's slot), typed numbers and words work too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.notices import Choice, Notice
from bot.service.actors import Actor
from storage.repositories import newsletter as repo

SUBSCRIBE = "nl:sub:"
UNSUBSCRIBE = "nl:unsub:"
DONE = "nl:done"


def menu_choices(config: OrgConfig, subscribed: set[str], locale: str) -> tuple[Choice, ...]:
    """One button per customer group (subscribe, or unsubscribe when subscribed), and done."""
    choices = [
        Choice(f"{UNSUBSCRIBE}{group.id}", t("newsletter.unsubscribe", locale, group=name))
        if group.id in subscribed
        else Choice(f"{SUBSCRIBE}{group.id}", t("newsletter.subscribe", locale, group=name))
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
    return action_id.startswith((SUBSCRIBE, UNSUBSCRIBE))


async def toggle(
    session: AsyncSession, config: OrgConfig, actor: Actor, action_id: str, *, at: datetime
) -> list[Notice]:
    """Carry out "nl:sub:f4" / "nl:unsub:f4"; an unknown group is answered, not stored."""
    subscribe = action_id.startswith(SUBSCRIBE)
    group_id = action_id.removeprefix(SUBSCRIBE if subscribe else UNSUBSCRIBE)
    groups = {group.id: group for group in config.customer_groups}
    if group_id not in groups:
        return [await menu(session, config, actor)]
    who = {"platform": actor.platform, "user_id": actor.user_id, "group_id": group_id}
    if subscribe:
        await repo.subscribe(session, **who, locale=actor.locale, at=at)
    else:
        await repo.unsubscribe(session, **who)
    name = groups[group_id].name.get(actor.locale)
    key = "newsletter.subscribed" if subscribe else "newsletter.unsubscribed"
    return [Notice(text=t(key, actor.locale, group=name)), await menu(session, config, actor)]
