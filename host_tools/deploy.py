"""Deploy the firmware to a board over its serial port with mpremote: `make deploy PORT=...`.

1. Ask the board what it is (sys.platform, and the native architecture in
   sys.implementation._mpy): .mpy files with native/viper code (crypto/des.py) only load
   on their own architecture. A "linux" board is the virtual board (host_tools/
   virtual_board.py), anything else the ESP32 prototype; --board overrides.
2. Compile every firmware module and the board's own modules with mpy-cross for that
   architecture into build/deploy/<board>-<arch>/ (host_tools/build_mpy.py); when that is
   not xtensawin, also check that the ESP32 build compiles.
3. Hash every file on the board (sha256, in one exec) and copy only the files that differ
   or are missing; remove files an earlier deploy put there that are no longer part of
   the firmware (the list is kept on the board in /.deploy.json).
4. Reset the board (machine.reset(): the ESP32 reboots, the virtual board restarts its
   process), so /main.py starts the new firmware.

Layout on the board: modules and data files under /lib (on sys.path on the ESP32 and the
virtual board), /main.py as source. /config.json and /data are never touched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host_tools.build_mpy import build

ROOT = Path(__file__).resolve().parent.parent
LIB = "/lib"
MANIFEST = "/.deploy.json"

# sys.implementation._mpy >> 10: MicroPython's native architecture numbers (mpconfig.h /
# mpy-cross -march names).
ARCHES = {
    1: "x86", 2: "x64", 3: "armv6", 4: "armv6m", 5: "armv7m", 6: "armv7em", 7: "armv7emsp",
    8: "armv7emdp", 9: "xtensa", 10: "xtensawin", 11: "rv32imc", 12: "rv64imc",
}

# What the board is, and (on the ESP32) stretch the watchdog of an interrupted
# application so the copy is not cut short by a reset (board/esp32/board.py).
PROBE = """
import sys
_b = sys.modules.get("board")
if _b and hasattr(_b, "service_hold"):
    try:
        _b.service_hold()
    except Exception:
        pass
print("PROBE", sys.platform, getattr(sys.implementation, "_mpy", 0))
"""

# sha256 of each file (or "-" when missing) plus the previous deploy's file list.
HASHES = """
import hashlib, binascii, json
def _h(p):
    try:
        f = open(p, "rb")
    except OSError:
        return "-"
    s = hashlib.sha256()
    b = bytearray(1024)
    while True:
        n = f.readinto(b)
        if not n:
            break
        s.update(b if n == len(b) else b[:n])
    f.close()
    return binascii.hexlify(s.digest()).decode()
try:
    with open(%(manifest)r) as f:
        _old = list(json.load(f))
except (OSError, ValueError):
    _old = []
_ps = %(paths)r
for _p in _old:
    if _p not in _ps:
        _ps.append(_p)
print("HASHES", json.dumps({_p: _h(_p) for _p in _ps}))
print("OLD", json.dumps(_old))
"""

PREPARE = """
import os
def _mk(p):
    try:
        os.mkdir(p)
    except OSError:
        pass
for _d in %(dirs)r:
    _mk(_d)
for _p in %(remove)r:
    try:
        os.remove(_p)
    except OSError:
        pass
"""

WRITE_MANIFEST = """
import json
with open(%(manifest)r, "w") as f:
    json.dump(%(files)r, f)
