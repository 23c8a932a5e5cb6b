"""Answers in a team channel about one ticket go into its card's thread, naming the agent.

"Sie haben Nr. 1 übernommen." posted top-level told the whole channel something meant for
one person, without saying who "Sie" is. An answer to a command typed or pressed in a
channel that concerns a ticket (it carries `ticket_id`, or the command names one: a
refusal, "/status 5"; it is no card itself) is addressed to
the thread of that ticket's card and begins with the agent's name (a pill where the
platform has them); the adapter finds the card's post, or posts top-level where the card
was never shown in that channel.
"""

from __future__ import annotations

from dataclasses import replace

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.notices import Inbound, Notice
from dialogs.commands import Command, CommandError, command_from_action, is_command, parse_command


def threaded(config: OrgConfig, inbound: Inbound, notice: Notice, locale: str) -> Notice:
    """`notice` as the channel answer to `inbound`: in its ticket's thread when it is about
    one ticket, else unchanged (DM answers, cards, and answers about nothing in particular)."""
    if inbound.is_direct or notice.card is not None or notice.thread is not None:
        return notice
    ticket = notice.ticket_id or asked_about(inbound, locale)
    if ticket is None or not notice.channel_safe:
        return notice
    person = config.person_by_platform(inbound.platform, inbound.user_id)
    name = person.display_name if person is not None else inbound.display_name
    text = notice.text if not name else t("thread.named", locale, name=name, text=notice.text)
    mentions = notice.mentions if person is None else (*notice.mentions, person.id)
    return replace(notice, text=text, mentions=mentions, thread=ticket)


def asked_about(inbound: Inbound, locale: str) -> int | None:
    """The ticket the command typed or pressed names (a refusal, "/status 5"), if any."""
    command: Command | CommandError | None = None
    if inbound.action_id is not None:
        command = command_from_action(inbound.action_id)
    elif is_command(inbound.text):
        command = parse_command(inbound.text, locale)
    return command.ticket_id if isinstance(command, Command) else None
