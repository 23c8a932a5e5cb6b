"""python -m tests.gallery --out DIR: render every kind of notice, as Teams, Element and the
local chat show it, into DIR (one PNG each and index.html)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.gallery import browser
from tests.gallery.build import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.gallery", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="directory for the gallery")
    args = parser.parse_args(argv)
    problem = browser.missing()
    if problem:
        print(f"gallery: cannot render: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    shown = build(args.out)
    took = time.monotonic() - started
    print(f"gallery: {len(shown)} pictures in {args.out / 'index.html'} ({took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
