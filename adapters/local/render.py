"""Local chat: a neutral notice rendered as terminal text."""

from __future__ import annotations

from bot.notices import Notice


def render_text(notice: Notice, *, channel: str | None = None, color: bool = False) -> str:
    """Title, text, facts and numbered choices as plain lines (bold only on a colour terminal)."""
    lines: list[str] = []
    prefix = f"[#{channel}] " if channel else ""
    if notice.title:
        title = f"\033[1m{notice.title}\033[0m" if color else notice.title
        lines.append(prefix + title)
        prefix = "  " if channel else ""
    for index, paragraph in enumerate(notice.text.splitlines() or [""]):
        lines.append((prefix if index == 0 else "  " * bool(channel)) + paragraph.replace("**", ""))
    width = max((len(fact.label) for fact in notice.facts), default=0)
    lines += [f"  {fact.label.ljust(width)}  {fact.value}" for fact in notice.facts]
    lines += [f"  {number}. {choice.label}" for number, choice in enumerate(notice.choices, 1)]
    return "\n".join(lines)
