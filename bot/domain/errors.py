"""Domain errors: each carries a message key for the user-facing catalogue plus its arguments."""

from __future__ import annotations


class HotlineError(Exception):
    """Base of every error the core reports to a user; `key` names a catalogue message."""

    key = "error.generic"
    about_ticket = True  # False: its "id" names a workshop or proposal, not a ticket

    def __init__(self, detail: str = "", **args: object) -> None:
        super().__init__(detail or self.key)
        self.args_for_message: dict[str, object] = args


class IllegalTransition(HotlineError):
    """The action is not allowed in the ticket's current status."""

    key = "error.illegal_transition"


class TicketNotFound(HotlineError):
    """No ticket with that number."""

    key = "error.ticket_not_found"


class NotAllowed(HotlineError):
    """The user lacks the role for this action (e.g. not a member of the owning team)."""

    key = "error.not_allowed"


class ClaimFirst(IllegalTransition):
    """A question back (or similar) on a ticket nobody has claimed yet."""

    key = "error.claim_first"


class NotYourRequest(NotAllowed):
    """A requester acts on a ticket that is somebody else's."""

    key = "error.not_your_request"


class UnknownTeam(HotlineError):
    """No team with that id or name."""

    key = "error.unknown_team"


class ConcurrentUpdate(HotlineError):
    """Someone else changed the record first (compare-and-set failed)."""

    key = "error.concurrent_update"


class AlreadyClaimed(NotAllowed):
    """Someone else already works on the ticket; nothing changes."""

    key = "error.already_claimed"


class SameTeam(NotAllowed):
    """A handoff to the team that already owns the ticket."""

    key = "error.same_team"


class StaffOnly(NotAllowed):
    """A staff command used by a requester."""

    key = "error.staff_only"


class LeadsOnly(NotAllowed):
    """A command for team leads, department leads and admins."""

    key = "error.leads_only"


class ComplaintStays(NotAllowed):
    """Complaints stay with complaint management (the concept: always confidential)."""

    key = "error.complaint_stays"


class NotEscalated(HotlineError):
    """/ack on a ticket that has no escalation."""

    key = "error.not_escalated"


class AlreadyAcknowledged(HotlineError):
    """/ack on an escalation a lead has already acknowledged."""

    key = "error.already_acknowledged"


class NotRatable(HotlineError):
    """A rating for a ticket that is not resolved (yet)."""

    key = "error.not_ratable"


class ScoreOutOfRange(NotRatable):
    """A rating outside 1-5."""

    key = "error.score_out_of_range"


class NoRatingYet(NotRatable):
    """A comment on a rating that was never given."""

    key = "error.no_rating_yet"


class RateOwnOnly(NotAllowed):
    """Only the requester rates a ticket."""

    key = "error.rate_own_only"


class ProposalNotFound(HotlineError):
    """No proposal with that number."""

    key = "error.proposal_not_found"
    about_ticket = False


class ProposalState(HotlineError):
    """The proposal cannot be merged or scheduled in its current state."""

    key = "error.proposal_state"
    about_ticket = False


class WorkshopUnavailable(HotlineError):
    """A workshop that does not exist, has started, was cancelled, or is for other groups."""

    key = "error.workshop_unavailable"
    about_ticket = False


class WorkshopNotFound(HotlineError):
    """No workshop with that number (the trainers' commands)."""

    key = "error.workshop_not_found"
    about_ticket = False


class NotTrainer(NotAllowed):
    """Only the trainer team, Team BK and the leads see a workshop's people and feedback."""

    about_ticket = False


class WorkshopForOtherGroups(WorkshopUnavailable):
    """The workshop is offered to other customer groups only."""

    key = "error.workshop_other_groups"


class QuestionnaireClosed(HotlineError):
    """No feedback form to fill in for this workshop (not attended, done, or closed)."""

    key = "error.questionnaire_closed"
    about_ticket = False


class UnknownPerson(HotlineError):
    """/zuweisen names nobody the configuration knows."""

    key = "error.unknown_person"


class NotTeamMember(NotAllowed):
    """/zuweisen names a colleague outside the ticket's team (complaints: outside the
    complaint managers): tickets stay with the team whose queue they are in."""

    key = "error.not_team_member"


class AlreadyAssigned(HotlineError):
    """/zuweisen to the person who already has the ticket; nothing changes."""

    key = "error.already_assigned"
