"""What a newsletter looks like to its recipients, and who may send one."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config.model import OrgConfig
from bot.domain.errors import NotAllowed
from bot.i18n import t
from bot.kernel.notices import Notice
from bot.service import permissions
from bot.service.actors import Actor

TITLE_LIMIT = 200
BODY_MIN = 10


class BkOnly(NotAllowed):
    """Only Team BK (and the admins) send newsletters."""

    key = "newsletter.bk_only"


def may_send(config: OrgConfig, actor: Actor) -> bool:
    """Members of Team BK (the first level) and admins."""
    if config.first_level_team().person_for(actor.platform, actor.user_id) is not None:
        return True
    return permissions.Role.ADMIN in permissions.roles_of(config, actor)


def group_names(config: OrgConfig, groups: Sequence[str], locale: str) -> str:
    """ "Dezentrale Einrichtungen F4, Kernbereich Verwaltung (KERN)"; unknown ids as they are."""
    known = {group.id: group.name.get(locale) for group in config.customer_groups}
    return ", ".join(known.get(group, group) for group in groups)


def recipient_notice(
    config: OrgConfig, *, title: str, body: str, groups: Sequence[str], locale: str
) -> Notice:
    """The newsletter as each recipient gets it (the preview shows exactly this)."""
    footer = t("newsletter.footer", locale, groups=group_names(config, groups, locale))
    return Notice(text=f"{body}\n\n{footer}", title=title, channel_safe=False)
