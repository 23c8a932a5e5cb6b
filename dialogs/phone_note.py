"""The phone note (Telefonnotiz): Team BK records a call as a ticket, step by step.

Pure like the intake: `step(note, input, ctx)` -> (note, notices, effect). The questions are
asked in a fixed order (caller, customer group, topic, description, how to reach them,
solved on the spot?, confirm); "zurück" goes one question back, "abbrechen" ends it at
every step. Whether a typed name is a chat user the hotline knows needs the database: the
runner looks it up before the step and hands it in (`PhoneInput.known`), so the step
itself stays a function of its inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from bot.domain.requests import PhoneCall
from bot.kernel import limits
from bot.kernel.actions import ButtonAction
from bot.kernel.notices import Notice
from dialogs import phone_prompts as p
from dialogs.choices import match_choice
from dialogs.control_words import is_back, is_cancel
from dialogs.intake_prompts import Context
from dialogs.phone_contact import Contact, KnownUser, chat_contact, read_contact

QUESTIONS = ("caller", "group", "topic", "description", "contact", "solved", "confirm")
MIN_DESCRIPTION_WORDS = 2
MAX_NAME = limits.limit("display_name")
PHONE_VERBS = frozenset({"pgroup", "ptopic", "psolved", "pconfirm", "back"})


@dataclass(frozen=True)
class PhoneNote:
    """What is known of the call so far, and the question asked now (one of QUESTIONS)."""

    ask: str = "caller"
    caller: str | None = None
    group: str | None = None
    topic: str | None = None
    description: str | None = None
    contact: Contact | None = None
    solved: bool | None = None

    def to_state(self) -> dict[str, Any]:
        """As stored in the dialog slot."""
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PhoneNote | None:
        """Back from the dialog slot; None for anything that is not a phone note's state."""
        if state.get("ask") not in QUESTIONS or set(state) != {f.name for f in fields(cls)}:
            return None
        contact = _contact_of(state["contact"])
        if state["contact"] is not None and contact is None:
            return None
        texts = ("caller", "group", "topic", "description")
        if any(state[name] is not None and not isinstance(state[name], str) for name in texts):
            return None
        if state["solved"] is not None and not isinstance(state["solved"], bool):
            return None
        return cls(**{**state, "contact": contact})


@dataclass(frozen=True)
class PhoneInput:
    """What the staff member sent, and the chat user their text names (if the runner found
    exactly one)."""

    text: str = ""
    action_id: str | None = None
    known: KnownUser | None = None


@dataclass(frozen=True)
class RecordCall:
    """Effect: file the call as a ticket (resolved at once when solved on the spot)."""

    call: PhoneCall


@dataclass(frozen=True)
class PhoneStep:
    """The note to keep (None: the dialog is over), what to say, and what to do."""

    note: PhoneNote | None
    notices: tuple[Notice, ...] = ()
    effect: RecordCall | None = None


def is_phone_action(action_id: str) -> bool:
    """Whether a button answers one of this dialog's questions."""
    pressed = ButtonAction.decode(action_id)
    return pressed is not None and pressed.verb in PHONE_VERBS


def start(ctx: Context) -> PhoneStep:
    """The first question."""
    note = PhoneNote()
    return PhoneStep(note, (p.say("phone.intro", ctx), p.question(note, ctx)))


