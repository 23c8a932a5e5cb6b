"""The handler table: every declared command bound to the coroutine that runs it.

The commands are declared once, in `dialogs.command_specs.SPECS`: names, aliases,
arguments, audience, whether they run in a direct chat only. What runs them needs sessions
and services, which the pure dialogs layer must not import, so the binding lives here. The
parts that own handlers (ticket commands, dialog commands, each flow) hand in their share
and the table is checked when it is built, that is when the bot starts: a declared command
without a handler, a handler for no declared command, or a name bound twice fails there,
never at the first user who types the command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.conversation.flows import Flow
from bot.conversation.turn import Turn
from bot.kernel.notices import Notice
from dialogs.command_specs import SPECS, Spec
from dialogs.commands import Command

Handler = Callable[[Turn, Command], Awaitable[list[Notice]]]


class CommandTableError(ValueError):
    """The declarations and the handlers do not match one to one."""


@dataclass(frozen=True)
class Binding:
    """One row of the table: the command's declaration and what runs it."""

    spec: Spec
    handler: Handler


def command_table(
    *parts: Mapping[str, Handler], specs: Sequence[Spec] = SPECS
) -> dict[str, Binding]:
    """One binding per spec, in declaration order; CommandTableError naming every mismatch."""
    handlers: dict[str, Handler] = {}
    twice: list[str] = []
    for part in parts:
        for name, handler in part.items():
            if name in handlers:
                twice.append(name)
            handlers[name] = handler
    declared = {spec.name for spec in specs}
    problems = []
    if missing := sorted(declared - handlers.keys()):
        problems.append(f"declared commands without a handler: {missing}")
    if unknown := sorted(handlers.keys() - declared):
        problems.append(f"handlers for commands nobody declared: {unknown}")
    if twice:
        problems.append(f"commands bound twice: {sorted(twice)}")
    if problems:
        raise CommandTableError("; ".join(problems))
    return {spec.name: Binding(spec, handlers[spec.name]) for spec in specs}


def flow_handlers(flow: Flow, specs: Sequence[Spec] = SPECS) -> dict[str, Handler]:
    """A flow's commands, each bound to the flow. A flow keeps its state in the direct
    chat's dialog slot, so its commands must be declared direct-only (else the table
    would let a channel start a flow the channel then cannot continue)."""
    declared = {spec.name: spec for spec in specs}
    shared = sorted(n for n in flow.commands if n in declared and not declared[n].direct_only)
    if shared:
        raise CommandTableError(f"flow commands not declared direct_only: {shared}")

    async def handle(turn: Turn, command: Command) -> list[Notice]:
        return await flow.command(turn.session, command, turn.key, turn.actor)

    return {name: handle for name in sorted(flow.commands)}


def ticket_of(command: Command) -> int:
    """The ticket number of a command whose spec requires one (the parser saw to it)."""
    if command.ticket_id is None:
        raise ValueError(f"{command.name} needs a ticket number")
    return command.ticket_id
