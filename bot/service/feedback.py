"""The notices a ticket change produces: guaranteed feedback to the requester, posts for the team.

Pure functions of (config, ticket, moment): no I/O, so every message can be unit-tested.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.domain.lifecycle import WORKABLE, TicketStatus
from bot.domain.requests import PHONE
from bot.i18n import t
from bot.i18n.formatting import format_deadline
from bot.kernel.actions import button
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Notice, Target, ticket_card_key
from storage.models import TicketRow

CONTACT_PLATFORMS = ("teams", "matrix", "local")


def requester_target(ticket: TicketRow) -> Target | None:
    """The requester's DM on the platform they wrote from; None for a caller Team BK
    recorded by phone without a chat account (nobody to message: the team calls back)."""
    if ticket.requester_platform == PHONE:
        return None
    return Target(ticket.requester_platform, "user", ticket.requester_id)


def _tz(config: OrgConfig) -> ZoneInfo:
    return ZoneInfo(config.calendar.timezone)


def deadline_text(config: OrgConfig, ticket: TicketRow, locale: str, now: datetime) -> str:
    """When the requester can expect an answer, in plain words."""
    first = ticket.first_response_due_at if ticket.first_responded_at is None else None
    running = [due for due in (first, ticket.resolution_due_at) if due is not None]
    if not running:
        return "-"
    ahead = [due for due in running if due > now]
    if not ahead:  # every deadline has passed: never promise a time in the past
        return t("deadline.asap", locale)
    return format_deadline(min(ahead), locale, _tz(config), now)


def answer_is_due(ticket: TicketRow, now: datetime) -> bool:
    """Whether the deadline that `deadline_text` names is the first answer's (else it is
    the resolution's: once someone has answered, "Antwort spätestens" would be wrong)."""
    first = ticket.first_response_due_at if ticket.first_responded_at is None else None
    if first is None:
        return False
    resolution = ticket.resolution_due_at
    if resolution is None or resolution <= now:
        return True  # the only one ahead, or both passed ("so bald wie möglich"): still owed
    return now < first <= resolution


def due_sentence(
    config: OrgConfig, ticket: TicketRow, locale: str, now: datetime, *, expected: bool = False
) -> str:
    """The sentence saying what is due when (" Antwort spätestens morgen, 15:30 Uhr."), with
    its leading space; empty while no deadline runs (waiting for the requester)."""
    when = deadline_text(config, ticket, locale, now)
    if when == "-":
        return ""
    answer = answer_is_due(ticket, now)
    if when == t("deadline.asap", locale):
        return t("due.answer_asap" if answer else "due.resolution_asap", locale)
    if expected:
        key = "due.expected_answer" if answer else "due.expected_resolution"
    else:
        key = "due.answer" if answer else "due.resolution"
    return t(key, locale, deadline=when)


def deadline_label(ticket: TicketRow, locale: str, now: datetime) -> str:
    """The fact label for `deadline_text`: "Antwort spätestens" or "Erledigung bis"."""
    return t("fact.deadline" if answer_is_due(ticket, now) else "fact.resolution_due", locale)


def team_name(config: OrgConfig, team_id: str, locale: str) -> str:
    """A team's display name in `locale` (for staff)."""
    return config.team(team_id).name.get(locale)


def public_team_name(config: OrgConfig, team_id: str, locale: str) -> str:
    """A team's name as requesters read it: no internal codes."""
    return config.team(team_id).shown_to_requesters(locale)


def topic_name(config: OrgConfig, topic_id: str, locale: str) -> str:
    """A topic's display name in `locale`."""
    return config.topic(topic_id).name.get(locale)


def status_label(status: str, locale: str, *, staff: bool) -> str:
    """A ticket status in words: towards the requester "wartet auf Ihre Antwort", towards
    staff (cards, queue, their error messages) "wartet auf Antwort des Anfragenden"."""
    if staff and status == TicketStatus.WAITING_FOR_CUSTOMER.value:
        return t("staff.status.waiting_for_customer", locale)
    return t(f"status.{status}", locale)


