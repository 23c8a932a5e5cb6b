"""The conversation model under interleaved input: a hypothesis state machine over the real
engine and a real (SQLite) database.

One requester and two agents of Budget / Haushalt, starting from a small world (a claimed
and a resolved ticket of the requester, tests/service/dialog_world.py). Rules interleave
intake steps, ratings typed and tapped, stale buttons (old prompt ids, old cards, garbage),
questions back and answers, resolve drafts, team picks, commands mid-dialog, cancel and
back words, and time passing. After every single input:

- it was answered (the sender got a notice) and the engine never had to apologise;
- a ticket was created only by the requester confirming a request (the intake stood at
  its confirmation), and resolved only by an agent (an owed answer sent, or /resolve);
- a stored rating changed only by the requester's explicit /bewertung; a new one only by
  the requester;
- a button whose prompt was already closed (or never issued) changed no ticket, rating or
  dialog state;
- an open rating question closed only by its requester's answer, or by the ticket being
  reopened with the requester told; a dialog's question closed only when that person's
  own dialog moved on.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.conversation.card_actions import PENDING_ANSWER, pending_key
from bot.kernel.actions import ButtonAction
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from storage.engine import make_engine, make_sessionmaker
from storage.models import AuditLogRow, DialogStateRow, OpenPromptRow, SatisfactionRow, TicketRow
from storage.repositories.dialog_states import load_dialog
from tests.harness import Harness
from tests.service import dialog_world as dw

CONFIG: OrgConfig = load_config(None)
REQUESTER = dw.REQUESTER
AGENTS = ("hh.schneider", "hh.weber")
CHANNEL = "haushalt"
REQUESTER_TEXTS = (
    "Hallo",
    "1",
    "2",
    "3",
    "4",
    "5",
    "9",
    "0",
    "ja",
    "nein",
    "-",
    "zurück",
    "abbrechen",
    "vielleicht",
    "4500012345",
    "haushalt",
    "Uns fehlen Mittel für Lernmittel",
    "Die Kostenstelle ist 4711",
    "/neu",
    "/abbrechen",
    "/meine",
    "/status",
    "/hilfe",
)
AGENT_TEXTS = (
    "Die Mittel sind gebucht.",
    "Senden",
    "Ändern",
    "abbrechen",
    "1",
    "2",
    "kreditoren",
    "/queue",
    "/abbrechen",
)
GARBAGE = ("colour:blue", "topic:gibtesnicht", "rate:x:y@abc", "claim:999999", "owed:send")
STEPS_RUN: list[int] = []  # steps per example, for the summary printed at the end
SEEN: dict[str, int] = {}  # how often each checked case occurred (each must occur)


@dataclass(frozen=True)
class Snapshot:
    """What an input may change, read before and after it."""

    tickets: dict[int, tuple[str, str | None, str]]
    ratings: dict[int, tuple[int, str | None]]
    # id -> (outcome, ticket, kind, whose)
    prompts: dict[int, tuple[str | None, int | None, str, str]]
    dialogs: dict[tuple[str, str, str], tuple[int, str]]
    failures: int
    asked_back: datetime | None  # the newest question back to the requester still waiting
    rating_asked: datetime | None  # the newest rating question still open


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dw.World]:
    path = tmp_path_factory.mktemp("machine") / "world.db"
    return path, dw.build_template(CONFIG, path)


class Conversations(RuleBasedStateMachine):
    """Drives the engine; every input goes through `send`, which checks the rules above."""

    template: tuple[Path, dw.World]
    workdir: Path

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        path = self.workdir / f"run-{time.monotonic_ns()}.db"
        shutil.copy(self.template[0], path)
        self.db: AsyncEngine = make_engine(f"sqlite+aiosqlite:///{path}")
        self.sessions = make_sessionmaker(self.db)
        self.clock = FrozenClock(dw.NOW)
        self.hotline = Harness(CONFIG, self.sessions, self.clock)
        self.world = self.template[1]
        self.buttons: dict[str, list[str]] = {REQUESTER: [], **{agent: [] for agent in AGENTS}}
        self.steps = 0

    def teardown(self) -> None:
        self.loop.run_until_complete(self.db.dispose())
        self.loop.close()
        STEPS_RUN.append(self.steps)

    # --- one input, checked ---------------------------------------------------------------

    def send(
        self, user: str, text: str = "", *, action: str | None = None, channel: bool = False
    ) -> None:
        self.loop.run_until_complete(self._send(user, text, action, channel))

    async def _send(self, user: str, text: str, action: str | None, channel: bool) -> None:
        before = await self._snapshot()
        confirming = user == REQUESTER and await self._intake_confirming()
        owing = user != REQUESTER and await self._owes_answer(user)
        stale = action is not None and _closed_prompt(action, before)
        dms = await self.hotline.say(
            user, text, action_id=action, channel=CHANNEL if channel else None
        )
        posted = await self.hotline.channel(CHANNEL) if channel else []
        told = [] if user == REQUESTER else await self.hotline.dm(REQUESTER)
        after = await self._snapshot()
        self.steps += 1
        self._remember(user, dms + posted)
        self._remember(REQUESTER, told)
        what = f"{user} {text!r} {action!r}"
        _seen("input")
        assert after.failures == before.failures, f"the engine apologised for {what}"
        assert dms or posted, f"no answer to {what}"
        if len(after.tickets) > len(before.tickets):
            assert confirming, f"a ticket nobody confirmed: {what}"
            _seen("ticket created")
        for number, (status, _, _) in after.tickets.items():
            was = before.tickets.get(number, ("", None, ""))[0]
            if status == "resolved" and was != "resolved":
                resolve_command = text.startswith("/resolve")
                assert user in AGENTS and (owing or resolve_command), f"resolved by {what}"
                _seen("ticket resolved")
        typed_number = action is None and text.strip().isdecimal()
        newer = before.asked_back is not None and (
            before.rating_asked is None or before.asked_back > before.rating_asked
        )
        if typed_number and newer:
            _seen("number typed for a question back")
            scores = {number: score for number, (score, _) in after.ratings.items()}
            assert scores == {n: score for n, (score, _) in before.ratings.items()}, (
                f"{what} rated while a question back waited"
            )
        for number, (score, _) in after.ratings.items():
            old = before.ratings.get(number)
            if old is None:
                assert user == REQUESTER, f"a rating by {what}"
                _seen("rating given")
            elif old[0] != score:
                assert text.startswith("/bewertung"), f"rating {old[0]}->{score} by {what}"
                _seen("rating changed")
        if stale:
            _seen("stale prompt pressed")
            assert after.tickets == before.tickets, f"stale {what} changed a ticket"
            assert after.ratings == before.ratings, f"stale {what} changed a rating"
            assert after.dialogs == before.dialogs, f"stale {what} changed a dialog"
        if any(kind == "which" for _, _, kind, _ in after.prompts.values()) and not any(
            kind == "which" for _, _, kind, _ in before.prompts.values()
        ):
            _seen("which question asked")
        if stale and _kind_of(action, before) == "dialog":
            _seen("earlier dialog question pressed")
        for prompt, (outcome, ticket, kind, whose) in after.prompts.items():
            if before.prompts.get(prompt, ("?",))[0] is None and outcome is not None:
                _seen(f"prompt closed: {outcome}")
                if kind == "dialog":  # the dialog moved on: its next message says where
                    assert outcome == "moved_on" and user == whose, f"{what} closed {whose}'s"
                elif kind == "which":  # "Wozu gehört Ihre Nachricht?" answered by its person
                    assert user == whose and outcome in ("reply", "dialog", "cancelled"), what
                elif outcome == "answered":
                    assert user == REQUESTER, f"{user} answered the requester's question"
                else:
                    assert ticket is not None and after.tickets[ticket][0] == "reopened"
                    assert user == REQUESTER or told, "the requester was not told"

    def _remember(self, user: str, notices: list[Notice]) -> None:
        """The buttons a user has seen: any of them may be pressed again, later."""
        for notice in notices:
            self.buttons[user] = (self.buttons[user] + [c.id for c in notice.choices])[-40:]

    async def _snapshot(self) -> Snapshot:
        async with self.sessions() as session:
            tickets = {
                row.id: (row.status, row.assignee, row.team_id)
                for row in (await session.scalars(select(TicketRow))).all()
            }
            ratings = {
                row.ticket_id: (row.score, row.comment)
                for row in (await session.scalars(select(SatisfactionRow))).all()
            }
            prompts = {
                row.id: (row.outcome, row.ticket_id, row.kind, row.user_id)
                for row in (await session.scalars(select(OpenPromptRow))).all()
            }
            dialogs = {
                (row.platform, row.conversation_id, row.user_id): (row.version, row.dialog)
                for row in (await session.scalars(select(DialogStateRow))).all()
            }
            failed = select(func.count()).where(AuditLogRow.action == "inbound_failed")
            failures = int(await session.scalar(failed) or 0)
            asked_back = await session.scalar(
                select(func.max(TicketRow.paused_at)).where(
                    TicketRow.status == "waiting_for_customer",
                    TicketRow.requester_id == REQUESTER,
                )
            )
            rating_asked = await session.scalar(
                select(func.max(OpenPromptRow.created_at)).where(
                    OpenPromptRow.closed_at.is_(None), OpenPromptRow.kind == "rating"
                )
            )
        return Snapshot(tickets, ratings, prompts, dialogs, failures, asked_back, rating_asked)

    async def _intake_confirming(self) -> bool:
        async with self.sessions() as session:
            stored = await load_dialog(session, key=dw.key_of(REQUESTER))
        return stored is not None and stored.dialog == "intake" and _kind(stored.state) == "Confirm"

    async def _owes_answer(self, agent: str) -> bool:
        async with self.sessions() as session:
            stored = await load_dialog(session, key=pending_key(Actor("local", agent)))
        return stored is not None and stored.dialog == PENDING_ANSWER

    # --- the rules --------------------------------------------------------------------------

    @initialize()
    def look_at_the_world(self) -> None:
        self._remember(REQUESTER, self.loop.run_until_complete(self.hotline.dm(REQUESTER)))

    @rule(text=st.sampled_from(REQUESTER_TEXTS))
    def requester_types(self, text: str) -> None:
        self.send(REQUESTER, text)

    @rule(index=st.integers(0, 39))
    def requester_presses_a_button_seen(self, index: int) -> None:
        seen = self.buttons[REQUESTER]
        if seen:
            self.send(REQUESTER, action=seen[index % len(seen)])

    @rule(action=st.sampled_from(GARBAGE))
    def requester_presses_garbage(self, action: str) -> None:
        self.send(REQUESTER, action=action)

    @rule(score=st.integers(0, 6), prompt=st.sampled_from([None, "rating", "first", 999999]))
    def requester_presses_a_rating(self, score: int, prompt: str | int | None) -> None:
        """A rating button naming the resolved ticket's rating question, the world's first
        prompt (a question of the intake that filed it), an unknown one, or none."""
        snapshot = self.loop.run_until_complete(self._snapshot())
        if prompt == "rating":
            rating = [n for n, (_, _, kind, _) in snapshot.prompts.items() if kind == "rating"]
            prompt = min(rating, default=None)
        elif prompt == "first":
            prompt = min(snapshot.prompts, default=None)
        number = prompt if isinstance(prompt, int) else None
        action = ButtonAction("rate", (str(self.world.resolved), str(score)), number)
        self.send(REQUESTER, action=action.encode())

    @rule(score=st.integers(0, 6), which=st.sampled_from(["resolved", "claimed"]))
    def requester_rates_on_purpose(self, score: int, which: str) -> None:
        self.send(REQUESTER, f"/bewertung {getattr(self.world, which)} {score}")

    @rule(first=st.integers(1, 5), second=st.integers(1, 5))
    def requester_rates_and_changes_it(self, first: int, second: int) -> None:
        self.send(REQUESTER, f"/bewertung {self.world.resolved} {first}")
        self.send(REQUESTER, f"/bewertung {self.world.resolved} {second}")

    @rule()
    def requester_files_a_request(self) -> None:
        for step in ("/neu", "1", "haushalt", "nein", "Uns fehlen Lernmittel", "-", "ja"):
            self.send(REQUESTER, step)

    @rule(
        agent=st.sampled_from(AGENTS),
        verb=st.sampled_from(["claim", "resolve", "handoff"]),
        newest=st.booleans(),
    )
    def agent_presses_a_card_button(self, agent: str, verb: str, newest: bool) -> None:
        self.send(agent, action=f"{verb}:{self._ticket(newest)}", channel=True)

    @rule(
        agent=st.sampled_from(AGENTS),
        newest=st.booleans(),
        send=st.sampled_from(["owed:send", "Senden", "1"]),
    )
    def agent_resolves_through_the_card(self, agent: str, newest: bool, send: str) -> None:
        self.send(agent, action=f"resolve:{self._ticket(newest)}", channel=True)
        self.send(agent, "Die Mittel sind gebucht.")
        if send.startswith("owed:"):
            self.send(agent, action=send)
        else:
            self.send(agent, send)

    def _ticket(self, newest: bool) -> int:
        if not newest:
            return self.world.claimed
        snapshot = self.loop.run_until_complete(self._snapshot())
        return max(snapshot.tickets)

    @rule(agent=st.sampled_from(AGENTS), text=st.sampled_from(AGENT_TEXTS))
    def agent_types(self, agent: str, text: str) -> None:
        self.send(agent, text)

    @rule(agent=st.sampled_from(AGENTS), index=st.integers(0, 39))
    def agent_presses_a_button_seen(self, agent: str, index: int) -> None:
        seen = self.buttons[agent]
        if seen:
            self.send(agent, action=seen[index % len(seen)])

    @rule(agent=st.sampled_from(AGENTS), which=st.sampled_from(["claimed", "second"]))
    def agent_asks_back(self, agent: str, which: str) -> None:
        self.send(agent, f"/ask {getattr(self.world, which)} Welche Kostenstelle?", channel=True)

    @rule(number=st.sampled_from(["1", "3", "5"]), which=st.sampled_from(["claimed", "second"]))
    def requester_answers_a_question_back_with_a_number(self, number: str, which: str) -> None:
        self.clock.advance(timedelta(minutes=2))
        self.send(AGENTS[1], f"/ask {getattr(self.world, which)} Wie viele?", channel=True)
        self.send(REQUESTER, number)

    @rule(text=st.sampled_from(["Die Kostenstelle ist 4711", "abbrechen"]))
    def requester_is_asked_back_while_writing(self, text: str) -> None:
        """A question back arrives while the requester writes a new request."""
        self.send(REQUESTER, "/neu")
        self.send(REQUESTER, "1")
        self.clock.advance(timedelta(minutes=2))
        self.send(AGENTS[0], f"/ask {self.world.claimed} Welche Kostenstelle?", channel=True)
        self.send(REQUESTER, text)

    @rule(agent=st.sampled_from(AGENTS))
    def agent_reopens(self, agent: str) -> None:
        self.send(agent, f"/reopen {self.world.resolved} Noch offen", channel=True)

    @rule(minutes=st.sampled_from([1, 16, 31, 25 * 60]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @invariant()
    def ratings_are_in_range(self) -> None:
        snapshot = self.loop.run_until_complete(self._snapshot())
        assert all(1 <= score <= 5 for score, _ in snapshot.ratings.values())


def _seen(case: str) -> None:
    SEEN[case] = SEEN.get(case, 0) + 1


def _kind(state: dict[str, Any]) -> str:
    return str(state.get("kind", ""))


def _closed_prompt(action: str, before: Snapshot) -> bool:
    """Whether `action` names a prompt that was already closed (or never issued)."""
    decoded = ButtonAction.decode(action)
    if decoded is None or decoded.prompt is None:
        return False
    return before.prompts.get(decoded.prompt, ("never",))[0] is not None


def _kind_of(action: str, before: Snapshot) -> str:
    """The kind of prompt `action` names ("" for none or an unknown one)."""
    decoded = ButtonAction.decode(action)
    if decoded is None or decoded.prompt is None:
        return ""
    known = before.prompts.get(decoded.prompt)
    return "" if known is None else known[2]


MACHINE_SETTINGS = settings(
    max_examples=20,
    derandomize=True,  # the same inputs every run: a CI failure reproduces here
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_conversation_model_holds_under_interleaved_input(
    template: tuple[Path, dw.World], tmp_path: Path
) -> None:
    Conversations.template = template
    Conversations.workdir = tmp_path
    STEPS_RUN.clear()
    SEEN.clear()
    started = time.monotonic()
    Conversations.TestCase.settings = MACHINE_SETTINGS
    Conversations.TestCase().runTest()
    took = time.monotonic() - started
    steps = sum(STEPS_RUN)
    print(f"\nconversation machine: {len(STEPS_RUN)} runs, {steps} inputs in {took:.1f} s")
    print("  " + ", ".join(f"{case}: {count}" for case, count in sorted(SEEN.items())))
    assert steps > 100, "the machine must really drive the engine"
    expected = {
        "number typed for a question back",
        "ticket created",
        "ticket resolved",
        "rating given",
        "rating changed",
        "stale prompt pressed",
        "prompt closed: answered",
        "prompt closed: reopened",
        "prompt closed: moved_on",
        "which question asked",
        "earlier dialog question pressed",
    }
    assert expected <= SEEN.keys(), f"cases never exercised: {expected - SEEN.keys()}"
