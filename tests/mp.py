"""Run firmware code in a `micropython` (unix port) process from host-side tests.

Every host test that exercises firmware goes through here, so the interpreter, the
module path (firmware/, board/unix/, tests/device/) and the heap size are set in one place.
"""

import os
import subprocess
from pathlib import Path

from host_tools.simctl import Runtime, micropython

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
BOARD_UNIX = ROOT / "board" / "unix"
DEVICE_TESTS = ROOT / "tests" / "device"


def mp_env(extra_path=()) -> dict:
    """The environment of a MicroPython process: the firmware from its sources, or frozen
    into the device-like interpreter when POS_FROZEN names one (host_tools.simctl)."""
    env = dict(os.environ)
    env["MICROPYPATH"] = Runtime.from_env().module_path((*extra_path, DEVICE_TESTS))
    return env


def mp_cmd(script, *args, heapsize=None) -> list:
    cmd = [micropython()]
    if heapsize:
        cmd += ["-X", f"heapsize={heapsize}"]
    return cmd + [str(script), *map(str, args)]


def run_mp(script, *args, input=None, heapsize=None, timeout=120, extra_path=(), cwd=None):
    """Run a MicroPython script to completion; returns the CompletedProcess (text mode)."""
    return subprocess.run(
        mp_cmd(script, *args, heapsize=heapsize),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=mp_env(extra_path),
        cwd=cwd or ROOT,
    )


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


def popen_mp(script, *args, heapsize=None, extra_path=(), **kw):
    """Start a long-running MicroPython process (stdin/stdout pipes, binary)."""
    return subprocess.Popen(
        mp_cmd(script, *args, heapsize=heapsize),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=mp_env(extra_path),
        cwd=ROOT,
        **kw,
    )
