"""The command table: every declared command has exactly one handler, checked when the
table is built (the bot's start), not when someone first types the command."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config.model import OrgConfig
from bot.conversation.command_handlers import CommandHandlers
from bot.conversation.command_runner import CommandRunner
from bot.conversation.command_table import (
    CommandTableError,
    Handler,
    command_table,
    flow_handlers,
)
from bot.conversation.flows import build_flows
from bot.conversation.intake_runner import IntakeRunner
from bot.conversation.replies import ReplyFlow
from bot.conversation.turn import Turn
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.service.tickets import TicketService
from dialogs.command_specs import SPECS
from dialogs.commands import Command


async def _nothing(turn: Turn, command: Command) -> list[Notice]:
    return []


def every_spec(**extra: Handler) -> dict[str, Handler]:
    return {**{spec.name: _nothing for spec in SPECS}, **extra}


def test_a_complete_table_has_one_row_per_spec_in_declaration_order() -> None:
    table = command_table(every_spec())
    assert list(table) == [spec.name for spec in SPECS]
    assert all(table[spec.name].spec is spec for spec in SPECS)


def test_a_spec_without_a_handler_fails_the_build() -> None:
    handlers = every_spec()
    del handlers["claim"], handlers["reopen"]
    with pytest.raises(CommandTableError, match=r"without a handler: \['claim', 'reopen'\]"):
        command_table(handlers)


def test_a_handler_for_no_spec_fails_the_build() -> None:
    with pytest.raises(CommandTableError, match=r"nobody declared: \['zaubern'\]"):
        command_table(every_spec(zaubern=_nothing))


def test_a_name_bound_twice_fails_the_build() -> None:
    handlers = every_spec()
    with pytest.raises(CommandTableError, match=r"bound twice: \['help'\]"):
        command_table(handlers, {"help": _nothing})


class _Flow:
    dialogs = frozenset({"some_form"})

    def __init__(self, commands: frozenset[str]) -> None:
        self.commands = commands

    async def command(self, *args: object) -> list[Notice]:
        return [Notice(text="flow")]

    async def turn(self, *args: object) -> list[Notice] | None:
        return None


def test_a_flows_commands_must_be_declared_direct_only() -> None:
    assert set(flow_handlers(_Flow(frozenset({"enrol", "rate"})))) == {"enrol", "rate"}
    with pytest.raises(CommandTableError, match=r"not declared direct_only: \['claim'\]"):
        flow_handlers(_Flow(frozenset({"claim"})))
    specs = tuple(replace(s, direct_only=False) if s.name == "rate" else s for s in SPECS)
    with pytest.raises(CommandTableError, match=r"\['rate'\]"):
        flow_handlers(_Flow(frozenset({"rate"})), specs)


def test_two_flows_claiming_one_command_fail_the_build() -> None:
    handlers = every_spec()
    del handlers["rate"]
    flow = flow_handlers(_Flow(frozenset({"rate"})))
    assert set(command_table(handlers, flow)) == {spec.name for spec in SPECS}
    with pytest.raises(CommandTableError, match=r"bound twice: \['rate'\]"):
        command_table(handlers, flow, flow)


def test_the_bots_own_table_is_complete(config: OrgConfig, clock: FrozenClock) -> None:
    """What the engine builds: the ticket commands, the dialog commands and every flow."""
    service = TicketService(config, clock)
    replies = ReplyFlow(config, service, clock)
    runner = CommandRunner(
        config,
        clock,
        service,
        CommandHandlers(config, service, clock),
        IntakeRunner(config, service, clock),
        replies,
        [*build_flows(config, clock), replies],
    )
    assert list(runner.table) == [spec.name for spec in SPECS]
    flow_commands = {name for flow in runner.flows for name in flow.commands}
    assert flow_commands == {
        "rate",
        "reply",
        "newsletter",
        "workshops",
        "enrol",
        "unenrol",
        "participants",
        "workshop_feedback",
        "questionnaire",
        "phone",
        "appointment",
    }
    direct_only = {spec.name for spec in SPECS if spec.direct_only}
    dialog_starts = {"new", "cancel", "complaint", "idea", "proposal"}
    relay = {"relay", "relay_ask"}  # nothing of the complaint relay in a channel
    assert direct_only == flow_commands | dialog_starts | {"hours"} | relay  # and own hours
