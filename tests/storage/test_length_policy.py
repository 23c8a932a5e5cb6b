"""Every String(n) column against the length policy (`bot.kernel.limits`), on both stores.

Each column is either fed by a policy field whose limit (plus the fixed prefix the bot puts
in front, e.g. "user:" of a local conversation) is at most n, or declared internal: written
only from constants, config ids checked by check-config, numbers and clock values. A new
column fails `test_every_string_column_is_classified` until it is put in one of the two.
What the bot builds from ids (lookup keys) is stored as a digest when too long: proved on
SQLite and PostgreSQL below, as is a platform's message id that does not fit.
"""

from __future__ import annotations

from sqlalchemy import String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import storage.models  # noqa: F401  (registers every table)
from adapters.teams.references import ReferenceStore
from bot.kernel import limits
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Target
from storage.base import Base
from storage.models import OutboxRow, SentMessageRow
from storage.repositories import outbox, platform_state, sent_messages

Sessions = async_sessionmaker[AsyncSession]

# table.column -> (policy field, characters the bot adds in front of the value)
FED: dict[str, tuple[str, int]] = {
    "audit_log.user_id": ("user_id", 0),
    "dialog_states.conversation_id": ("conversation_id", 0),
    "dialog_states.user_id": ("user_id", 0),
    "inbound_events.event_id": ("event_id", 0),
    "inbox.event_id": ("event_id", 0),
    "knowledge_feedback.user_id": ("user_id", 0),
    "knowledge_feedback.topic_id": ("config_id", 0),
    "knowledge_feedback.customer_group_id": ("config_id", 0),
    "knowledge_feedback.entry_id": ("config_id", 0),
    "local_cursors.user_id": ("local_user_id", 0),
    "local_messages.conversation": ("local_user_id", len("channel:")),
    "local_typed.user_id": ("local_user_id", 0),
    "local_typed.locale": ("locale", 0),
    "local_typed.display_name": ("display_name", 0),
    "newsletter_subscriptions.user_id": ("user_id", 0),
    "newsletter_subscriptions.group_id": ("config_id", 0),
    "newsletter_subscriptions.locale": ("locale", 0),
    "newsletters.author_id": ("user_id", 0),
    "newsletters.author_locale": ("locale", 0),
    "open_prompts.user_id": ("user_id", 0),
    # a user's DM, a channel (inbound or config), or a person of the config
    "outbox.target_address": ("user_id", 0),
    "outbox.dedupe_key": ("dedupe_key", 0),
    "outbox.message_ref": ("message_ref", 0),
    "notice_pacing.address": ("user_id", 0),  # a staff DM's address (outbox.target_address)
    "platform_state.key": ("state_key", 0),
    "proposals.topic_id": ("config_id", 0),
    "proposals.customer_group_id": ("config_id", 0),
    "proposals.requester_id": ("user_id", 0),
    "proposals.requester_name": ("display_name", 0),
    "sent_messages.room": ("conversation_id", 0),
    "sent_messages.message_ref": ("message_ref", 0),
    "person_hours.person_id": ("config_id", 0),
    "tickets.topic_id": ("config_id", 0),
    "tickets.customer_group_id": ("config_id", 0),
    "tickets.team_id": ("config_id", 0),
    "complaint_relays.team_id": ("config_id", 0),
    "complaint_relays.forwarded_by": ("config_id", 0),  # a person id of the config
    "complaint_relay_questions.asked_by": ("config_id", 0),
    "tickets.assignee": ("config_id", 0),
    "tickets.escalation_step": ("config_id", 0),
    "tickets.reference": ("reference", 0),
    "tickets.description_event": ("event_id", 0),
    "tickets.requester_id": ("user_id", 0),
    "tickets.requester_name": ("display_name", 0),
    "tickets.requester_locale": ("locale", 0),
    "tickets.escalation_acked_by": ("config_id", 0),
    "user_profiles.user_id": ("user_id", 0),
    "user_profiles.customer_group_id": ("config_id", 0),
    "user_profiles.locale": ("locale", 0),
    "user_profiles.display_name": ("display_name", 0),
    "workshops.code": ("workshop_code", 0),
    "workshops.place": ("workshop_place", 0),
    "workshops.trainer_team": ("config_id", 0),
    "escalation_steps.step": ("config_id", 0),
    "newsletter_deliveries.user_id": ("user_id", 0),
    "newsletter_deliveries.locale": ("locale", 0),
    "satisfaction.team_id": ("config_id", 0),
    "satisfaction.topic_id": ("config_id", 0),
    "satisfaction.customer_group_id": ("config_id", 0),
    "ticket_events.actor_id": ("user_id", 0),
    "ticket_events.actor_person": ("config_id", 0),
    "workshop_registrations.user_id": ("user_id", 0),
    "workshop_registrations.display_name": ("display_name", 0),
    "workshop_registrations.customer_group_id": ("config_id", 0),
    "workshop_registrations.locale": ("locale", 0),
    "absences.person_id": ("config_id", 0),
    "absences.deputy_id": ("config_id", 0),
    "absences.created_by": ("config_id", 0),
    "faq_entries.topic_id": ("config_id", 0),
    "faq_entries.proposed_by": ("config_id", 0),
    "faq_entries.decided_by": ("config_id", 0),
    "appointments.agent": ("config_id", 0),  # the proposing staff member's person id
}

