"""What a button or a reaction carries: one typed value, encoded in one place.

Adapters treat the encoded string as opaque (a Teams card's submit data, a Matrix reaction's
stored choice, the local chat's numbered list). The prompt id ties a button to the question
it answers: once that question is answered, expired or unknown, the button is stale and is
answered as such instead of being acted on.

Format: ``verb[:arg...][@prompt]``, e.g. ``rate:12:4@57``, ``claim:12``, ``topic:haushalt``.
Config ids are slugs, so neither ``:`` nor ``@`` occurs inside an argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel import limits

STALE = "stale"  # what an adapter reports for an answer to a question no longer shown
PROMPT_MARK = "@"
SEPARATOR = ":"
MAX_ENCODED = limits.limit("action_id")  # longer payloads are not ours: not decoded


@dataclass(frozen=True)
class ButtonAction:
    """A decoded button payload: what to do, with which arguments, for which prompt."""

    verb: str
    args: tuple[str, ...] = ()
    prompt: int | None = None

    def encode(self) -> str:
        """The string the adapters carry."""
        body = SEPARATOR.join((self.verb, *self.args))
        return body if self.prompt is None else f"{body}{PROMPT_MARK}{self.prompt}"

    def arg(self, index: int) -> str | None:
        """The argument at `index`, or None when the payload has fewer."""
        return self.args[index] if index < len(self.args) else None

    @classmethod
    def decode(cls, raw: str) -> ButtonAction | None:
        """The action in `raw`, or None for something no button of ours could have sent."""
        if not raw or len(raw) > MAX_ENCODED:
            return None
        body, mark, prompt_text = raw.rpartition(PROMPT_MARK)
        if not mark:
            body, prompt_text = raw, ""
        elif not prompt_text.isdecimal() or len(prompt_text) > 18:
            return None
        verb, *args = body.split(SEPARATOR)
        if not verb:
            return None
        return cls(verb, tuple(args), int(prompt_text) if prompt_text else None)


def button(verb: str, *args: object, prompt: int | None = None) -> str:
    """A button's payload: `button("claim", 12)` is "claim:12"."""
    return ButtonAction(verb, tuple(str(arg) for arg in args), prompt).encode()


def rating(ticket_id: int, score: int, prompt: int | None) -> str:
    """A rating button of the survey for `ticket_id`."""
    return ButtonAction("rate", (str(ticket_id), str(score)), prompt).encode()


def stale(ticket_id: int | None = None) -> str:
    """The payload an adapter reports for a choice its message no longer offers (a reaction
    the card dropped), naming the card's ticket where the message was a ticket card."""
    args = () if ticket_id is None else ("ticket", str(ticket_id))
    return ButtonAction(STALE, args).encode()


def without_prompt(raw: str) -> str:
    """The payload as older code reads it (the verb and arguments only)."""
    decoded = ButtonAction.decode(raw)
    if decoded is None or decoded.prompt is None:
        return raw
    return ButtonAction(decoded.verb, decoded.args).encode()
