"""Roles and what they allow, derived from the organisation config.

requester: everyone; sees only their own tickets.
agent: member of a team; works on the (non-confidential) tickets of their team.
team lead: an agent who leads their team; also sees ideas and round-table topics.
department lead: member of the level-3 team; works on and sees every non-confidential ticket.
complaint manager: the only staff who see and work on complaints (confidential tickets).
admin: like a department lead, for the hotline's operation.
"""

from __future__ import annotations

from enum import StrEnum

from bot.config.model import Level, OrgConfig, Person
from bot.service.actors import Actor
from storage.models import TicketRow


class Role(StrEnum):
    """The roles the hotline knows."""

    REQUESTER = "requester"
    AGENT = "agent"
    TEAM_LEAD = "team_lead"
    DEPARTMENT_LEAD = "department_lead"
    COMPLAINT_MANAGER = "complaint_manager"
    ADMIN = "admin"


STAFF = frozenset(Role) - {Role.REQUESTER}
LEADS = frozenset({Role.TEAM_LEAD, Role.DEPARTMENT_LEAD, Role.ADMIN})


def roles_of(config: OrgConfig, actor: Actor) -> frozenset[Role]:
    """Every role the actor has; everyone is at least a requester."""
    person = config.person_by_platform(actor.platform, actor.user_id)
    roles = {Role.REQUESTER}
    if person is None:
        return frozenset(roles)
    for team in config.teams:
        if team.person_for(actor.platform, actor.user_id) is None:
            continue
        if team.level == Level.THIRD:
            roles.add(Role.DEPARTMENT_LEAD)
        else:
            roles.add(Role.AGENT)
            if person.id in team.leads:
                roles.add(Role.TEAM_LEAD)
    if person.id in config.roles.complaint_managers:
        roles.add(Role.COMPLAINT_MANAGER)
    if person.id in config.roles.admins:
        roles.add(Role.ADMIN)
    return frozenset(roles)


def is_staff(config: OrgConfig, actor: Actor) -> bool:
    """Whether the actor has any staff role."""
    return bool(roles_of(config, actor) & STAFF)


def is_lead(config: OrgConfig, actor: Actor) -> bool:
    """Team leads, department leads and admins."""
    return bool(roles_of(config, actor) & LEADS)


def oversees(config: OrgConfig, actor: Actor) -> bool:
    """Leads and complaint managers: they receive escalations and may acknowledge them."""
    return bool(roles_of(config, actor) & (LEADS | {Role.COMPLAINT_MANAGER}))


def worker_on(config: OrgConfig, actor: Actor, ticket: TicketRow) -> Person | None:
    """The staff member who may work on this ticket as `actor`, or None."""
    person = config.person_by_platform(actor.platform, actor.user_id)
    if person is None:
        return None
    roles = roles_of(config, actor)
    if ticket.confidential:
        return person if Role.COMPLAINT_MANAGER in roles else None
    if config.team(ticket.team_id).person_for(actor.platform, actor.user_id) is not None:
        return person
    if roles & {Role.DEPARTMENT_LEAD, Role.ADMIN}:
        return person
    return None


def lead_on(config: OrgConfig, actor: Actor, ticket: TicketRow) -> Person | None:
    """The lead who oversees this ticket as `actor` (its team's lead, the department
    leadership, an admin; for complaints only the complaint managers), or None."""
    person = config.person_by_platform(actor.platform, actor.user_id)
    if person is None:
        return None
    roles = roles_of(config, actor)
    if ticket.confidential:
        return person if Role.COMPLAINT_MANAGER in roles else None
    if roles & {Role.DEPARTMENT_LEAD, Role.ADMIN}:
        return person
    return person if person.id in config.team(ticket.team_id).leads else None


def is_requester_of(actor: Actor, ticket: TicketRow) -> bool:
    """Whether the actor filed this ticket."""
    return (ticket.requester_platform, ticket.requester_id) == (actor.platform, actor.user_id)


def may_view(config: OrgConfig, actor: Actor, ticket: TicketRow) -> bool:
    """Requesters see their own tickets; staff those they may work on."""
    return is_requester_of(actor, ticket) or worker_on(config, actor, ticket) is not None


def complaint_managers(config: OrgConfig) -> tuple[Person, ...]:
    """The people who handle complaints."""
    people = (config.person(person_id) for person_id in config.roles.complaint_managers)
    return tuple(person for person in people if person is not None)
