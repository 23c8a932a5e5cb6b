"""Build the gallery: collect the notices, render them all, write the index page."""

from __future__ import annotations

import asyncio
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.gallery import browser
from tests.gallery.scenarios import collect
from tests.gallery.views import VIEWS, Item, items


@dataclass(frozen=True)
class Shown:
    """One rendered item: what was sent and what the browser showed."""

    item: Item
    dom: dict[str, Any]  # render.js's measurements: text, buttons, submitted, tooWide, ...


def build(out: Path) -> list[Shown]:
    """Render the whole gallery into `out` (PNGs, index.html, measurements.json); runs its
    own event loop for the engine."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "gallery.db"
    database.unlink(missing_ok=True)
    entries = asyncio.run(collect(database))
    made = items(entries, out)
    measured = browser.render([item.job for item in made], out)
    shown = [Shown(item, dom) for item, dom in zip(made, measured, strict=True)]
    (out / "index.html").write_text(index_page(shown), "utf-8")
    (out / "measurements.json").write_text(
        json.dumps([{"name": s.item.name, **s.dom} for s in shown], indent=1), "utf-8"
    )
    return shown


def index_page(shown: list[Shown]) -> str:
    """One row per notice: its situation and target, then Teams, Element, local chat."""
    rows = []
    by_slug: dict[str, dict[str, Shown]] = {}
    for one in shown:
        by_slug.setdefault(one.item.entry.slug, {})[one.item.view] = one
    for slug, views in by_slug.items():
        entry = next(iter(views.values())).item.entry
        cells = "".join(
            f'<td><a href="{html.escape(views[v].item.name)}.png">'
            f'<img src="{html.escape(views[v].item.name)}.png" loading="lazy"></a></td>'
            for v in VIEWS
        )
        head = f"<th>{html.escape(slug)}<br><small>{html.escape(entry.target)}</small></th>"
        rows.append(f"<tr>{head}{cells}</tr>")
    return (
        '<!doctype html><meta charset="utf-8"><title>Hotline gallery</title>'
        "<style>body{font-family:sans-serif}td,th{vertical-align:top;padding:6px;"
        "border-bottom:1px solid #ddd}th{text-align:left;width:14em}img{max-width:480px}</style>"
        f"<h1>Hotline gallery: {len(by_slug)} notices</h1>"
        "<table><tr><th>situation</th><th>Teams (Adaptive Cards renderer)</th>"
        "<th>Element (Matrix formatted_body)</th><th>local chat</th></tr>"
        + "".join(rows)
        + "</table>"
    )
