"""Run firmware code in a `micropython` (unix port) process from host-side tests.

The host toolkit's runner (host_tools/runtime.py: the interpreter, the firmware on the
module path, the heap size), with tests/device/ on the module path as well, so that a test
script imports its helpers (mptest, fakebus, lfs_helper), and host_tools/mp/, whose data
the tests share with the host tools (vector7, the wire-format §7 vector).
"""

import os

from host_tools.runtime import MP_DIR, ROOT, Runtime, run

DEVICE_TESTS = ROOT / "tests" / "device"


def mp_env(extra_path=()) -> dict:
    """The environment of a MicroPython process: the firmware from its sources, or frozen
    into the device-like interpreter when POS_FROZEN names one (host_tools.runtime)."""
    return Runtime.from_env().env((*extra_path, DEVICE_TESTS, MP_DIR))


def run_mp(script, *args, input=None, heapsize=None, timeout=120, extra_path=(), cwd=None):
    """Run a MicroPython script to completion; returns the CompletedProcess (text mode)."""
    return run(script, *args, input=input, heapsize=heapsize, timeout=timeout,
               extra_path=(*extra_path, DEVICE_TESTS, MP_DIR), cwd=cwd)


def run_mp_code(code: str, **kw):
    """Run a snippet of MicroPython source (written to a temp file under .sim/)."""
    tmp = ROOT / ".sim" / "snippets"
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"snippet_{os.getpid()}_{abs(hash(code))}.py"
    path.write_text(code)
    try:
        return run_mp(path, **kw)
    finally:
        path.unlink(missing_ok=True)