def step(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneStep:
    """One answer to the question asked now."""
    if user.action_id is None and is_cancel(user.text):
        return PhoneStep(None, (p.say("phone.cancelled", ctx),))
    if user.action_id == p.BACK or (user.action_id is None and is_back(user.text)):
        return back(note, ctx)
    answer = _READERS[note.ask](note, user, ctx)
    if isinstance(answer, str):  # what was wrong with the answer: say so, ask again
        return PhoneStep(note, (p.say(answer, ctx), p.question(note, ctx)))
    if answer.ask == "cancelled":
        return PhoneStep(None, (p.say("phone.cancelled", ctx),))
    if answer.ask == "done":
        return PhoneStep(None, (), RecordCall(_call(note)))
    return PhoneStep(answer, (p.question(answer, ctx),))


def back(note: PhoneNote, ctx: Context) -> PhoneStep:
    """One question back (at the first, ask it again); the answers given stay until the
    question is answered anew."""
    previous = _previous(note)
    return PhoneStep(previous, (p.question(previous, ctx),))


def _previous(note: PhoneNote) -> PhoneNote:
    return replace(note, ask=QUESTIONS[max(QUESTIONS.index(note.ask) - 1, 0)])


def _on_caller(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    name = " ".join(user.text.split())
    if user.action_id is not None or not name:
        return "phone.caller_missing"
    return replace(note, ask="group", caller=name[:MAX_NAME])


def _on_group(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    choice = match_choice(p.group_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return "phone.not_understood"
    if choice.id == p.BACK:  # typed as the menu's number
        return _previous(note)
    group = _argument(choice.id)
    return replace(note, ask="topic", group=None if group == p.NO_GROUP else group)


def _on_topic(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    choice = match_choice(p.topic_choices(ctx), text=user.text, action_id=user.action_id)
    if choice is None:
        return "phone.not_understood"
    if choice.id == p.BACK:
        return _previous(note)
    return replace(note, ask="description", topic=_argument(choice.id))


def _on_description(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    text = user.text.strip()
    if user.action_id is not None or len(text.split()) < MIN_DESCRIPTION_WORDS:
        return "phone.description_short"
    return replace(note, ask="contact", description=text)


def _on_contact(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    if user.action_id is not None:
        return "phone.contact_missing"
    reading = read_contact(user.text)
    if isinstance(reading, Contact):
        return replace(note, ask="solved", contact=reading)
    if reading == "bad_phone":
        return "phone.bad_phone"
    if reading == "bad_email":
        return "phone.bad_email"
    if user.known is None:
        return "phone.unknown_user" if user.text.strip() else "phone.contact_missing"
    return replace(note, ask="solved", contact=chat_contact(user.known))


def _on_solved(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    choice = match_choice(p.solved_choices(note, ctx), text=user.text, action_id=user.action_id)
    choice = choice or p.yes_no_word(user.text, user.action_id, p.SOLVED, p.OPEN)
    if choice is None:
        return "phone.not_understood"
    if choice.id == p.BACK:
        return _previous(note)
    return replace(note, ask="confirm", solved=choice.id == p.SOLVED)


def _on_confirm(note: PhoneNote, user: PhoneInput, ctx: Context) -> PhoneNote | str:
    choice = match_choice(p.confirm_choices(ctx), text=user.text, action_id=user.action_id)
    choice = choice or p.yes_no_word(user.text, user.action_id, p.YES, p.NO)
    if choice is None:
        return "phone.not_understood"
    if choice.id == p.BACK:
        return _previous(note)
    return replace(note, ask="cancelled" if choice.id == p.NO else "done")


_READERS = {
    "caller": _on_caller,
    "group": _on_group,
    "topic": _on_topic,
    "description": _on_description,
    "contact": _on_contact,
    "solved": _on_solved,
    "confirm": _on_confirm,
}


def _call(note: PhoneNote) -> PhoneCall:
    """The finished note as the call to file (every answer is there at "confirm")."""
    assert note.caller and note.topic and note.description and note.contact
    contact = note.contact
    return PhoneCall(
        caller=note.caller,
        customer_group_id=note.group,
        topic_id=note.topic,
        description=note.description,
        contact_kind=contact.kind,
        contact=contact.address,
        contact_platform=contact.platform,
        solved=bool(note.solved),
    )


def _contact_of(stored: object) -> Contact | None:
    """A stored contact back as a Contact; None when it is none (or not one)."""
    if not isinstance(stored, dict):
        return None
    kind, address = stored.get("kind"), stored.get("address")
    platform, name = stored.get("platform"), stored.get("name")
    if kind not in ("phone", "email", "chat") or not isinstance(address, str):
        return None
    if not all(value is None or isinstance(value, str) for value in (platform, name)):
        return None
    return Contact(kind, address, platform, name)


def _argument(choice_id: str) -> str:
    pressed = ButtonAction.decode(choice_id)
    return "" if pressed is None else ":".join(pressed.args)
