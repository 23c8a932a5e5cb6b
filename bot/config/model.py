"""The organisation config as typed, immutable values.

`bot.config.loader` turns a YAML file into these objects after `bot.config.validate`
has found no errors; everything else in the bot reads configuration only through them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Literal

# re-exported: the rest of the bot reads all config types from this module
from bot.config.model_calendar import CalendarConfig as CalendarConfig
from bot.config.model_calendar import MonthDay as MonthDay
from bot.config.model_calendar import OfficeInterval as OfficeInterval
from bot.config.settings import DialogSettings as DialogSettings
from bot.config.settings import OperationsSettings as OperationsSettings
from bot.config.settings import PrivacySettings as PrivacySettings

PLATFORMS: tuple[str, ...] = ("local", "matrix", "teams")
LOCALES: tuple[str, ...] = ("de", "en")


class Level(IntEnum):
    """Hotline level: 1st = Team BK, 2nd = specialist teams, 3rd = department leadership."""

    FIRST = 1
    SECOND = 2
    THIRD = 3


@dataclass(frozen=True)
class Texts:
    """A text in German (always present) and English (falls back to German)."""

    de: str
    en: str = ""

    def get(self, locale: str) -> str:
        """The text for `locale` ("de" or "en"), German when no English text exists."""
        if locale.startswith("en") and self.en:
            return self.en
        return self.de


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file, never the config itself."""

    env: str | None = None
    file: str | None = None

    def resolve(self, environ: Mapping[str, str] | None = None) -> str | None:
        """Read the secret now; None when neither the variable nor the file is set."""
        env = os.environ if environ is None else environ
        if self.env and env.get(self.env):
            return env[self.env]
        if self.file and Path(self.file).is_file():
            return Path(self.file).read_text(encoding="utf-8").strip()
        return None


@dataclass(frozen=True)
class CustomerGroup:
    """Kundengruppe, e.g. F1-F3, F4, KERN, suppliers; `handbook` names the handbook variant."""

    id: str
    name: Texts
    handbook: str | None = None


@dataclass(frozen=True)
class Person:
    """A member of a team, known by one user id per platform (platform -> user id).

    `hours`: their own working hours (weekday 0 = Monday), within the office calendar;
    None: the office hours. A /arbeitszeit setting overrides them (bot/people/hours.py).
    `deputy` names the person's standing deputy (Stellvertretung): who is asked instead
    while they are away and no deputy was given with the absence (bot/people/availability.py).
    """

    id: str
    display_name: str
    platform_ids: Mapping[str, str]
    hours: Mapping[int, tuple[OfficeInterval, ...]] | None = None
    deputy: str | None = None


@dataclass(frozen=True)
class Team:
    """A team with its hotline level, its channel per platform, its members and leads."""

    id: str
    name: Texts
    level: Level
    channels: Mapping[str, str]
    members: tuple[Person, ...]
    leads: tuple[str, ...]  # person ids; every lead is also in `members`
    closure_days: tuple[date, ...] = ()
    escalation_policy: str | None = None
    public_name: Texts | None = None  # what requesters read: no internal codes like "GL 2.12"
    deputy: str | None = None  # stands in for the team's leads while they are away
    screen_sharing_url: str | None = None  # link template ("{appointment_id}"): appointments

    def shown_to_requesters(self, locale: str) -> str:
        """The team's name as requesters read it (`public_name`, else `name`)."""
        return (self.public_name or self.name).get(locale)

    def person_for(self, platform: str, user_id: str) -> Person | None:
        """The member behind a platform user id, if any."""
        for person in self.members:
            if person.platform_ids.get(platform) == user_id:
                return person
        return None

    def lead_people(self) -> tuple[Person, ...]:
        """The members who lead this team (Gruppenleitung)."""
        return tuple(p for p in self.members if p.id in self.leads)


TopicKind = Literal["request", "complaint", "idea", "round_table"]
TOPIC_KINDS: tuple[str, ...] = ("request", "complaint", "idea", "round_table")


@dataclass(frozen=True)
class Topic:
    """A request topic; it routes to `team`. Sub-topics name their `parent`.

    `kind` says what the intake does with it: a request becomes a ticket in the team's
    queue; a complaint becomes a confidential ticket for the complaint managers only;
    ideas and round-table topics are collected as proposals for the leads.
    """

    id: str
    name: Texts
    team: str
    parent: str | None = None
    confidential: bool = False  # complaints: content never shown in team channels
    kind: TopicKind = "request"

    @property
    def is_confidential(self) -> bool:
        """Complaints are always confidential; other topics when configured so."""
        return self.confidential or self.kind == "complaint"


