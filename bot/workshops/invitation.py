"""A workshop invitation as a newsletter draft: Team BK reviews it in the usual preview and
sends it to the workshop's customer groups (all groups when the workshop is open to all)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.newsletter.compose import Draft
from bot.workshops.service import when
from storage.models import WorkshopRow


def invitation_draft(config: OrgConfig, row: WorkshopRow, locale: str) -> Draft:
    """The draft at its preview step: title, text with date, place and how to register."""
    tz = ZoneInfo(config.calendar.timezone)
    groups = tuple(row.groups) or tuple(group.id for group in config.customer_groups)
    title = t("workshop.invitation.title", locale, title=row.title)
    body = t(
        "workshop.invitation.body",
        locale,
        id=row.id,
        title=row.title,
        when=when(row, locale, tz),
        place=row.place,
        seats=row.seats,
    )
    return Draft(step="confirm", groups=groups, title=title, body=body)
