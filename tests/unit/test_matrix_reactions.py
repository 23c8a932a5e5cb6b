"""Choice reactions wait a moment, run in the background and stop once the question is answered."""

from __future__ import annotations

import asyncio

import pytest

from adapters.matrix.reactions import ReactionTasks

ROOM = "!dm:localhost"


class Adding:
    """Stands in for adding one message's reactions: records when it ran."""

    def __init__(self, pause: float = 0.0, fail: bool = False) -> None:
        self.pause, self.fail = pause, fail
        self.started = self.finished = 0

    async def __call__(self) -> None:
        self.started += 1
        await asyncio.sleep(self.pause)
        if self.fail:
            raise RuntimeError("homeserver said no")
        self.finished += 1


async def test_reactions_follow_after_the_grace_period_without_blocking() -> None:
    tasks, adding = ReactionTasks(delay=0.05), Adding()
    assert tasks.schedule(ROOM, tasks.mark(ROOM), adding)  # returns at once
    assert tasks.running == 1 and adding.started == 0
    await asyncio.sleep(0.15)
    assert adding.finished == 1 and tasks.running == 0


async def test_an_answer_within_the_grace_period_sends_none() -> None:
    tasks, adding = ReactionTasks(delay=0.05), Adding()
    tasks.schedule(ROOM, tasks.mark(ROOM), adding)
    assert tasks.answered(ROOM) == 1
    await asyncio.sleep(0.1)
    assert adding.started == 0 and tasks.running == 0


async def test_an_answer_stops_reactions_being_added_and_spares_other_rooms() -> None:
    tasks = ReactionTasks(delay=0)
    slow, elsewhere = Adding(pause=0.2), Adding(pause=0.05)
    tasks.schedule(ROOM, tasks.mark(ROOM), slow)
    tasks.schedule("!other:localhost", tasks.mark("!other:localhost"), elsewhere)
    await asyncio.sleep(0.02)
    assert slow.started == 1
    tasks.answered(ROOM)
    await asyncio.sleep(0.1)
    assert slow.finished == 0 and elsewhere.finished == 1


async def test_an_answer_before_the_question_was_posted_means_no_reactions() -> None:
    tasks, adding = ReactionTasks(delay=0), Adding()
    mark = tasks.mark(ROOM)  # taken before posting
    tasks.answered(ROOM)  # the requester answered meanwhile
    assert not tasks.schedule(ROOM, mark, adding)
    await asyncio.sleep(0.02)
    assert adding.started == 0 and tasks.running == 0


async def test_a_failure_is_logged_and_forgotten(caplog: pytest.LogCaptureFixture) -> None:
    tasks = ReactionTasks(delay=0)
    tasks.schedule(ROOM, tasks.mark(ROOM), Adding(fail=True))
    await asyncio.sleep(0.02)
    assert tasks.running == 0
    assert "homeserver said no" in caplog.text


async def test_a_stop_adds_what_waits_at_once_and_cancels_what_takes_too_long() -> None:
    tasks, waiting, stuck = ReactionTasks(delay=10), Adding(), Adding(pause=10)
    tasks.schedule(ROOM, tasks.mark(ROOM), waiting)
    tasks.schedule("!other:localhost", tasks.mark("!other:localhost"), stuck)
    await tasks.finish(timeout=0.1)
    assert waiting.finished == 1  # no ten seconds' wait
    assert stuck.started == 1 and stuck.finished == 0  # given up after the timeout
    assert tasks.running == 0