@dataclass(frozen=True)
class Link:
    """A form, handbook page or online help entry.

    `groups` lists the handbook variants or customer group ids the link is for (empty: every
    group): an F4 school must not be sent to the F1-F3 handbook.
    """

    title: Texts
    url: str
    groups: tuple[str, ...] = ()

    def serves(self, group: CustomerGroup | None) -> bool:
        """Whether a requester of this group should see the link (unknown group: all links)."""
        if not self.groups or group is None:
            return True
        return group.id in self.groups or group.handbook in self.groups


@dataclass(frozen=True)
class KnowledgeEntry:
    """A first-level answer (FAQ entry or form) for some topics.

    `answers` is keyed by handbook variant ("f1-f3", "f4", "kern"), by customer group id,
    or "default"; the handbooks differ per customer group, and so do the answers.
    """

    id: str
    topics: tuple[str, ...]
    question: Texts
    answers: Mapping[str, Texts]
    links: tuple[Link, ...] = ()

    def answer_for(self, group: CustomerGroup | None) -> Texts:
        """The variant for this customer group: its own, its handbook's, else the default."""
        if group is not None:
            for key in (group.id, group.handbook):
                if key is not None and key in self.answers:
                    return self.answers[key]
        return self.answers["default"]

    def links_for(self, group: CustomerGroup | None) -> tuple[Link, ...]:
        """The links for this customer group, as its answer text is its own variant."""
        return tuple(link for link in self.links if link.serves(group))


@dataclass(frozen=True)
class Roles:
    """Roles beyond team membership, by person id."""

    complaint_managers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()


WorkshopQuestionKind = Literal["scale", "text"]


@dataclass(frozen=True)
class WorkshopQuestion:
    """One question of the workshop feedback form: a 1-5 scale or free text."""

    id: str
    kind: WorkshopQuestionKind
    text: Texts


def _default_questions() -> tuple[WorkshopQuestion, ...]:
    def q(id_: str, kind: WorkshopQuestionKind, de: str, en: str) -> WorkshopQuestion:
        return WorkshopQuestion(id_, kind, Texts(de, en))

    return (
        q(
            "inhalte",
            "scale",
            "Wie zufrieden waren Sie mit den Inhalten?",
            "How satisfied were you with the content?",
        ),
        q(
            "vermittlung",
            "scale",
            "Wie verständlich wurden die Inhalte vermittelt?",
            "How clearly was the content explained?",
        ),
        q(
            "praxis",
            "scale",
            "Wie gut können Sie das Gelernte in Ihrer Arbeit anwenden?",
            "How well can you apply what you learned in your work?",
        ),
        q(
            "rahmen",
            "scale",
            "Wie bewerten Sie Organisation und Rahmen (Ort, Zeit, Technik)?",
            "How do you rate the organisation (place, time, technology)?",
        ),
        q(
            "gesamt",
            "scale",
            "Ihre Gesamtbewertung der Veranstaltung",
            "Your overall rating of the event",
        ),
        q(
            "anmerkungen",
            "text",
            "Was hat Ihnen gefallen, was können wir besser machen?",
            "What did you like, what can we do better?",
        ),
    )


@dataclass(frozen=True)
class WorkshopSettings:
    """Workshops: the feedback form and how long it stays open after the workshop."""

    questions: tuple[WorkshopQuestion, ...] = field(default_factory=_default_questions)
    feedback_days: int = 14


PolicyKind = Literal["same_or_next_working_day", "working_hours"]


@dataclass(frozen=True)
class SlaPolicy:
    """A deadline rule.

    same_or_next_working_day: due at the day's last closing time if at least
    `min_remaining` office time remains after arrival, else at the next working day's.
    working_hours: due when `duration` of office time has passed.
    """

    name: str
    kind: PolicyKind
    duration: timedelta | None = None
    min_remaining: timedelta | None = None


@dataclass(frozen=True)
class SlaTargets:
    """Which policy (by name) measures each deadline of a ticket."""

    first_response: str
    resolution: str
    update: str


@dataclass(frozen=True)
class SlaConfig:
    """Named policies, the default targets, and optional per-level overrides."""

    policies: Mapping[str, SlaPolicy]
    default: SlaTargets
    by_level: Mapping[Level, SlaTargets] = field(default_factory=dict)
    # The share of deadlines (percent) the department means to keep: the target line of the
    # report chart. The concept names no figure; 90 is the default until the leads set one.
    compliance_target: int = 90

    def targets_for(self, level: Level) -> SlaTargets:
        """The deadline policies that apply at a hotline level."""
        return self.by_level.get(level, self.default)


DeadlineKind = Literal["first_response", "resolution", "update"]
EscalationAction = Literal["remind", "notify_lead", "escalate"]


