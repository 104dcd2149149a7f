"""The heap budget: the scripted scenario of host_tools/bench/heap.py (boot with sign-in,
pre-auth, void, a pre-auth without an answer, reversal recovery, query, reprint, the batch
journal full at 1,500 records) completes on the unix port in a heap of BUDGET_KB, the
firmware running as precompiled x64 .mpy modules as a device runs them.

Run once at the budget: deterministic (no timing assertions); `make bench` bisects the
actual minimum. BUDGET_KB lives in host_tools/bench/heap.py, with why it is what it is."""

import shutil
import subprocess
from pathlib import Path

import pytest

from host_tools import build_mpy
from host_tools.bench import heap


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpy-x64")
    cross = build_mpy.mpy_cross()
    if not (Path(cross).exists() or shutil.which(cross)):
        pytest.skip(f"no mpy-cross at {cross}: the x64 .mpy build is impossible here")
    try:
        probe = subprocess.run([cross, "--version"], capture_output=True, text=True)
    except OSError as e:
        pytest.skip(f"mpy-cross does not run ({e}): the x64 .mpy build is impossible here")
    if probe.returncode:
        pytest.skip("mpy-cross does not run: the x64 .mpy build is impossible here")
    return heap.build_code_dir(out)  # a build error is a failure, not a skip


def test_scenario_completes_in_the_heap_budget(code_dir, tmp_path):
    template = heap.prepare(code_dir, tmp_path / "template")
    ok, why = heap.run_once(heap.BUDGET_KB, code_dir, template, tmp_path / "run")
    assert ok, f"the scenario does not complete in {heap.BUDGET_KB} KB of heap: {why}"
