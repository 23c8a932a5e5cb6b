"""Who may read a ticket event: its audience, stored with every event.

An event is read by its audience and by nobody further out, and everything in it (its
action, its data) is for that audience. So what staff write for staff never shares an
event with what the requester may see: an action with a public face and staff-only words
leaves two events in one transaction. A handoff is the requester's "weitergegeben" plus
a note for the team holding the reason; a staff member's reopening is the requester's
"wieder geöffnet" plus a note with the staff's reason. The requester's view is then a
plain row filter (`audience = requester`) and cannot pick up a staff field by accident,
however its rendering changes.

Among staff the audience records whom an internal event was for: the team working the
ticket, the complaint managers (a complaint's internal events never leave that circle) or
the leads (escalations and their acknowledgement). Which staff may open a ticket's trail
at all is decided by the permissions (bot/service/permissions.py); they then see every
event of it.
"""

from __future__ import annotations

from enum import StrEnum


class EventAudience(StrEnum):
    """Who an event of a ticket's trail is for (distinct from a command's audience)."""

    REQUESTER = "requester"  # the requester and every staff member who may see the ticket
    TEAM = "team"  # the team working the ticket: internal notes, reminders, handoff reasons
    COMPLAINT_MANAGERS = "complaint_managers"  # a complaint's internal events
    LEADS = "leads"  # escalations, breach notices, acknowledgements


def internal(*, confidential: bool, leads: bool = False) -> EventAudience:
    """The audience of an internal event: a complaint's stays with the complaint managers,
    else the leads' business (`leads`) or the team's."""
    if confidential:
        return EventAudience.COMPLAINT_MANAGERS
    return EventAudience.LEADS if leads else EventAudience.TEAM