@dataclass(frozen=True)
class EscalationStep:
    """One step: `action` fires `before` or `after` (working time) the named deadline."""

    id: str
    deadline: DeadlineKind
    action: EscalationAction
    before: timedelta = timedelta(0)
    after: timedelta = timedelta(0)


@dataclass(frozen=True)
class EscalationPolicy:
    """Ordered steps; the last escalation repeats every `repeat_every`, at most `max_repeats`."""

    name: str
    steps: tuple[EscalationStep, ...]
    repeat_every: timedelta
    max_repeats: int
    # False: steps and repeats count wall-clock time and fire at night and on holidays too
    # (for a team on call); the deadlines themselves still follow the SLA calendar.
    office_hours_only: bool = True


@dataclass(frozen=True)
class BundlingConfig:
    """No DM storms: more than `threshold` sweep notices of one kind to one person within
    `window` go out as one message listing the tickets; at most `dm_ceiling_per_hour`
    such messages reach a person in an hour, the rest wait for one bundle when it ends."""

    window: timedelta = timedelta(minutes=10)
    threshold: int = 3
    dm_ceiling_per_hour: int = 10


@dataclass(frozen=True)
class EscalationConfig:
    """Scheduler and escalation settings (used by the deadlines feature)."""

    policies: Mapping[str, EscalationPolicy]
    default_policy: str
    sweep_interval: timedelta
    digest_at: time
    interim_update_after: timedelta
    claim_lease: timedelta
    by_level: Mapping[Level, str] = field(default_factory=dict)
    bundling: BundlingConfig = field(default_factory=BundlingConfig)


@dataclass(frozen=True)
class PlatformConfig:
    """Per-platform settings; secrets are references to environment variables or files."""

    name: str
    enabled: bool
    settings: Mapping[str, object]
    secrets: Mapping[str, SecretRef]


@dataclass(frozen=True)
class OrgConfig:
    """The whole organisation: who serves whom, when, and how fast."""

    name: str
    default_locale: str
    calendar: CalendarConfig
    customer_groups: tuple[CustomerGroup, ...]
    teams: tuple[Team, ...]
    topics: tuple[Topic, ...]
    sla: SlaConfig
    escalation: EscalationConfig
    platforms: Mapping[str, PlatformConfig]
    knowledge: tuple[KnowledgeEntry, ...] = ()
    roles: Roles = field(default_factory=Roles)
    dialogs: DialogSettings = field(default_factory=DialogSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    workshops: WorkshopSettings = field(default_factory=WorkshopSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)
    email: str | None = None  # the hotline's contact address (the .ics ORGANIZER), if any

    def team(self, team_id: str) -> Team:
        """The team with this id; KeyError if unknown."""
        for team in self.teams:
            if team.id == team_id:
                return team
        raise KeyError(team_id)

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError if unknown."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def customer_group(self, group_id: str) -> CustomerGroup:
        """The customer group with this id; KeyError if unknown."""
        for group in self.customer_groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def escalation_policy_for(self, team_id: str) -> EscalationPolicy:
        """The team's own policy, else its level's, else the default policy."""
        team = self.team(team_id)
        name = team.escalation_policy or self.escalation.by_level.get(team.level)
        return self.escalation.policies[name or self.escalation.default_policy]

    def teams_of(self, platform: str, user_id: str) -> tuple[Team, ...]:
        """The teams whose member this platform user is."""
        return tuple(t for t in self.teams if t.person_for(platform, user_id) is not None)

    def first_level_team(self) -> Team:
        """Team BK: the (first) team at level 1."""
        return next(t for t in self.teams if t.level == Level.FIRST)

    def leadership_team(self) -> Team | None:
        """The department leadership (level 3), if configured."""
        return next((t for t in self.teams if t.level == Level.THIRD), None)

    def person(self, person_id: str) -> Person | None:
        """A staff member by person id, from whichever team lists them."""
        for team in self.teams:
            for person in team.members:
                if person.id == person_id:
                    return person
        return None

    def person_by_platform(self, platform: str, user_id: str) -> Person | None:
        """The staff member behind a platform user id, if any."""
        for team in self.teams:
            person = team.person_for(platform, user_id)
            if person is not None:
                return person
        return None

    def knowledge_for(self, topic_id: str) -> tuple[KnowledgeEntry, ...]:
        """The first-level answers configured for a topic, in config order."""
        return tuple(entry for entry in self.knowledge if topic_id in entry.topics)

    def top_level_topics(self) -> tuple[Topic, ...]:
        """Topics without a parent, in config order (the intake menu)."""
        return tuple(t for t in self.topics if t.parent is None)

    def subtopics(self, parent_id: str) -> tuple[Topic, ...]:
        """The sub-topics of a topic, in config order."""
        return tuple(t for t in self.topics if t.parent == parent_id)
