"""The ticket state machine: every (status, action) pair against a table written out by hand.

The expected table is deliberately NOT derived from `RULES`: if someone changes a rule, this
test must notice.
"""

from __future__ import annotations

import itertools

import pytest

from bot.domain.errors import HotlineError, IllegalTransition
from bot.domain.lifecycle import Action, TicketStatus, is_allowed, is_open, next_status
from bot.i18n import t

NEW = TicketStatus.NEW
QUEUED = TicketStatus.QUEUED
CLAIMED = TicketStatus.CLAIMED
WAITING = TicketStatus.WAITING_FOR_CUSTOMER
RESOLVED = TicketStatus.RESOLVED
CLOSED = TicketStatus.CLOSED
REOPENED = TicketStatus.REOPENED

# action -> {status it may start from: status it leads to}; every pair not listed is illegal.
EXPECTED: dict[Action, dict[TicketStatus, TicketStatus]] = {
    Action.QUEUE: {NEW: QUEUED},
    Action.CLAIM: {QUEUED: CLAIMED, REOPENED: CLAIMED},
    Action.UNCLAIM: {CLAIMED: QUEUED},
    Action.HANDOFF: {QUEUED: QUEUED, CLAIMED: QUEUED, WAITING: QUEUED, REOPENED: QUEUED},
    Action.ASK: {CLAIMED: WAITING},
    Action.CUSTOMER_REPLY: {WAITING: CLAIMED},
    Action.CUSTOMER_INFO: {QUEUED: QUEUED, CLAIMED: CLAIMED, REOPENED: REOPENED},
    Action.RESOLVE: {CLAIMED: RESOLVED, WAITING: RESOLVED},
    Action.CLOSE: {RESOLVED: CLOSED},
    Action.REOPEN: {RESOLVED: REOPENED},
    Action.ESCALATE: {QUEUED: QUEUED, CLAIMED: CLAIMED, WAITING: WAITING, REOPENED: REOPENED},
    Action.REMIND: {QUEUED: QUEUED, CLAIMED: CLAIMED, WAITING: WAITING, REOPENED: REOPENED},
    Action.ACKNOWLEDGE: {
        QUEUED: QUEUED,
        CLAIMED: CLAIMED,
        WAITING: WAITING,
        RESOLVED: RESOLVED,
        REOPENED: REOPENED,
    },
    Action.NOTE: {
        NEW: NEW,
        QUEUED: QUEUED,
        CLAIMED: CLAIMED,
        WAITING: WAITING,
        RESOLVED: RESOLVED,
        REOPENED: REOPENED,
    },
    Action.WITHDRAW: {
        NEW: CLOSED,
        QUEUED: CLOSED,
        CLAIMED: CLOSED,
        WAITING: CLOSED,
        REOPENED: CLOSED,
    },
    Action.DESCRIPTION_EDIT: {NEW: NEW, QUEUED: QUEUED},
    Action.EDIT_NOTE: {CLAIMED: CLAIMED, WAITING: WAITING, RESOLVED: RESOLVED, REOPENED: REOPENED},
    Action.DESCRIPTION_DELETE: {
        NEW: NEW,
        QUEUED: QUEUED,
        CLAIMED: CLAIMED,
        WAITING: WAITING,
        RESOLVED: RESOLVED,
        CLOSED: CLOSED,
        REOPENED: REOPENED,
    },
    Action.ASSIGN: {QUEUED: CLAIMED, REOPENED: CLAIMED},
    Action.REASSIGN: {CLAIMED: CLAIMED, WAITING: WAITING},
}

EXPECTED_OPEN = {
    NEW: True,
    QUEUED: True,
    CLAIMED: True,
    WAITING: True,
    RESOLVED: False,
    CLOSED: False,
    REOPENED: True,
}

ALL_PAIRS = list(itertools.product(TicketStatus, Action))
LEGAL = [(s, a) for s, a in ALL_PAIRS if s in EXPECTED.get(a, {})]
ILLEGAL = [(s, a) for s, a in ALL_PAIRS if s not in EXPECTED.get(a, {})]


def _id(pair: tuple[TicketStatus, Action]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


def test_the_table_covers_every_action_and_status() -> None:
    # A new Action or TicketStatus must be added to the table above on purpose.
    assert set(EXPECTED) == set(Action)
    assert set(EXPECTED_OPEN) == set(TicketStatus)
    assert len(ALL_PAIRS) == len(TicketStatus) * len(Action) == 140
    assert len(LEGAL) == 58


@pytest.mark.parametrize("pair", LEGAL, ids=_id)
def test_legal_transition_reaches_the_documented_status(
    pair: tuple[TicketStatus, Action],
) -> None:
    status, action = pair
    assert next_status(status, action) == EXPECTED[action][status]
    assert is_allowed(status, action)


@pytest.mark.parametrize("pair", ILLEGAL, ids=_id)
def test_illegal_transition_raises_with_action_and_status(
    pair: tuple[TicketStatus, Action],
) -> None:
    status, action = pair
    assert not is_allowed(status, action)
    with pytest.raises(IllegalTransition) as caught:
        next_status(status, action)
    error = caught.value
    assert isinstance(error, HotlineError)
    assert error.key == "error.illegal_transition"
    assert error.args_for_message == {"action": action.value, "status": status.value}
    assert action.value in str(error)
    assert status.value in str(error)


def test_illegal_transition_arguments_fill_the_catalogue_message() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(CLOSED, Action.CLAIM)
    error = caught.value
    text = t(error.key, "de", **error.args_for_message)
    assert "closed" in text
    assert "{" not in text


@pytest.mark.parametrize("status", list(TicketStatus), ids=str)
def test_is_open(status: TicketStatus) -> None:
    assert is_open(status) is EXPECTED_OPEN[status]


def test_closed_is_final() -> None:
    # The one thing that still happens to a closed ticket: its sender deletes the text
    # (privacy); the status stays closed.
    allowed = [action for action in Action if is_allowed(CLOSED, action)]
    assert allowed == [Action.DESCRIPTION_DELETE]
    assert next_status(CLOSED, Action.DESCRIPTION_DELETE) == CLOSED


def test_a_full_ticket_life() -> None:
    status = NEW
    for action in (
        Action.QUEUE,
        Action.CLAIM,
        Action.ASK,
        Action.CUSTOMER_REPLY,
        Action.RESOLVE,
        Action.REOPEN,
        Action.CLAIM,
        Action.RESOLVE,
        Action.CLOSE,
    ):
        status = next_status(status, action)
    assert status is CLOSED