# Who works on a ticket changes back and forth (claim, unclaim, claim again): each such
# status may replace the previous one where nothing was said since (Notice.merge).
MERGED_STATUS = frozenset({"ticket.claimed", "ticket.unclaimed"})


def to_requester(
    config: OrgConfig, ticket: TicketRow, key: str, now: datetime, **args: object
) -> Notice:
    """A status message to the requester: `key` from the catalogue plus the ticket's facts."""
    locale = ticket.requester_locale
    team = public_team_name(config, ticket.team_id, locale)
    values: dict[str, object] = {
        "id": ticket.id,
        "team": team,
        "deadline": deadline_text(config, ticket, locale, now),
        "due": due_sentence(config, ticket, locale, now),
        "expected": due_sentence(config, ticket, locale, now, expected=True),
    }
    values.update(args)
    return Notice(
        title=t("ticket.title", locale, id=ticket.id),
        text=t(key, locale, **values),
        facts=(
            Fact(t("fact.topic", locale), topic_name(config, ticket.topic_id, locale)),
            Fact(t("fact.team", locale), team),
            Fact(t("fact.status", locale), status_label(ticket.status, locale, staff=False)),
        ),
        ticket_id=ticket.id,
        channel_safe=False,
        merge=f"assignment-{ticket.id}" if key in MERGED_STATUS else None,
    )


def description_markup(ticket: TicketRow, locale: str) -> str:
    """The description as notice markup. Only its sender's deletion (or anonymisation)
    empties it, the intake never does; a deleted one reads "(vom Absender gelöscht)"."""
    if ticket.description or ticket.anonymised_at is not None:
        return literal(ticket.description)
    return t("ticket.description_deleted_mark", locale)


def card_key(ticket: TicketRow) -> str:
    """The card of the ticket's current stay in a queue: a new queue entry is a new post."""
    entered = ticket.queued_at or ticket.created_at
    return ticket_card_key(ticket.id, int(entered.timestamp() * 1000))


def ticket_card(
    config: OrgConfig,
    ticket: TicketRow,
    now: datetime,
    *,
    channel_team: str | None = None,
    note: str = "",
    private: bool = False,
    card: str | None = None,
) -> Notice:
    """The ticket's card in a team channel: number, topic, group, level, deadline, who has it.

    The same card (see `card_key`) is posted when the ticket enters a queue and re-sent at
    every change, so platforms that can edit show one up-to-date post. In the channel of a
    team that handed the ticket off, the card says where it went. A confidential ticket's
    text appears only in a `private` card (complaint managers' DMs).
    """
    locale = config.default_locale
    here = channel_team is None or channel_team == ticket.team_id
    description = description_markup(ticket, locale)
    if ticket.confidential and not private:
        description = t("channel.confidential", locale, id=ticket.id)
    status_line = _card_status(config, ticket, here, locale)
    text = "\n\n".join(part for part in (status_line, note, description) if part)
    group = "-"
    if ticket.customer_group_id:
        group = config.customer_group(ticket.customer_group_id).name.get(locale)
    facts = [
        Fact(t("fact.topic", locale), topic_name(config, ticket.topic_id, locale)),
        Fact(t("fact.customer_group", locale), group),
        Fact(t("fact.level", locale), t(f"level.{ticket.level}", locale)),
    ]
    if here and ticket.next_due_at is not None:
        label = deadline_label(ticket, locale, now)
        facts.append(Fact(label, deadline_text(config, ticket, locale, now)))
    if here and not ticket.anonymous and (private or not ticket.confidential):
        facts += _requester_facts(ticket, locale)
    if ticket.channel == PHONE:
        facts.append(Fact(t("fact.channel", locale), t("card.channel_phone", locale)))
    claimable = here and ticket.status in ("queued", "reopened")
    choices: list[Choice] = []
    if claimable:
        choices.append(Choice(button("claim", ticket.id), t("button.claim", locale)))
    if here and TicketStatus(ticket.status) in WORKABLE:
        if not ticket.confidential:
            choices.append(Choice(button("handoff", ticket.id), t("button.handoff", locale)))
        else:  # a complaint stays, but its team may read it (bot/service/complaint_relay.py)
            choices.append(Choice(button("relay", ticket.id), t("button.relay", locale)))
        choices.append(Choice(button("resolve", ticket.id), t("button.resolve", locale)))
    if here and ticket.status == TicketStatus.RESOLVED.value and not ticket.confidential:
        choices.append(Choice(button("faq", ticket.id), t("faq.button", locale)))  # issue 17
    return Notice(
        title=t(
            "card.title",
            locale,
            id=ticket.id,
            status=status_label(ticket.status, locale, staff=True),
        ),
        text=text,
        facts=tuple(facts),
        choices=tuple(choices),
        ticket_id=ticket.id,
        channel_safe=not private,
        card=card or card_key(ticket),
        mentions=(ticket.assignee,) if ticket.assignee and here else (),
    )


