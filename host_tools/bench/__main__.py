"""`make bench`: run every benchmark, print every figure, and write the report (the page
docs/performance.md is made from: build/reports/performance.md, published to docs/ by `make
docs-update`) with the figures of this one run (date and commit), the aims next to them,
and what `make test` enforces; the figures themselves go to build/reports/bench.json, from
which host_tools/bench/report.py makes the report (its template: report.md). Times are
printed, never asserted (the machines are noisy); flash counts are deterministic and
tests/perf/test_flash_budget.py holds them to a budget.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from host_tools import reports
from host_tools.bench import codec, cpu, crypto, flash, scaling, size, tls
from host_tools.bench.report import DOC, RAW, render
from host_tools.runtime import ROOT


class _Tee(io.StringIO):
    def __init__(self, out: Any) -> None:
        super().__init__()
        self.out = out

    def write(self, s: str) -> int:
        self.out.write(s)
        self.out.flush()
        return super().write(s)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()


def _heap() -> Any:
    try:
        from host_tools.bench import heap
    except ImportError:
        print("heap: see host_tools/bench/heap.py (not present)")
        return None
    return heap.main()


def run_all() -> tuple[dict, dict, list[str]]:
    results: dict[str, Any] = {}
    outputs: dict[str, str] = {}
    failed: list[str] = []
    built: dict[str, Any] = {}

    def x64() -> Any:
        if "x64" not in built:
            built["x64"] = size.build_x64()
        return built["x64"]

    sections: list[tuple[str, str, Callable[[], Any]]] = [
        ("crypto", "DES and MAC: firmware on the unix port vs pyDes on CPython", crypto.main),
        ("codec", "ISO 8583 pack+unpack of the wire-format §7 message", codec.main),
        ("flash", "Flash cost per transaction", flash.main),
        ("scaling", "Boot and lookup scaling with the journal", lambda: scaling.main(x64())),
        ("cpu", "CPU per void, network excluded", cpu.main),
        ("tls", "TLS: the handshake beside a transaction",
         lambda: tls.main(results.get("cpu", {}).get("cpu_us"))),
        ("size", "Code size and import heap", lambda: size.main(x64())),
        ("heap", "Minimum heap (host_tools/bench/heap.py)", _heap),
    ]
    for key, title, fn in sections:
        print(f"\n== {title} ==", flush=True)
        t0 = time.monotonic()
        tee = _Tee(sys.stdout)
        try:
            with contextlib.redirect_stdout(tee):
                results[key] = fn()
        except Exception:
            traceback.print_exc()
            failed.append(key)
        outputs[key] = tee.getvalue()
        print(f"({key}: {time.monotonic() - t0:.0f} s)", flush=True)
    return results, outputs, failed


def main() -> int:
    os.environ.pop("POS_FLASH_COUNT", None)
    os.environ.pop("POS_FLASH_CUT_AFTER", None)
    t0 = time.monotonic()
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    # The published page does not count: `make docs-update` rewrites it from this report.
    dirty = any(not line.endswith("docs/performance.md") for line in
                _git("status", "--porcelain", "--untracked-files=no").splitlines())
    date = datetime.date.today().isoformat()
    print(f"make bench, {date}, commit {commit}{' (+ uncommitted changes)' if dirty else ''}")
    results, outputs, failed = run_all()
    if failed:
        print(f"\nFAILED: {', '.join(failed)}; no report written")
        return 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    run = {"date": date, "commit": commit, "dirty": dirty, "elapsed": time.monotonic() - t0,
           "cpus": os.cpu_count(), "load": load, "results": results, "outputs": outputs}
    raw = json.dumps(run, indent=1, ensure_ascii=False, default=str)
    reports.write(RAW, raw)
    path = reports.write(DOC, render(json.loads(raw)))  # as report.py makes it again
    print(f"\nwrote {reports.shown(path)} ({time.monotonic() - t0:.0f} s in all); "
          "make docs-update copies it to docs/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
