"""Local chat: a neutral notice rendered as terminal text."""

from __future__ import annotations

from pathlib import Path

from bot.kernel.markup import BOLD, to_plain, tokens
from bot.kernel.notices import Notice


def render_text(notice: Notice, *, channel: str | None = None, color: bool = False) -> str:
    """Title, text, facts and numbered choices as plain lines (bold only on a colour terminal)."""
    lines: list[str] = []
    if notice.title:
        title = _styled(notice.title, color)
        lines.append(f"\033[1m{title}\033[0m" if color else title)
    lines += _styled(notice.text, color).splitlines()
    width = max((len(to_plain(fact.label)) for fact in notice.facts), default=0)
    lines += [f"  {to_plain(f.label).ljust(width)}  {to_plain(f.value)}" for f in notice.facts]
    for table in notice.tables:
        lines += ["", *(f"  {line}" for line in table.lines())]
    lines += [f"  {to_plain(c.numbered(n))}" for n, c in enumerate(notice.choices, 1)]
    if notice.image is not None:  # a terminal shows no pictures: name it (the text describes it)
        lines.append(f"  [{notice.image.name}, {len(notice.image.data) // 1024 + 1} KB]")
    if notice.file is not None:  # saved by the shell (save_file); named here
        lines.append(f"  [{notice.file.name}, {len(notice.file.data) // 1024 + 1} KB]")
    if channel is None or not lines:
        return "\n".join(lines)
    # Channel posts: "[#team] first line", the rest indented under it.
    rest = ("  " + line if line else "" for line in lines[1:])
    return "\n".join([f"[#{channel}] {lines[0]}", *rest])


def save_file(notice: Notice, directory: Path) -> Path | None:
    """Write the notice's file (an appointment's .ics) into `directory`; its path, or None
    when the notice carries none. The name is the file's own, without any directory part."""
    if notice.file is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / Path(notice.file.name).name
    path.write_bytes(notice.file.data)
    return path


def _styled(markup: str, color: bool) -> str:
    """Plain text; on a colour terminal **bold** becomes ANSI bold."""
    if not color:
        return to_plain(markup)
    parts: list[str] = []
    bold = False
    for token in tokens(markup):
        if token is BOLD:
            parts.append("\033[0m" if bold else "\033[1m")
            bold = not bold
        else:
            parts.append(token)
    return "".join(parts) + ("\033[0m" if bold else "")