"""


class DeployError(Exception):
    pass


def mpremote_cmd() -> list[str]:
    exe = os.environ.get("MPREMOTE")
    return [exe] if exe else [sys.executable, "-m", "mpremote"]


def mpremote(port: str, *args: str, timeout: float = 120) -> str:
    """Run `mpremote connect PORT resume ARGS...` and return its output."""
    cmd = [*mpremote_cmd(), "connect", port, "resume", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode:
        raise DeployError(f"mpremote {' '.join(args[:3])}...: {proc.stdout}{proc.stderr}")
    return proc.stdout


def _line(out: str, tag: str) -> str:
    for line in out.splitlines():
        if line.startswith(tag + " "):
            return line[len(tag) + 1:].strip()
    raise DeployError(f"no {tag} line in the board's answer: {out!r}")


# The .mpy format build_mpy's mpy-cross writes (v6.3: MicroPython 1.23 and later). A file
# with native code (viper: crypto/des.py, crypto/mac.py, ui/font.py) loads only where the
# sub-version is the same; bytecode needs the same version.
MPY_VERSION, MPY_SUB_VERSION = 6, 3


def check_mpy(mpy: int) -> None:
    """DeployError unless a board whose sys.implementation._mpy is mpy loads our files."""
    version, sub = mpy & 0xFF, mpy >> 8 & 3
    if (version, sub) != (MPY_VERSION, MPY_SUB_VERSION):
        raise DeployError(
            f"the board's MicroPython reads .mpy v{version}.{sub}; the firmware is compiled "
            f"to v{MPY_VERSION}.{MPY_SUB_VERSION} (MicroPython 1.23 or later, v1.28.0 is the "
            "one tested): flash a newer MicroPython, or the frozen image (make firmware)")


def probe(port: str) -> tuple[str, str | None]:
    """(sys.platform, mpy-cross -march name or None when the board has no native code)."""
    platform, mpy = _line(mpremote(port, "exec", PROBE), "PROBE").split()
    if int(mpy):
        check_mpy(int(mpy))
    return platform, ARCHES.get(int(mpy) >> 10)


def device_path(rel: Path) -> str:
    return "/main.py" if str(rel) == "main.py" else f"{LIB}/{rel.as_posix()}"


def plan(out_dir: Path) -> dict[str, Path]:
    """{path on the board: local file} for everything in a build folder."""
    files = {}
    for p in sorted(out_dir.rglob("*")):
        if p.is_file():
            files[device_path(p.relative_to(out_dir))] = p
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compile_for(board: str, arch: str, check_esp32: bool = True,
                out_dir: Path | None = None) -> Path:
    out_dir = Path(out_dir or ROOT / "build" / "deploy" / f"{board}-{arch}")
    if out_dir.exists():
        for p in sorted(out_dir.rglob("*"), reverse=True):  # no stale files from old builds
            p.unlink() if p.is_file() else p.rmdir()
    res = build(board, out_dir=out_dir, arch=arch)
    errors = list(res["errors"])
    if check_esp32 and arch != "xtensawin":
        with tempfile.TemporaryDirectory() as tmp:
            errors += [f"(xtensawin) {e}" for e in build(board, Path(tmp), "xtensawin")["errors"]]
    if errors:
        raise DeployError("mpy-cross failed:\n" + "\n".join(errors))
    return out_dir


def deploy(port: str, board: str | None = None, force: bool = False, reset: bool = True,
           check_esp32: bool = True, log=print, build_dir: Path | None = None) -> dict:
    """Compile (into build_dir, default build/deploy/<board>-<arch>), copy what changed,
    reset. Returns a summary dict (copied, skipped, removed, bytes, board, arch, seconds)."""
    t0 = time.monotonic()
    real = os.path.realpath(port)
    if real.startswith("/dev/pts/"):
        # mpremote reads a /dev/pts/N port with blocking reads; any other name (a symlink
        # such as build/vboard/tty) it polls with 10 ms sleeps, about 4x slower.
        port = real
    platform, arch = probe(port)
    if board is None:
        board = "virtual" if platform == "linux" else "esp32"
    if arch is None:
        arch = "xtensawin" if platform == "esp32" else "x64"
    out_dir = compile_for(board, arch, check_esp32, build_dir)
    files = plan(out_dir)
    hashes = {dev: sha256(local) for dev, local in files.items()}

    out = mpremote(port, "exec", HASHES % {"manifest": MANIFEST, "paths": list(files)})
    on_board = json.loads(_line(out, "HASHES"))
    old = json.loads(_line(out, "OLD"))
    changed = [d for d in files if force or on_board.get(d) != hashes[d]]
    stale = [p for p in old if p not in files and on_board.get(p, "-") != "-"]
    nbytes = sum(files[d].stat().st_size for d in changed)

    args: list[str] = []
    dirs = set()
    for d in changed:
        parts = d.split("/")[1:-1]  # "/lib/ui/font.mpy" -> /lib, /lib/ui
        dirs.update("/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1))
    dirs = sorted(dirs, key=lambda s: (s.count("/"), s))
    if dirs or stale:
        args += ["exec", PREPARE % {"dirs": dirs, "remove": stale}, "+"]
    by_dir: dict[str, list[Path]] = {}
    for d in changed:
        by_dir.setdefault(d.rsplit("/", 1)[0] or "/", []).append(files[d])
    for dest, locals_ in sorted(by_dir.items()):
        # -f: the hashes were just compared here, mpremote need not compare them again.
        args += ["fs", "cp", "-f", *map(str, locals_), ":" + dest.rstrip("/") + "/", "+"]
    if changed or stale or sorted(old) != sorted(files):
        args += ["exec", WRITE_MANIFEST % {"manifest": MANIFEST, "files": hashes}, "+"]
    if reset:
        args += ["reset"]
    elif args:
        args.pop()  # the trailing "+"
    if args:
        mpremote(port, *args, timeout=600)
    if reset:
        # mpremote's reset runs machine.reset() 100 ms after it returns; a command sent
        # before then would interrupt it (and find a board still booting).
        time.sleep(0.3)

    summary = {
        "board": board, "arch": arch, "copied": len(changed), "skipped": len(files) - len(changed),
        "removed": len(stale), "bytes": nbytes, "files": len(files), "changed": changed,
        "reset": reset, "seconds": round(time.monotonic() - t0, 1),
    }
    if log:
        for d in changed:
            log("  copied ", d)
        for p in stale:
            log("  removed", p)
        log(f"deploy {port}: board {board} ({arch}): {len(changed)} copied ({nbytes} bytes), "
            f"{summary['skipped']} unchanged, {len(stale)} removed"
            f"{', reset' if reset else ''} in {summary['seconds']} s")
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", required=True, help="serial port (/dev/ttyUSB0, a virtual "
                                                  "board's pty or its link)")
    ap.add_argument("--board", choices=("esp32", "virtual"),
                    help="board modules to install (default: virtual on a linux board, "
                         "else esp32)")
    ap.add_argument("--force", action="store_true", help="copy every file, changed or not")
    ap.add_argument("--no-reset", action="store_true", help="do not reset the board after")
    ap.add_argument("--no-esp32-check", action="store_true",
                    help="skip the extra xtensawin compile when the target is not an ESP32")
    args = ap.parse_args()
    try:
        deploy(args.port, args.board, force=args.force, reset=not args.no_reset,
               check_esp32=not args.no_esp32_check)
    except (DeployError, subprocess.TimeoutExpired) as e:
        print("deploy failed:", e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
