"""Which MicroPython runs the firmware, and running it: the one place host tools and tests
find the interpreter (the unix port with the firmware's sources, precompiled .mpy files,
or the device-like build with the firmware frozen in), set its module path, heap and
environment, and run a script in it.

A script that works on a terminal's flash image mounts it with host_tools/mp/flashimg.py
(MicroPython; a script in host_tools/mp/ imports it as its neighbour, any other gets
extra_path=[MP_DIR]); `inspect_image` reads an image that way, read-only
(host_tools/mp/inspect_flash.py).

    run(MP_DIR / "fill_journal.py", 31, sim_dir=term.dir)     # a CompletedProcess
    run_json(script, *args, runtime=Runtime.sources())         # the JSON it printed last
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
BOARD_UNIX = ROOT / "board" / "unix"
MP_DIR = Path(__file__).resolve().parent / "mp"  # MicroPython scripts of the host tools
FROZEN_MICROPYTHON = ROOT / "build" / "frozen" / "micropython"  # `make frozen`
FROZEN_HEAPSIZE = "64k"  # the ESP32 budget (docs/performance.md, "Heap")
# The simulator board's flash counting and power cut (board/unix/blockdev.py): set per
# process by whoever asks for it, never inherited from the caller's environment.
FLASH_VARS = "POS_FLASH_"
INSPECT = MP_DIR / "inspect_flash.py"


def frozen_interpreter() -> str:
    """POS_FROZEN: the path of a device-like interpreter (`make frozen`) whose frozen
    firmware runs instead of the sources in firmware/ and board/unix/; '' when unset."""
    return os.environ.get("POS_FROZEN", "")


def plain_interpreter() -> str:
    """The unix port that runs the firmware from sources (MICROPYTHON, else the venv's)."""
    return os.environ.get("MICROPYTHON") or str(ROOT / ".venv" / "bin" / "micropython")


def micropython() -> str:
    """The interpreter a terminal runs on: POS_FROZEN's, else the plain one."""
    return frozen_interpreter() or plain_interpreter()


@dataclass(frozen=True)
class Runtime:
    """Which MicroPython runs the firmware, and from where it takes the firmware: the
    sources (firmware/, board/unix/), precompiled .mpy modules in code_dir (as a device
    with stock MicroPython runs them), or frozen into the interpreter (`make frozen`, as
    the production image runs them)."""

    exe: str
    firmware_frozen: bool = False
    code_dir: Path | None = None
    heapsize: str | None = None  # the default -X heapsize of this runtime

    @classmethod
    def from_env(cls) -> Runtime:
        """POS_FROZEN's device-like interpreter at FROZEN_HEAPSIZE, else the sources."""
        exe = frozen_interpreter()
        if exe:
            return cls(exe, firmware_frozen=True, heapsize=FROZEN_HEAPSIZE)
        return cls.sources()

    @classmethod
    def sources(cls) -> Runtime:
        """The plain unix port on the firmware's sources, whatever POS_FROZEN says."""
        return cls(plain_interpreter())

    @classmethod
    def frozen(cls, exe: str | Path = FROZEN_MICROPYTHON) -> Runtime:
        return cls(str(exe), firmware_frozen=True, heapsize=FROZEN_HEAPSIZE)

    @classmethod
    def mpy(cls, code_dir: str | Path, exe: str | Path | None = None) -> Runtime:
        return cls(str(exe or plain_interpreter()), code_dir=Path(code_dir))

    def module_path(self, extra: Sequence[str | Path] = ()) -> str:
        """MICROPYPATH: extra folders, then the firmware's. ".frozen" keeps the port's
        frozen modules importable (asyncio; on a frozen build, the firmware too)."""
        if self.code_dir is not None:
            code: list[Path] = [self.code_dir]
        elif self.firmware_frozen:
            code = []
        else:
            code = [FIRMWARE, BOARD_UNIX]
        return ":".join([*map(str, extra), *map(str, code), ".frozen"])

    def env(self, extra_path: Sequence[str | Path] = (), sim_dir: str | Path | None = None,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process's environment: the caller's, less any POS_FLASH_* setting, with
        MICROPYPATH, POS_SIM_DIR (the simulator board's folder) when given, and extra."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(FLASH_VARS)}
        env["MICROPYPATH"] = self.module_path(extra_path)
        if sim_dir is not None:
            env["POS_SIM_DIR"] = str(Path(sim_dir).resolve())
        env.update(extra or {})
        return env

    def command(self, script: str | Path | None, *args: object,
                heapsize: str | int | None = None) -> list[str]:
        """[exe, -X heapsize=..., script, args...] (no heapsize: the interpreter's own;
        a terminal passes the runtime's). script None: `-m main`, the firmware frozen
        into the interpreter."""
        cmd = [self.exe]
        if heapsize:
            cmd += ["-X", f"heapsize={heapsize}"]
        if script is None:
            return [*cmd, "-m", "main"]
        return [*cmd, str(script), *map(str, args)]


def run(script: str | Path, *args: object, runtime: Runtime | None = None,
        heapsize: str | int | None = None, extra_path: Sequence[str | Path] = (),
        sim_dir: str | Path | None = None, extra_env: Mapping[str, str] | None = None,
        input: str | None = None, timeout: float = 120, cwd: str | Path | None = None,
        errors: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a MicroPython script to completion (text mode, output captured) on runtime
    (default Runtime.from_env(): the sources, or POS_FROZEN's build); heapsize: -X
    heapsize, else the interpreter's default; errors: how undecodable output is decoded."""
    rt = runtime or Runtime.from_env()
    return subprocess.run(
        rt.command(script, *args, heapsize=heapsize), input=input, capture_output=True,
        text=True, errors=errors, timeout=timeout, env=rt.env(extra_path, sim_dir, extra_env),
        cwd=cwd or ROOT)


def run_json(script: str | Path, *args: object, **kw: Any) -> Any:
    """run(), then the JSON of the last line it printed; RuntimeError, with the script's
    output, when it fails."""
    proc = run(script, *args, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(script).name} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def inspect_image(image: str | Path, tmk: str, timeout: float = 60) -> dict[str, Any]:
    """What a terminal's flash image holds (host_tools/mp/inspect_flash.py), read from a
    copy of it (a running terminal's image may change under the reader), mounted
    read-only, the journal opened read-only: nothing is repaired or finished. Run from the
    sources, in a large heap, whatever runtime the terminal runs on. {"mounted": False,
    "error": ...} when it does not mount or the inspection fails."""
    with tempfile.TemporaryDirectory(prefix="inspect-") as tmp:
        copy = Path(tmp) / "flash.img"
        shutil.copyfile(image, copy)
        proc = run(INSPECT, copy, tmk, runtime=Runtime.sources(), heapsize="64M",
                   timeout=timeout)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"mounted": False,
                "error": f"inspection failed: {(proc.stderr or proc.stdout)[-500:]}"}
