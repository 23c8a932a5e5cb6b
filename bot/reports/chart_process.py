"""Drawing the weekly chart in a short-lived child process (``python -m
bot.reports.chart_process``): once imported, matplotlib, NumPy, Pillow and their font
caches keep about 50-60 MiB of the bot's resident memory for good, for a picture the bot
draws once a week. The child gets the organisation's config and the report pickled on
stdin, draws with chart.for_chat, returns the picture pickled on stdout and exits, so its
memory goes back to the system (the bot process never imports matplotlib)."""

from __future__ import annotations

import asyncio
import pickle
import sys

from bot.config.model import OrgConfig
from bot.kernel.notices import Image
from bot.reports.metrics import Report

TIMEOUT = 120.0  # seconds: a chart takes one or two on a busy machine


async def for_chat(config: OrgConfig, report: Report, name: str, locale: str | None) -> Image:
    """chart.for_chat, drawn in a child process. RuntimeError if it fails or hangs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot.reports.chart_process"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            out, err = await process.communicate(pickle.dumps((config, report, name, locale)))
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("the chart process did not finish in time") from None
    if process.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise RuntimeError(f"the chart process failed ({process.returncode}): {last[0]}")
    picture = pickle.loads(out)  # our own child's answer
    if not isinstance(picture, Image):
        raise RuntimeError("the chart process answered no picture")
    return picture


def main() -> None:
    """The child: read (config, report, name, locale), write the picture."""
    from bot.reports import chart

    config, report, name, locale = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(chart.for_chat(config, report, name, locale)))


if __name__ == "__main__":
    main()