# table.column -> what writes it (nothing a user or a platform chooses)
PLATFORM_NAME = "an adapter's platform constant: local, matrix, teams"
STATE = "a status or kind constant of the code"
INTERNAL: dict[str, str] = {
    **{
        f"{table}.{column}": PLATFORM_NAME
        for table, column in [
            ("audit_log", "platform"),
            ("dialog_states", "platform"),
            ("inbound_events", "platform"),
            ("inbox", "platform"),
            ("knowledge_feedback", "platform"),
            ("newsletter_subscriptions", "platform"),
            ("newsletters", "author_platform"),
            ("open_prompts", "platform"),
            ("outbox", "platform"),
            ("platform_state", "platform"),
            ("proposals", "requester_platform"),
            ("sent_messages", "platform"),
            ("tickets", "requester_platform"),
            ("newsletter_deliveries", "platform"),
            ("ticket_events", "actor_platform"),
            ("workshop_registrations", "platform"),
            ("user_profiles", "platform"),
            ("notice_pacing", "platform"),
            ("appointments", "agent_platform"),
        ]
    },
    **{
        f"{table}.{column}": STATE
        for table, column in [
            ("audit_log", "action"),
            ("dialog_states", "dialog"),
            ("newsletters", "status"),
            ("open_prompts", "kind"),
            ("open_prompts", "outcome"),
            ("outbox", "target_kind"),
            ("outbox", "status"),
            ("proposals", "kind"),
            ("proposals", "status"),
            ("tickets", "status"),
            ("tickets", "channel"),
            ("workshops", "topic"),
            ("workshops", "status"),
            ("escalation_steps", "action"),
            ("newsletter_deliveries", "status"),
            ("ticket_events", "action"),
            ("ticket_events", "from_status"),
            ("ticket_events", "to_status"),
            ("ticket_events", "audience"),
            ("workshop_registrations", "status"),
            ("outbox", "bundle_kind"),
            ("notice_pacing", "kind"),
            ("faq_entries", "status"),
            ("appointments", "status"),
        ]
    },
    "instances.id": "uuid4 hex of a running instance (32)",
    "outbox.lease_holder": "the leasing instance's id (32)",
    "scheduler_leases.name": "a job name constant",
    "scheduler_leases.holder": "the instance id (32)",
    "local_typed.event_id": "uuid4 hex made by the shell (32)",
    "sent_messages.card": "'ticket-<id>-<ms>' (ticket_card_key), 'relay-<id>-<tag>' (relay_card)",
    "complaint_relays.pseudonym": "'B-' and at most 6 digits (bot/service/complaint_relay.py)",
    "escalation_steps.key": "'t<id>:<deadline>:<timestamp>:<step id>', step id <= config_id",
}


