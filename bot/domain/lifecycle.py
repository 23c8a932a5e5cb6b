"""The ticket lifecycle as an explicit state machine.

Every action names the statuses it may start from and the status it leads to.
Actions that keep the status (note, escalate, handoff's re-queue) are listed too, so
that one table answers "is this allowed?" for everything that happens to a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import IllegalTransition


class TicketStatus(StrEnum):
    """Where a ticket stands. Tickets live in team queues, never with one personal contact."""

    NEW = "new"
    QUEUED = "queued"
    CLAIMED = "claimed"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class Action(StrEnum):
    """Everything that can happen to a ticket; each appends one audit event (and staff-only
    words given with it, such as a handoff's reason, one note more: bot/domain/audience.py)."""

    QUEUE = "queue"
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    HANDOFF = "handoff"
    ASK = "ask"
    CUSTOMER_REPLY = "customer_reply"
    CUSTOMER_INFO = "customer_info"  # the requester adds something to an open ticket
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    REMIND = "remind"  # a deadline reminder or a lead's notice (recorded, status kept)
    ACKNOWLEDGE = "acknowledge"  # a lead has taken note of an escalation
    NOTE = "note"
    WITHDRAW = "withdraw"
    # The requester edited or deleted the message that gave the description: while nobody
    # has claimed the ticket the description follows the edit; later, the edit is a note
    # for the team. A deletion removes the text in any status (privacy), closed included.
    DESCRIPTION_EDIT = "description_edit"
    EDIT_NOTE = "edit_note"
    DESCRIPTION_DELETE = "description_delete"
    # A staff member gives the ticket to a named colleague of its team: an unclaimed one
    # becomes claimed for them (assign), a claimed one changes hands in its status (reassign).
    ASSIGN = "assign"
    REASSIGN = "reassign"


S = TicketStatus
OPEN_STATUSES: frozenset[TicketStatus] = frozenset(
    {S.NEW, S.QUEUED, S.CLAIMED, S.WAITING_FOR_CUSTOMER, S.REOPENED}
)
WORKABLE = frozenset({S.QUEUED, S.CLAIMED, S.WAITING_FOR_CUSTOMER, S.REOPENED})


@dataclass(frozen=True)
class Rule:
    """An action is legal from `sources`; it leads to `target` (None: the status is kept)."""

    sources: frozenset[TicketStatus]
    target: TicketStatus | None


RULES: dict[Action, Rule] = {
    Action.QUEUE: Rule(frozenset({S.NEW}), S.QUEUED),
    Action.CLAIM: Rule(frozenset({S.QUEUED, S.REOPENED}), S.CLAIMED),
    Action.UNCLAIM: Rule(frozenset({S.CLAIMED}), S.QUEUED),
    Action.HANDOFF: Rule(WORKABLE, S.QUEUED),
    Action.ASK: Rule(frozenset({S.CLAIMED}), S.WAITING_FOR_CUSTOMER),
    Action.CUSTOMER_REPLY: Rule(frozenset({S.WAITING_FOR_CUSTOMER}), S.CLAIMED),
    Action.CUSTOMER_INFO: Rule(WORKABLE - {S.WAITING_FOR_CUSTOMER}, None),
    Action.RESOLVE: Rule(frozenset({S.CLAIMED, S.WAITING_FOR_CUSTOMER}), S.RESOLVED),
    Action.CLOSE: Rule(frozenset({S.RESOLVED}), S.CLOSED),
    Action.REOPEN: Rule(frozenset({S.RESOLVED}), S.REOPENED),
    Action.ESCALATE: Rule(WORKABLE, None),
    Action.REMIND: Rule(WORKABLE, None),
    Action.ACKNOWLEDGE: Rule(WORKABLE | {S.RESOLVED}, None),
    Action.NOTE: Rule(frozenset(TicketStatus) - {S.CLOSED}, None),
    Action.WITHDRAW: Rule(OPEN_STATUSES, S.CLOSED),
    Action.DESCRIPTION_EDIT: Rule(frozenset({S.NEW, S.QUEUED}), None),
    Action.EDIT_NOTE: Rule(frozenset(TicketStatus) - {S.NEW, S.QUEUED, S.CLOSED}, None),
    Action.DESCRIPTION_DELETE: Rule(frozenset(TicketStatus), None),
    Action.ASSIGN: Rule(frozenset({S.QUEUED, S.REOPENED}), S.CLAIMED),
    Action.REASSIGN: Rule(frozenset({S.CLAIMED, S.WAITING_FOR_CUSTOMER}), None),
}


def next_status(current: TicketStatus, action: Action) -> TicketStatus:
    """The status after `action`, or IllegalTransition if `action` is not allowed now."""
    rule = RULES[action]
    if current not in rule.sources:
        raise IllegalTransition(
            f"cannot {action.value} a ticket that is {current.value}",
            action=action.value,
            status=current.value,
        )
    return current if rule.target is None else rule.target


def is_allowed(current: TicketStatus, action: Action) -> bool:
    """Whether `action` may happen in status `current`."""
    return current in RULES[action].sources


def is_open(status: TicketStatus) -> bool:
    """Open tickets count towards queues and deadlines."""
    return status in OPEN_STATUSES
