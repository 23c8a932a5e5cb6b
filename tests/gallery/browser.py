"""Find the browser and the Node tools, and run render.js over a batch of items.

Chromium is Debian's (`apt-get install chromium`, done by tests/run); the renderer, markdown-it
and playwright-core come from tests/install-node-tools. `missing()` says what is absent, so
the tests can skip with the reason (or fail where HOTLINE_REQUIRE_BROWSER=1, as in CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REQUIRE_ENV = "HOTLINE_REQUIRE_BROWSER"
NODE_PACKAGES = ("adaptivecards", "markdown-it", "playwright-core")
TIMEOUT = 300  # seconds for one batch; the whole gallery takes well under a minute


def chromium() -> str | None:
    """The Chromium executable ($HOTLINE_CHROMIUM, else Debian's)."""
    wanted = os.environ.get("HOTLINE_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def node_modules() -> Path:
    """Where tests/install-node-tools put the packages."""
    return Path(os.environ.get("HOTLINE_NODE_TOOLS", ROOT / ".node-tools")) / "node_modules"


def missing() -> str | None:
    """Why the gallery cannot be rendered here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if chromium() is None:
        return "Chromium is not installed (apt-get install chromium; tests/run does it)"
    absent = [name for name in NODE_PACKAGES if not (node_modules() / name).is_dir()]
    if absent:
        return f"node packages {absent} missing in {node_modules()} (run tests/install-node-tools)"
    return None


def render(jobs: list[dict[str, Any]], workdir: Path) -> list[dict[str, Any]]:
    """Render every job in one browser session; the measurements per job, in order."""
    job_file, results = workdir / "render-job.json", workdir / "render-results.json"
    job = {
        "chromium": chromium(),
        "nodeModules": str(node_modules()),
        "hostConfig": json.loads((HERE / "teams-host-config.json").read_text("utf-8")),
        # The renderer's own stylesheet (buttons, inputs), then the client columns.
        "css": (node_modules() / "adaptivecards/dist/adaptivecards.css").read_text("utf-8")
        + (HERE / "style.css").read_text("utf-8"),
        "items": jobs,
        "results": str(results),
    }
    job_file.write_text(json.dumps(job), "utf-8")
    done = subprocess.run(
        ["node", str(HERE / "render.js"), str(job_file)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"render.js failed ({done.returncode}): {done.stderr[-2000:]}")
    measured: list[dict[str, Any]] = json.loads(results.read_text("utf-8"))
    return measured
