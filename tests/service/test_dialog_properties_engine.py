"""Properties of every dialog the engine keeps, under arbitrary input (hypothesis).

Each example starts from the same small world (tests/service/dialog_world.py), stores one
dialog state in the user's conversation slot (an intake step, the follow-up after a
question back, the answer a staff member owes after pressing "Erledigt" on a card, a reply
held until the requester says which of two waiting tickets it is
for, the comment after a rating, the workshop feedback form, the newsletter menu, the
newsletter send dialog, idle, or none; fresh or expired; with none, one or two tickets
waiting for the requester's answer), then sends one message through the ENGINE: random
text, commands, or a random button id (this dialog's, another dialog's, stale ones such as
claim:999 or rate:1:9, garbage). Then:

- no exception escapes: the engine never had to apologise (no "inbound_failed" audit row,
  no internal-error notice), and no domain error went unanswered;
- every input is answered with at least one notice; there is no quiet case any more (a
  cancel command in a conversation with nothing to cancel, once answered with silence, says
  so: the last test pins the answer of "/abbrechen" in every slot);
- the dialog slot afterwards holds a state its dialog can load, and the next message
  ("Hallo") is answered normally.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.conversation.card_actions import pending_key
from bot.conversation.engine import clean_text
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.newsletter.compose import STEPS, Draft
from bot.service.actors import Actor
from dialogs.commands import Command, is_command, parse_command
from dialogs.intake_states import load_state
from dialogs.workshop_form import Progress
from storage.engine import make_engine, make_sessionmaker
from storage.repositories import audit
from storage.repositories.dialog_states import load_dialog
from tests.harness import Harness
from tests.service import dialog_world as dw
from tests.service import matrix_support as ms
from tests.unit.test_dialog_properties import CHOICE_IDS, states

CONFIG: OrgConfig = load_config(None)
QUESTIONS = len(CONFIG.workshops.questions)
GROUPS = [group.id for group in CONFIG.customer_groups]
TIMEOUT = CONFIG.dialogs.timeout
NOTHING_TO_CANCEL = (None, "idle", "followup")  # slots that hold no input in progress
KNOWN_SLOTS = {
    "intake",
    "idle",
    "followup",
    "csat_comment",
    "workshop_feedback",
    "newsletter_menu",
    "newsletter_send",
    "reply_pick",
}
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dw.World]:
    """The world, built once; every example works on a copy."""
    path = tmp_path_factory.mktemp("dialogs") / "world.db"
    return path, dw.build_template(CONFIG, path)


def world_numbers() -> dw.World:
    """The ids the template will hold (it is built the same way every time)."""
    return dw.World(claimed=1, resolved=2, workshop=1, second=3)


W = world_numbers()
BUTTONS = sorted(
    {
        *CHOICE_IDS,
        *(f"rate:{W.resolved}:{score}" for score in range(1, 6)),
        f"rate:{W.claimed}:3",
        "rate:1:9",
        "rate:999:3",
        f"reopen:{W.resolved}",
        "reopen:999",
        "claim:999",
        f"claim:{W.claimed}",
        "ack:1",
        f"history:{W.claimed}",
        "status:1",
        *(f"wsq:{W.workshop}:{value}" for value in range(0, 7)),
        "wsq:999:3",
        f"questionnaire:{W.workshop}",
        f"enrol:{W.workshop}",
        f"unenrol:{W.workshop}",
        "enrol:999",
        "nl:sub:f4",
        "nl:unsub:f4",
        "nl:sub:nowhere",
        "nl:done",
        "nl:next",
        "nl:cancel",
        "nl:send",
        "nlg:f4",
        "nlg:kern",
        "nlg:nowhere",
        f"reply:{W.claimed}",
        f"reply:{W.second}",
        f"reply:{W.resolved}",
        "reply:999",
    }
)
COMMANDS = [
    "/abbrechen jetzt",
    "/hilfe",
    "/neu",
    "/meine",
    f"/status {W.claimed}",
    "/status 999",
    f"/bewertung {W.resolved} 5",
    "/bewertung 1 9",
    f"/fragebogen {W.workshop}",
    "/newsletter",
    "/newsletter senden",
    "/claim 999",
    f"/claim {W.claimed}",
    f"/resolve {W.claimed} Erledigt, danke",
    f"/handoff {W.claimed} ccc passt besser",
    f"/antwort {W.claimed} Kostenstelle 4711",
    f"/ack {W.claimed}",
    f"/teilnehmer {W.workshop}",
    "/queue",
    "/eskalationen",
    "/themen",
    "/bericht 2026-13",
    "/zusammenfuehren 1 1",
    "/sprache fr",
    "/unbekannt",
    "/SAP/SRM hängt",
]
WORDS = [
    "ja",
    "nein",
    "-",
    "zurück",
    "abbrechen",
    "fertig",
    "weiter",
    "1",
    "5",
    "0",
    "12",
    "2, 3",
    "²",
    "Hallo",
    "Rechnung 4711 bitte prüfen",
    "**fett** <b>x</b>",
    "\x00",
    "   ",
    "",
]
CANCELS = ["/abbrechen", "/stop", "!cancel", "/Abbrechen", " /cancel "]
texts = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(CANCELS),
    st.sampled_from(COMMANDS),
    st.text(max_size=40),
    st.text(min_size=1, max_size=300).map(lambda text: text + " und mehr Worte"),
    st.just("x" * 2500),  # longer than the sample's limit
)
buttons = st.one_of(st.none(), st.none(), st.sampled_from(BUTTONS), st.text(max_size=20))
ages = st.sampled_from([timedelta(0), timedelta(minutes=10), TIMEOUT + timedelta(minutes=5)])
titles = st.text(min_size=1, max_size=40).filter(str.strip)
drafts = st.builds(
    dw.draft_state,
    st.sampled_from(STEPS),
    st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True).map(tuple),
    titles,
    st.text(min_size=10, max_size=120).filter(lambda body: len(body.strip()) >= 10),
)
forms = st.builds(
    lambda index, score: dw.form_state(
        W, index, {q.id: score for q in CONFIG.workshops.questions[:index]}
    ),
    st.integers(min_value=0, max_value=QUESTIONS - 1),
    st.integers(min_value=1, max_value=5),
)
# the requester, a Team BK member (newsletter author), an agent of the tickets' team, a lead
users = st.sampled_from([dw.REQUESTER, dw.AUTHOR, "hh.weber", "leitung.meyer"])


def plan(user: str, dialog: str | None, state: Any) -> st.SearchStrategy[dw.Seed]:
    """Seeds of one dialog kind, of any age, with or without a ticket waiting."""
    return st.builds(
        dw.Seed,
        st.just(user),
        st.just(dialog),
        state if isinstance(state, st.SearchStrategy) else st.just(state),
        ages,
        st.integers(min_value=0, max_value=2) if user == dw.REQUESTER else st.just(0),
    )


SEEDS: dict[str, st.SearchStrategy[dw.Seed]] = {
    "none": users.flatmap(lambda user: plan(user, None, {})),
    "idle": users.flatmap(lambda user: plan(user, "idle", {})),
    "intake": users.flatmap(lambda user: plan(user, "intake", states.map(dw.intake_state))),
    "followup": plan(dw.REQUESTER, "followup", {"ticket": W.claimed}),
    "csat": plan(
        dw.REQUESTER,
        "csat_comment",
        st.integers(min_value=1, max_value=5).map(lambda s: {"ticket": W.resolved, "score": s}),
    ),
    "form": users.flatmap(lambda user: plan(user, "workshop_feedback", forms)),
    "menu": users.flatmap(lambda user: plan(user, "newsletter_menu", {})),
    "send": plan(dw.AUTHOR, "newsletter_send", drafts),
    "owed": plan(ms.AGENT, "resolve_answer", {"ticket": W.claimed}),
    "pick": st.builds(
        dw.Seed,
        st.just(dw.REQUESTER),
        st.just("reply_pick"),
        st.text(min_size=1, max_size=60).map(
            lambda text: {"text": text, "tickets": [W.claimed, W.second]}
        ),
        ages,
        st.just(2),
    ),
}
# Every kind equally often; the intake (nine states) twice as often.
seeds = st.sampled_from([*SEEDS, "intake"]).flatmap(SEEDS.__getitem__)


def is_cancel(text: str) -> bool:
    """Whether the engine reads `text` as the cancel command."""
    cleaned = clean_text(text)
    if not is_command(cleaned):
        return False
    command = parse_command(cleaned)
    return isinstance(command, Command) and command.name == "cancel"


def loadable(dialog: str, state: dict[str, Any]) -> bool:
    """Whether the dialog that owns the slot can take its state up again."""
    if dialog == "intake":
        return load_state(state) is not None
    if dialog == "followup":
        return isinstance(state.get("ticket"), int)
    if dialog == "csat_comment":
        return isinstance(state.get("ticket"), int) and state.get("score") in range(1, 6)
    if dialog == "workshop_feedback":
        progress = Progress.from_state(state)
        return progress is not None and 0 <= progress.index < QUESTIONS
    if dialog == "newsletter_send":
        return Draft.from_state(state).to_state() == state
    if dialog == "reply_pick":
        tickets = state.get("tickets")
        return (
            isinstance(state.get("text"), str)
            and isinstance(tickets, list)
            and bool(tickets)
            and all(isinstance(number, int) for number in tickets)
        )
    return state == {}


def assert_answered(notices: list[Notice]) -> None:
    """Answered, never with an apology for an internal error."""
    assert notices, "every input gets an answer"
    for notice in notices:
        assert (notice.title or notice.text).strip()
        assert notice.text != t("error.internal", "de")


async def run_example(
    copy: Path, world: dw.World, seed: dw.Seed, text: str, button: str | None
) -> list[Notice]:
    """One example on a private copy of the world; the answer to `text`."""
    engine = make_engine(f"sqlite+aiosqlite:///{copy}")
    try:
        sessions = make_sessionmaker(engine)
        hotline = Harness(CONFIG, sessions, FrozenClock(dw.NOW))
        await dw.seed(sessions, hotline.engine, world, seed)
        await hotline.dm(seed.user)  # the world's old messages are not answers
        notices = await hotline.say(seed.user, text, action_id=button)
        async with sessions() as session:
            failed = await audit.entries(session, action="inbound_failed")
            stored = await load_dialog(session, key=dw.key_of(seed.user))
            owed = await load_dialog(session, key=pending_key(Actor("local", seed.user)))
        assert failed == [], [entry.detail for entry in failed]
        if currently_in_test_context():  # statistics: --hypothesis-show-statistics
            cancel = button is None and is_cancel(text)
            event(f"slot {seed.dialog}{', cancel' if cancel else ''}")
        assert_answered(notices)
        if stored is not None:
            assert stored.dialog in KNOWN_SLOTS, stored.dialog
            assert loadable(stored.dialog, stored.state), (stored.dialog, stored.state)
        if owed is not None:
            assert owed.dialog == "resolve_answer" and isinstance(owed.state.get("ticket"), int)
        assert_answered(await hotline.say(seed.user, "Hallo"))
        async with sessions() as session:
            assert await audit.entries(session, action="inbound_failed") == []
        return notices
    finally:
        await engine.dispose()


def test_the_template_holds_the_numbers_the_strategies_use(
    template: tuple[Path, dw.World],
) -> None:
    assert template[1] == W
    assert QUESTIONS >= 2 and len(GROUPS) == 8


@SETTINGS
@given(seed=seeds, text=texts, button=buttons)
def test_every_dialog_state_answers_every_input_through_the_engine(
    template: tuple[Path, dw.World],
    tmp_path_factory: pytest.TempPathFactory,
    seed: dw.Seed,
    text: str,
    button: str | None,
) -> None:
    path, world = template
    copy = tmp_path_factory.mktemp("example") / "h.db"
    shutil.copy(path, copy)
    asyncio.run(run_example(copy, world, seed, text, button))


CANCEL_CASES = [
    (None, {}, "cmd.nothing_to_cancel"),
    ("idle", {}, "cmd.nothing_to_cancel"),
    ("followup", {"ticket": W.claimed}, "cmd.nothing_to_cancel"),
    ("intake", {"kind": "AskGroup"}, "intake.cancelled"),
    ("csat_comment", {"ticket": W.resolved, "score": 2}, "cmd.cancelled"),
    ("workshop_feedback", dw.form_state(W, 0, {}), "cmd.cancelled"),
    ("newsletter_menu", {}, "cmd.cancelled"),
    (
        "reply_pick",
        {"text": "Kostenstelle 4711", "tickets": [W.claimed, W.second]},
        "cmd.cancelled",
    ),
    ("resolve_answer", {"ticket": W.claimed}, "card.answer_cancelled"),
]


@pytest.mark.parametrize(("dialog", "state", "key"), CANCEL_CASES)
def test_cancel_is_answered_in_every_slot(
    template: tuple[Path, dw.World],
    tmp_path: Path,
    dialog: str | None,
    state: dict[str, Any],
    key: str,
) -> None:
    path, world = template
    assert (key == "cmd.nothing_to_cancel") is (dialog in NOTHING_TO_CANCEL)
    copy = tmp_path / "h.db"
    shutil.copy(path, copy)
    user = ms.AGENT if dialog == "resolve_answer" else dw.REQUESTER
    seed = dw.Seed(user, dialog, state, timedelta(0), 2 if dialog == "reply_pick" else 0)
    notices = asyncio.run(run_example(copy, world, seed, "/abbrechen", None))
    assert [notice.text for notice in notices] == [t(key, "de", id=W.claimed)]
