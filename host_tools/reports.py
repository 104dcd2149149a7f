"""The reports of `make bench` and `make campaign`, and publishing them.

A run writes its report under build/reports/ (performance.md, reliability.md) and leaves
the tracked pages in docs/ alone, so running a benchmark never dirties the tree. Updating
docs/ from the last run is an explicit step: `make docs-update`
(``python -m host_tools.reports``), which copies every report present and says which.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "build" / "reports"
DOCS = ROOT / "docs"
NAMES = ("performance.md", "reliability.md")  # make bench's, make campaign's


def shown(path: Path) -> str:
    """path as a message shows it: from the repository's root when it is inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def write(name: str, text: str) -> Path:
    """Write a run's report; returns its path (under build/reports/)."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / name
    path.write_text(text)
    return path


def publish() -> list[Path]:
    """Copy the reports there are into docs/; returns the pages updated."""
    done = []
    for name in NAMES:
        src = REPORTS / name
        if src.exists():
            shutil.copyfile(src, DOCS / name)
            done.append(DOCS / name)
    return done


def main() -> int:
    done = publish()
    if not done:
        print(f"no reports in {REPORTS}: run make bench or make campaign first")
        return 1
    for p in done:
        print(f"updated {shown(p)} from {shown(REPORTS / p.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