def string_columns() -> dict[str, int]:
    """table.column -> n of every String(n) (not TEXT) column of the models."""
    return {
        f"{table.name}.{column.name}": int(column.type.length or 0)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String) and not isinstance(column.type, Text)
    }


def test_every_string_column_is_classified() -> None:
    columns = string_columns()
    unclassified = sorted(set(columns) - set(FED) - set(INTERNAL))
    assert not unclassified, f"classify these columns in FED or INTERNAL: {unclassified}"
    assert not set(FED) & set(INTERNAL)
    gone = sorted((set(FED) | set(INTERNAL)) - set(columns))
    assert not gone, f"no such String columns any more: {gone}"


def test_no_fed_column_is_shorter_than_its_field() -> None:
    columns = string_columns()
    for name, (field, prefix) in FED.items():
        longest = limits.limit(field) + prefix
        assert longest <= columns[name], f"{name}: {field} may be {longest} > {columns[name]}"
        assert field in limits.POLICY


def test_every_policy_field_is_dealt_with() -> None:
    """Each field says what happens past its limit; none is left without a behaviour."""
    for field, policy in limits.POLICY.items():
        assert policy.chars > 0 and policy.why, field
        assert isinstance(policy.too_long, limits.TooLong)


async def test_long_state_keys_are_stored_as_digests(
    sessions: Sessions, clock: FrozenClock
) -> None:
    long_key, other = "dm:@" + "u" * 400, "dm:@" + "u" * 399 + "v"
    async with sessions() as session, session.begin():
        for key, value in ((long_key, "!room1"), (other, "!room2"), ("dm:@short", "!r3")):
            await platform_state.set_value(
                session, platform="matrix", key=key, value=value, at=clock.now()
            )
        await platform_state.set_value(
            session, platform="matrix", key=long_key, value="!room4", at=clock.now()
        )
    async with sessions() as session:
        assert await platform_state.get_value(session, platform="matrix", key=long_key) == "!room4"
        assert await platform_state.get_value(session, platform="matrix", key=other) == "!room2"
        assert await platform_state.get_value(session, platform="matrix", key="dm:@short") == "!r3"


async def test_long_dedupe_keys_still_dedupe(sessions: Sessions, clock: FrozenClock) -> None:
    key = "matrix-failed:$" + "e" * 300
    target = Target("matrix", "user", "@a:example.org")
    for _ in range(2):
        async with sessions() as session, session.begin():
            await outbox.enqueue(
                session, target=target, payload={"text": "x"}, at=clock.now(), dedupe_key=key
            )
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session, target=target, payload={"text": "y"}, at=clock.now(), dedupe_key=key + "2"
        )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 2


async def test_a_message_id_that_does_not_fit_is_not_recorded(
    sessions: Sessions, clock: FrozenClock
) -> None:
    fits, too_long = "$" + "m" * (limits.limit("message_ref") - 1), "$" + "m" * 300
    async with sessions() as session, session.begin():
        for ref in (fits, too_long):
            await sent_messages.remember_post(
                session,
                platform="matrix",
                room="!room:example.org",
                message_ref=ref,
                edited=False,
                card="ticket-1-1",
                choices=["claim:1"],
                at=clock.now(),
            )
    async with sessions() as session:
        refs = (await session.scalars(select(SentMessageRow.message_ref))).all()
    assert refs == [fits]


async def test_teams_references_of_long_ids(sessions: Sessions, clock: FrozenClock) -> None:
    """Teams stores a reference per user before the engine sees the message (and drops it
    for its too long id): its key fits as a digest, and is found again by a new instance."""
    key = "ref:user:" + "a" * limits.limit("user_id")
    await ReferenceStore(sessions, clock).put({key: '{"conversation_id": "a:1"}'})
    assert await ReferenceStore(sessions, clock).get(key) == '{"conversation_id": "a:1"}'