def _requester_facts(ticket: TicketRow, locale: str) -> list[Fact]:
    """Who asked and how to reach them, so the team can call back when asked to."""
    name = literal(ticket.requester_name or ticket.requester_id)
    platform = ticket.requester_platform
    if platform == PHONE:  # no chat to answer in: the team calls (or writes) back
        callback = t("card.callback", locale, address=literal(ticket.requester_id))
        return [Fact(t("fact.caller", locale), name), Fact(t("fact.contact", locale), callback)]
    key = f"card.contact.{platform}" if platform in CONTACT_PLATFORMS else "card.contact.other"
    address = literal(ticket.requester_id if platform == "matrix" else name)
    return [
        Fact(t("fact.requester", locale), name),
        Fact(t("fact.contact", locale), t(key, locale, address=address, id=ticket.id)),
    ]


def _card_status(config: OrgConfig, ticket: TicketRow, here: bool, locale: str) -> str:
    """One line on the card saying where the ticket stands."""
    if not here:
        return t("card.handed_off", locale, team=config.team(ticket.team_id).name.get(locale))
    agent = "-"
    if ticket.assignee is not None:
        person = config.person(ticket.assignee)
        agent = ticket.assignee if person is None else person.display_name
    key = {
        "queued": "card.queued",
        "reopened": "card.reopened",
        "claimed": "card.claimed",
        "waiting_for_customer": "card.waiting",
        "resolved": "card.resolved",
        "closed": "card.closed",
    }.get(ticket.status, "card.queued")
    return t(key, locale, agent=agent)


def to_staff(config: OrgConfig, ticket: TicketRow, key: str, **args: object) -> Notice:
    """A direct message to a staff member about a ticket (may contain its content)."""
    locale = config.default_locale
    return Notice(
        title=t("ticket.title", locale, id=ticket.id),
        text=t(key, locale, id=ticket.id, **args),
        ticket_id=ticket.id,
        channel_safe=False,
    )


def handoff_note(
    config: OrgConfig, from_team: str, reason: str, *, question: str | None, answer: str | None
) -> str:
    """The note on the card a handoff posts in the new team's channel: who gave it, why
    (only when a reason was given), and the last question back with its answer."""
    locale = config.default_locale
    team = config.team(from_team).name.get(locale)
    if reason:
        note = t("channel.handoff_note", locale, team=team, reason=literal(reason))
    else:
        note = t("channel.handoff_note_plain", locale, team=team)
    if question is not None:
        said = literal(answer) if answer else t("channel.handoff_unanswered", locale)
        note += "\n\n" + t(
            "channel.handoff_question", locale, question=literal(question), answer=said
        )
    return note


def handover_note(config: OrgConfig, giver: str | None, note: str) -> str:
    """A handover note (given with /zuweisen or /unclaim) as the card and DMs show it:
    "Übergabenotiz von Julia Weber: ...". Staff only: never in a requester's notice."""
    name = "-"
    if giver is not None:
        person = config.person(giver)
        name = giver if person is None else person.display_name
    locale = config.default_locale
    return t("card.handover_note", locale, who=literal(name), note=literal(note))
