"""Teams rendering: neutral notices become Markdown text messages or Adaptive Cards (1.5).

Card text is Markdown in Teams; what a user typed is escaped where it would format
(adapters/teams/markdown.py), so a requester cannot inject links or formatting. Buttons are
Action.Submit carrying the stable choice id, so a press comes back like a typed answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.teams.markdown import escape_text, paragraphs, to_markdown
from adapters.teams.mentions import Mention, with_mentions
from adapters.teams.tables import table_elements
from bot.kernel.markup import BOLD, literal, to_plain, tokens
from bot.kernel.notices import Choice, Notice

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # the newest version Teams renders everywhere
MAX_BUTTONS = 6  # Teams shows six actions on a card and hides the rest in an overflow menu
CHOICE_INPUT = "action"  # the choice set's input id: a pick comes back like a button's data
SUBMIT_TITLE = "OK"
# One row of buttons (actionsOrientation horizontal, as Teams' host config has it): when the
# titles do not fit, each button goes on a line of its own (an ActionSet each) instead.
ROW_PX = 400
CHAR_PX = 8.0  # an average character of Segoe UI 14 px, rounded up
BUTTON_PADDING_PX = 36  # padding and spacing around one button's title


def rich_text(markup: str, **style: str) -> dict[str, Any]:
    """Notice markup as a RichTextBlock: TextRuns are plain text, never Markdown, so nothing
    needs a backslash escape (which some Teams clients show); **bold** becomes a bold run."""
    runs: list[dict[str, Any]] = []
    bold = False
    for token in tokens(markup):
        if token is BOLD:
            bold = not bold
        else:
            runs.append(
                {
                    "type": "TextRun",
                    "text": token,
                    **style,
                    **({"weight": "Bolder"} if bold else {}),
                }
            )
    return {"type": "RichTextBlock", "inlines": runs}


def card(notice: Notice) -> dict[str, Any]:
    """The Adaptive Card for a notice: every line of text its own TextBlock (a single line
    break inside a TextBlock does not show), the lines of a paragraph set close together."""
    body: list[dict[str, Any]] = []
    if notice.tables:  # a report or digest: its words as plain text runs, like its cells
        if notice.title:
            body.append(rich_text(notice.title, size="Medium", weight="Bolder"))
        body += [rich_text(line) for line in notice.text.split("\n") if line.strip()]
    elif notice.title:
        body.append(
            {
                "type": "TextBlock",
                "text": to_markdown(notice.title),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            }
        )
    for paragraph in () if notice.tables else paragraphs(notice.text):
        for index, line in enumerate(paragraph):
            block = {"type": "TextBlock", "text": line, "wrap": True}
            body.append(block | {"spacing": "None"} if index else block)
    if notice.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": escape_text(to_plain(f.label)), "value": to_markdown(f.value)}
                    for f in notice.facts
                ],
            }
        )
    for table in notice.tables:
        body += table_elements(table)
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    buttons = [_submit(c) for c in notice.choices]
    if len(notice.choices) > MAX_BUTTONS:
        body += _choice_set(notice.choices)
        content["actions"] = [{"type": "Action.Submit", "title": SUBMIT_TITLE}]
    elif notice.choices and not fits_one_row(notice.choices):
        body += [{"type": "ActionSet", "actions": [button]} for button in buttons]
    elif notice.choices:
        content["actions"] = buttons
    return content


def _submit(choice: Choice) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": to_plain(choice.label), "data": {"action": choice.id}}


def fits_one_row(choices: tuple[Choice, ...]) -> bool:
    """Whether the buttons fit side by side on a card without cutting a title: Teams gives
    each button of a row the same share of the card (about 400 px at 14 px Segoe UI), and
    cuts what does not fit ("Ja, anonym b…"). Estimated from the longest title, generously."""
    longest = max(len(to_plain(choice.label)) for choice in choices)
    return len(choices) * (longest * CHAR_PX + BUTTON_PADDING_PX) <= ROW_PX


def _choice_set(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    """A long list of options: numbered in the text (a typed number always works) and
    offered as one compact choice set whose value is the picked option's id. The input's
    id is "action", so the submitted data is `{"action": <choice id>}`, exactly what a
    button sends (prompt stamp included): nothing downstream can tell the two apart."""
    numbered = "\n".join(
        f"{number}. {escape_text(to_plain(c.label))}" for number, c in enumerate(choices, 1)
    )
    return [
        {"type": "TextBlock", "text": numbered, "wrap": True},
        {
            "type": "Input.ChoiceSet",
            "id": CHOICE_INPUT,
            "style": "compact",
            "isRequired": True,
            "errorMessage": "Bitte eine Auswahl treffen. / Please pick one.",
            "choices": [
                {"title": to_plain(c.numbered(number)), "value": c.id}
                for number, c in enumerate(choices, 1)
            ],
        },
    ]


def plain_text(notice: Notice) -> str:
    """The text fallback (notifications, clients without cards): title and text, plain."""
    parts = [to_plain(notice.title)] if notice.title else []
    parts.append(to_plain(notice.text))
    parts += [to_plain(c.numbered(n)) for n, c in enumerate(notice.choices, 1)]
    return "\n".join(part for part in parts if part)


def is_plain(notice: Notice) -> bool:
    """A notice with nothing but a title and text: no facts, buttons or picture, and no card
    key (a card that is updated in place stays a card)."""
    return not (
        notice.facts
        or notice.choices
        or notice.image
        or notice.file
        or notice.card
        or notice.tables
    )


def markdown_text(notice: Notice) -> str:
    """A plain notice as a Teams Markdown message: the title bold, then the paragraphs."""
    parts = [to_markdown("**" + literal(to_plain(notice.title)) + "**")] if notice.title else []
    parts += [line for paragraph in paragraphs(notice.text) for line in paragraph]
    return "\n\n".join(parts)


def activity(notice: Notice, mentions: Sequence[Mention] = ()) -> dict[str, Any]:
    """A message activity (Bot Connector JSON) for a notice.

    - a plain notice (`is_plain`) is a Markdown text message, nothing else (Teams shows a
      message's text AND its card, so the same words must not travel twice);
    - a notice with a picture becomes its text with the picture attached inline (a data:
      URI, which Teams shows in chats and channels alike; the picture must stay small, see
      bot/reports/chart.py);
    - anything else is an Adaptive Card, with its plain-text fallback in `summary` only
      (what notifications and the chat list show).

    `mentions` (the notice's people with their Teams ids, adapters/teams/mentions.py) become
    real mentions that notify them."""
    fallback = plain_text(notice)
    if notice.image is not None:
        return {
            "type": "message",
            "text": fallback,
            "textFormat": "plain",  # the caption is plain text, not Markdown
            "summary": fallback[:250],
            "attachments": [
                {
                    "contentType": notice.image.mime,
                    "contentUrl": notice.image.data_uri(),
                    "name": notice.image.name,
                }
            ],
        }
    if notice.file is not None:  # an .ics: the file attached, its caption as the text
        return {
            "type": "message",
            "text": fallback,
            "textFormat": "plain",
            "summary": fallback[:250],
            "attachments": [
                {
                    "contentType": notice.file.mime,
                    "contentUrl": notice.file.data_uri(),
                    "name": notice.file.name,
                }
            ],
        }
    if is_plain(notice):
        text = {"type": "message", "text": markdown_text(notice), "textFormat": "markdown"}
        return with_mentions(text, mentions)
    sent = {
        "type": "message",
        "summary": fallback[:250],
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card(notice)}],
    }
    return with_mentions(sent, mentions)
