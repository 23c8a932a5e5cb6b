"""What the intake collects for a new ticket: pure data, shared by the dialog that asks for
it and the service that files it (so the pure dialogs need not import the services)."""

from __future__ import annotations

from dataclasses import dataclass

# The requester platform of a caller Team BK recorded by phone without a chat account: no
# adapter serves it, so nothing is ever addressed to it (the team calls back instead).
PHONE = "phone"


@dataclass(frozen=True)
class NewRequest:
    """What the intake collected."""

    topic_id: str
    customer_group_id: str | None
    description: str
    reference: str | None = None
    anonymous: bool = False
    source_event: str | None = None  # the platform's id of the message with the description
    channel: str = "chat"  # "phone": recorded by Team BK from a call (/telefon)
    team_id: str | None = None  # a queue other than the topic's (a call solved on the spot)


CHAT = "chat"  # a ticket's channel: filed through the intake
CHANNELS = (CHAT, PHONE)  # the channels reports count apart


@dataclass(frozen=True)
class PhoneCall:
    """What Team BK recorded about a call (/telefon): the caller, the request, and how to
    reach them: `contact_kind` "phone" or "email" (`contact` the number or address), or
    "chat" (`contact` a user id on `contact_platform`, who gets the status messages).
    `solved`: answered on the spot (resolved at first contact)."""

    caller: str
    customer_group_id: str | None
    topic_id: str
    description: str
    contact_kind: str
    contact: str
    contact_platform: str | None = None
    solved: bool = False
