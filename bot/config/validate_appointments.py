"""A team's `screen_sharing` block: the link template of the city's video service.

    screen_sharing:
      url_template: "https://video.stadt.example/{appointment_id}"

Only `{appointment_id}` and `{ticket_id}` may be filled in; the link must be https. No
block, no link: the bot never invents one.
"""

from __future__ import annotations

import re
import string

from bot.config.validate_base import Checker
from bot.config.yaml_lines import KeyPath

PLACEHOLDERS = frozenset({"appointment_id", "ticket_id"})
# one plain address (the .ics ORGANIZER's mailto:), not a name or a list
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def contact_email(ck: Checker, raw: object, path: KeyPath) -> str | None:
    """`organisation.email`: the hotline's contact address, or None (reported if wrong)."""
    address = ck.string(raw, path, "an e-mail address")
    if address is None:
        return None
    if not EMAIL.fullmatch(address):
        ck.report(path, f"expected one e-mail address like hotline@stadt.example, not {address!r}")
        return None
    return address


def screen_sharing(ck: Checker, raw: object, path: KeyPath) -> str | None:
    """The team's link template, or None (reported when it is wrong)."""
    if raw is None:
        return None
    node = ck.mapping(raw, path, required=("url_template",))
    if node is None or "url_template" not in node:
        return None
    where = (*path, "url_template")
    template = ck.string(node["url_template"], where, "a link template")
    if template is None:
        return None
    if not template.startswith("https://") or any(c.isspace() for c in template):
        ck.report(where, "expected an https:// link without spaces")
        return None
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        ck.report(where, f"not a valid template: {error}")
        return None
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        known = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
        ck.report(where, f"unknown placeholder {{{unknown[0]}}}; known: {known}")
        return None
    return template
