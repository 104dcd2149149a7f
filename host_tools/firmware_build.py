"""Build a MicroPython image for the prototype with the firmware frozen in (`make firmware`).

Needs a MicroPython source tree (MICROPY_DIR, e.g. ~/micropython) and ESP-IDF (IDF_PATH
set and idf.py on PATH, as `. $IDF_PATH/export.sh` leaves them). Runs, in MICROPY_DIR:

    make -C mpy-cross
    make -C ports/esp32 BOARD_DIR=<repo>/board/esp32/boards/POS_PROTO submodules
    make -C ports/esp32 BOARD_DIR=... FROZEN_MANIFEST=... BUILD=<repo>/build/firmware/POS_PROTO

and leaves firmware.bin in build/firmware/POS_PROTO. When something is missing it says
what and how to get it, and exits with status 2 without building.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOARD_DIR = ROOT / "board" / "esp32" / "boards" / "POS_PROTO"
MANIFEST = BOARD_DIR / "manifest.py"
FIRMWARE_MANIFEST = ROOT / "board" / "esp32" / "manifest.py"  # firmware + the board's modules
BUILD = ROOT / "build" / "firmware" / "POS_PROTO"


def manifest_entries(path: Path = FIRMWARE_MANIFEST) -> list[tuple[Path, str]]:
    """(source file, frozen name) for each module a manifest freezes, read by running it
    with the module()/package() of MicroPython's tools/manifestfile.py (paths relative to
    the manifest file). include()s of $(...) paths (MicroPython's own) are skipped; other
    includes are followed."""
    out: list[tuple[Path, str]] = []

    def run(p: Path):
        here = p.parent

        def base(b):
            return (here / b).resolve()

        def module(module_path, base_path=".", opt=None):
            out.append((base(base_path) / module_path, module_path))

        def package(package_path, files=None, base_path=".", opt=None):
            root = base(base_path)
            if files is None:
                files = [str(f.relative_to(root / package_path))
                         for f in sorted((root / package_path).rglob("*.py"))]
            for f in files:
                name = f"{package_path}/{f}"
                out.append((root / name, name))

        def include(manifest_path, **kw):
            if "$(" in manifest_path:
                return
            q = base(manifest_path)
            run(q / "manifest.py" if q.is_dir() else q)

        def ignore(*a, **kw):
            pass

        g = {"module": module, "package": package, "include": include, "require": ignore,
             "metadata": ignore, "options": None, "freeze": ignore}
        exec(compile(p.read_text(), str(p), "exec"), g)

    run(path)
    return out


def missing_toolchain(env=None) -> list[str]:
    """What stops a build, each with how to fix it; empty when all is there."""
    env = os.environ if env is None else env
    problems = []
    mp = env.get("MICROPY_DIR", "")
    if not mp:
        problems.append(
            "MICROPY_DIR is not set: it must point at a MicroPython source tree, e.g.\n"
            "    git clone https://github.com/micropython/micropython ~/micropython\n"
            "    export MICROPY_DIR=~/micropython")
    elif not (Path(mp).expanduser() / "ports" / "esp32" / "Makefile").is_file():
        problems.append(
            f"MICROPY_DIR={mp} is not a MicroPython source tree (no ports/esp32/Makefile)")
    idf = env.get("IDF_PATH", "")
    idf_py = shutil.which("idf.py", path=env.get("PATH", ""))
    if not idf or not Path(idf).expanduser().is_dir() or not idf_py:
        what = []
        if not idf:
            what.append("IDF_PATH is not set")
        elif not Path(idf).expanduser().is_dir():
            what.append(f"IDF_PATH={idf} does not exist")
        if not idf_py:
            what.append("idf.py is not on PATH")
        problems.append(
            "ESP-IDF not found (" + ", ".join(what) + "): install the ESP-IDF version that\n"
            "    $MICROPY_DIR/ports/esp32/README.md names, then in this shell run\n"
            "    . $IDF_PATH/export.sh      (sets IDF_PATH and puts idf.py on PATH)")
    return problems


def commands(micropy_dir: Path) -> list[list[str]]:
    esp32 = micropy_dir / "ports" / "esp32"
    board = [f"BOARD_DIR={BOARD_DIR}"]
    return [
        ["make", "-C", str(micropy_dir / "mpy-cross")],
        ["make", "-C", str(esp32), *board, "submodules"],
        ["make", "-C", str(esp32), *board, f"FROZEN_MANIFEST={MANIFEST}", f"BUILD={BUILD}"],
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only check the toolchain")
    ap.add_argument("--print", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args(argv)

    absent = [str(src.relative_to(ROOT)) for src, _ in manifest_entries() if not src.is_file()]
    if absent:
        print("firmware: the manifest names files that do not exist:\n  " + "\n  ".join(absent),
              file=sys.stderr)
        return 1
    problems = missing_toolchain()
    if problems:
        print("firmware: cannot build the ESP32 image here. Missing:", file=sys.stderr)
        for p in problems:
            print("  - " + p, file=sys.stderr)
        print("(`make deploy PORT=...` needs neither: it copies compiled modules onto a board "
              "running stock MicroPython; docs/hardware.md)", file=sys.stderr)
        return 2
    if args.check:
        print("firmware: toolchain found")
        return 0
    micropy_dir = Path(os.environ["MICROPY_DIR"]).expanduser().resolve()
    for cmd in commands(micropy_dir):
        print("+ " + " ".join(cmd), flush=True)
        if not args.print and subprocess.run(cmd).returncode:
            print("firmware: build failed (see above)", file=sys.stderr)
            return 1
    image = BUILD / "firmware.bin"
    print(f"firmware: {image.relative_to(ROOT)}\nflash it (erases the board, config included):\n"
          f"  esptool.py --chip esp32 --port PORT erase_flash\n"
          f"  esptool.py --chip esp32 --port PORT --baud 460800 write_flash -z 0x1000 {image}\n"
          f"then: make provision PORT=PORT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
