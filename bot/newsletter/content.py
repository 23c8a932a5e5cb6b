"""What a newsletter looks like to its recipients, who may send one, and the verbs of the
newsletter conversations' buttons (shared by the subscriptions menu and the send dialog)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config.model import OrgConfig
from bot.domain.errors import NotAllowed
from bot.i18n import t
from bot.kernel.actions import ButtonAction
from bot.kernel.notices import Notice
from bot.service import permissions
from bot.service.actors import Actor

TITLE_LIMIT = 200
BODY_MIN = 10
# Button payloads (bot/kernel/actions.py): "nl:sub:f4", "nl:done", "nl:send", ... and the
# send dialog's group toggles "nlg:f4". The strings are those of buttons already sent.
VERB = "nl"
GROUP_VERB = "nlg"


def is_newsletter_button(action_id: str) -> bool:
    """Whether a button belongs to a newsletter conversation (its verb and an argument)."""
    pressed = ButtonAction.decode(action_id)
    return pressed is not None and pressed.verb in (VERB, GROUP_VERB) and bool(pressed.args)


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
