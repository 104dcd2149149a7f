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


def test_boot_that_runs_out_of_memory_still_reaches_the_menu(code_dir, tmp_path):
    """140 KB: enough for the main menu (~104 KB in use there), not for the boot's
    sign-in (the host stack on top; it needs over 158 KB). The MemoryError is shown and
    logged, the menu comes up, the terminal keeps running (it used to exit)."""
    from host_tools.hostsim.client import running_hostsim
    from host_tools.simctl import SimTerminal

    with running_hostsim(tmp_path / "host.db") as (_proc, port):
        term = SimTerminal(tmp_path / "term", config={**heap.CONFIG, "port": port},
                           heapsize="140k", code_dir=code_dir)
        try:
            term.start()
            s = term.screen()
            for _ in range(30):
                if "1.预授权" in s.text or not term.running:
                    break
                s = term.wait_screen(s.seq, 2.0)
            assert "1.预授权" in s.text, s.text
            assert term.running
        finally:
            term.stop()
    assert "boot sign-in error: MemoryError" in term.log_text()
