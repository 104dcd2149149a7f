"""The device-like interpreter (`make frozen`): MicroPython's unix port built 32-bit with
asyncio, TLS (`tls`, mbedTLS from the tree's lib/mbedtls, as the ESP32 port has it), the
firmware and the simulator board frozen in, as the ESP32 image freezes the firmware. Its
objects are 32-bit and the firmware's code and constants stay out of the heap, so heap
figures taken on it are an ESP32's (docs/performance.md, "Heap"). mbedTLS allocates from
the C heap here, as from the IDF heap on the ESP32: the GC heap holds only the Python
objects of a TLS connection.

MICROPY_DIR names the MicroPython v1.28.0 source: a checkout
(`git clone --depth 1 --branch v1.28.0 https://github.com/micropython/micropython`), or a
tarball of one (.tar.gz, unpacked once into build/frozen/src/), with its lib/mbedtls
submodule (`git submodule update --init lib/mbedtls` in a checkout). The 32-bit build
needs a compiler that can target i386 (Debian: `apt-get install gcc-multilib`). It writes

    build/frozen/mpy-cross       mpy-cross of that tree (x86, x64 and xtensawin code)
    build/frozen/micropython     the 32-bit unix port, board/unix/manifest.py frozen in

and then freezes board/esp32/manifest.py for xtensawin (`--esp32`, as `make test` does),
so a firmware file that the ESP32 cannot compile fails here without ESP-IDF.

When something is missing it says what and how to get it, and exits with status 2.
Run again, it rebuilds only what changed (make's own dependencies; a few seconds). make
does not see a change of the build's flags (UNIX_FLAGS): build/frozen/obj-unix/FLAGS
records them and a build made with others is started again from scratch, and
build/frozen/SOURCES covers them, so that an interpreter built with others (one without
TLS) is known as stale.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "frozen"
MICROPYTHON = OUT / "micropython"
MPY_CROSS = OUT / "mpy-cross"
UNIX_MANIFEST = ROOT / "board" / "unix" / "manifest.py"
ESP32_MANIFEST = ROOT / "board" / "esp32" / "manifest.py"
VERSION = (1, 28, 0)  # the .mpy format and frozen layout the firmware is measured on
# The unix build with the one submodule it needs, mbedTLS (lib/mbedtls), for `tls`: the
# terminal speaks TLS to the host (firmware/host/tls.py), as the ESP32 port does with
# ESP-IDF's mbedTLS. No FFI or btree (their submodules are not needed).
UNIX_FLAGS = ["VARIANT=standard", "MICROPY_FORCE_32BIT=1", "MICROPY_PY_FFI=0",
              "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=1", "MICROPY_SSL_MBEDTLS=1",
              "MPY_CROSS_FLAGS=-march=x86"]
HOW_TO_GET = (
    "point MICROPY_DIR at a MicroPython v1.28.0 source tree, e.g.\n"
    "    git clone --depth 1 --branch v1.28.0 https://github.com/micropython/micropython"
    " ~/micropython-1.28\n"
    "    git -C ~/micropython-1.28 submodule update --init lib/mbedtls\n"
    "    make frozen MICROPY_DIR=~/micropython-1.28")


class Missing(Exception):
    """Something the build needs is not here; the message says how to get it."""


def tree_version(tree: Path) -> tuple[int, int, int] | None:
    try:
        text = (tree / "py" / "mpconfig.h").read_text()
    except OSError:
        return None
    parts = [re.search(rf"#define MICROPY_VERSION_{w} \(?(\d+)", text)
             for w in ("MAJOR", "MINOR", "MICRO")]
    if not all(parts):
        return None
    return tuple(int(m.group(1)) for m in parts)  # type: ignore[union-attr,return-value]


def source_tree(spec: str) -> Path:
    """The MicroPython tree MICROPY_DIR names, unpacking a tarball once."""
    if not spec:
        raise Missing("MICROPY_DIR is not set: " + HOW_TO_GET)
    path = Path(spec).expanduser().resolve()
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        dest = OUT / "src" / hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        if not (dest / ".unpacked").exists():
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            with tarfile.open(path) as tar:
                tar.extractall(dest, filter="data")
            (dest / ".unpacked").touch()
        tops = [p for p in dest.iterdir() if p.is_dir()]
        tree = tops[0] if len(tops) == 1 and not (dest / "py").exists() else dest
    elif path.is_dir():
        tree = path
    else:
        raise Missing(f"MICROPY_DIR={spec} is neither a folder nor a .tar.gz: " + HOW_TO_GET)
    for need in ("py/mpconfig.h", "mpy-cross/Makefile", "ports/unix/Makefile",
                 "extmod/asyncio/manifest.py", "tools/makemanifest.py"):
        if not (tree / need).exists():
            raise Missing(f"MICROPY_DIR={spec} is not a MicroPython source tree (no {need}): "
                          + HOW_TO_GET)
    if not (tree / "lib" / "mbedtls" / "library" / "ssl_tls.c").exists():
        raise Missing(f"MICROPY_DIR={spec} has no mbedTLS (lib/mbedtls is empty), which the "
                      "interpreter's TLS is built from: in a git checkout, run `git submodule "
                      "update --init lib/mbedtls` in it")
    got = tree_version(tree)
    if got != VERSION:
        have = ".".join(map(str, got)) if got else "unknown"
        raise Missing(f"MICROPY_DIR={spec} is MicroPython {have}, not "
                      f"{'.'.join(map(str, VERSION))} (the .mpy format the firmware is built "
                      "and measured for): " + HOW_TO_GET)
    return tree


def check_m32() -> None:
    """gcc must build and run a 32-bit program (Debian's gcc-multilib)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "m32.c"
        src.write_text("#include <stdio.h>\nint main(void){return sizeof(void*) != 4;}\n")
        exe = Path(tmp) / "m32"
        try:
            cc = subprocess.run(["gcc", "-m32", "-o", str(exe), str(src)],
                                capture_output=True, text=True)
        except OSError:
            raise Missing("no gcc on PATH (Debian: apt-get install build-essential "
                          "gcc-multilib)") from None
        if cc.returncode or subprocess.run([str(exe)]).returncode:
            raise Missing("gcc cannot build 32-bit programs (gcc -m32 failed): install the "
                          "32-bit C library and multilib support (Debian: apt-get install "
                          "gcc-multilib)")


def make(args: list[str], log: Path, quiet: bool, tree: Path) -> None:
    cmd = ["make", f"-j{os.cpu_count() or 2}", *args]
    print("+ " + " ".join(cmd), flush=True)
    # The version string comes from `git describe` in the tree: an unpacked tarball under
    # build/ must not take this repository's commit for MicroPython's.
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tree.parent)}
    with open(log, "w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    if proc.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise RuntimeError(f"make failed (full log: {log}):\n{tail}")
    if not quiet:
        print(f"  ok (log: {log.relative_to(ROOT)})")


def lib_dir() -> Path:
    """The unix Makefile wants micropython-lib's README.md whenever a manifest is given;
    our manifests require() nothing from it, so a folder with that file is enough."""
    d = OUT / "no-micropython-lib"
    d.mkdir(parents=True, exist_ok=True)
    (d / "README.md").write_text("Stands in for micropython-lib: nothing is required.\n")
    return d


def sources_digest() -> str:
    """A hash of the build's flags and of every file board/unix/manifest.py freezes:
    build/frozen/SOURCES holds it for the build, so that a build older than the firmware,
    or made with other flags (without TLS), is known as such."""
    from host_tools.firmware_build import manifest_entries

    h = hashlib.sha256(" ".join(UNIX_FLAGS).encode() + b"\0")
    for src, name in manifest_entries(UNIX_MANIFEST):
        h.update(name.encode() + b"\0" + src.read_bytes() + b"\0")
    return h.hexdigest()


def stale() -> str:
    """'' when build/frozen/micropython exists and holds the firmware as it is now, else
    what is wrong with it."""
    if not MICROPYTHON.exists():
        return f"no device-like interpreter ({MICROPYTHON.relative_to(ROOT)})"
    try:
        built = (OUT / "SOURCES").read_text().strip()
    except OSError:
        built = ""
    if built != sources_digest():
        return (f"{MICROPYTHON.relative_to(ROOT)} is older than the firmware sources or "
                "was built with other flags (without TLS)")
    return ""


def build(tree: Path, quiet: bool = False) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make(["-C", str(tree / "mpy-cross"), f"BUILD={OUT / 'obj-mpy-cross'}"],
         OUT / "mpy-cross.log", quiet, tree)
    shutil.copy2(OUT / "obj-mpy-cross" / "mpy-cross", MPY_CROSS)
    obj, flags = OUT / "obj-unix", " ".join(UNIX_FLAGS) + "\n"
    try:
        same = (obj / "FLAGS").read_text() == flags
    except OSError:
        same = False
    if not same:  # make would keep objects (and qstrs) compiled with the old flags
        shutil.rmtree(obj, ignore_errors=True)
        obj.mkdir(parents=True)
        (obj / "FLAGS").write_text(flags)
    make(["-C", str(tree / "ports" / "unix"), *UNIX_FLAGS,
          f"FROZEN_MANIFEST={UNIX_MANIFEST}", f"MPY_LIB_DIR={lib_dir()}",
          f"MICROPY_MPYCROSS={MPY_CROSS}", f"BUILD={OUT / 'obj-unix'}"],
         OUT / "unix.log", quiet, tree)
    shutil.copy2(OUT / "obj-unix" / "micropython", MICROPYTHON)
    (OUT / "SOURCES").write_text(sources_digest() + "\n")
    (OUT / "TREE").write_text(str(tree) + "\n")


def built_tree() -> Path | None:
    """The MicroPython tree build/frozen/ was built from (None before a build)."""
    try:
        return Path((OUT / "TREE").read_text().strip())
    except OSError:
        return None


def freeze_esp32(tree: Path, manifest: Path = ESP32_MANIFEST, out: Path = OUT / "esp32-freeze"
                 ) -> Path:
    """Freeze manifest (board/esp32/manifest.py: the firmware and the ESP32 board's
    modules) for xtensawin with MicroPython's makemanifest.py, as the ESP32 build does;
    returns the generated C file. Needs mpy-cross and the qstr header of a build (the
    unix one). RuntimeError, with makemanifest's words, when it fails."""
    genhdr = out / "genhdr"
    genhdr.mkdir(parents=True, exist_ok=True)
    shutil.copy2(OUT / "obj-unix" / "genhdr" / "qstrdefs.preprocessed.h", genhdr)
    target = out / "frozen_content.c"
    target.unlink(missing_ok=True)  # always regenerated: this is a check
    cmd = [sys.executable, str(tree / "tools" / "makemanifest.py"), "-o", str(target),
           "-b", str(out), "-v", f"MPY_DIR={tree}", "-v", f"PORT_DIR={tree / 'ports' / 'unix'}",
           "-v", f"MPY_LIB_DIR={lib_dir()}", "-f-march=xtensawin", str(manifest)]
    env = {**os.environ, "MICROPY_MPYCROSS": str(MPY_CROSS)}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode or not target.exists():
        raise RuntimeError(f"freezing {manifest.name} for xtensawin failed:\n"
                           + proc.stdout + proc.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--esp32", action="store_true",
                    help="also freeze board/esp32/manifest.py for xtensawin (a check)")
    ap.add_argument("--if-available", action="store_true",
                    help="when MICROPY_DIR is unset, say so and succeed (make test)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    spec = os.environ.get("MICROPY_DIR", "")
    if args.if_available and not spec:
        print("frozen: MICROPY_DIR is not set, the device-like interpreter is not built; the "
              "tests that need it skip (README, 'The device-like interpreter')")
        return 0
    try:
        tree = source_tree(spec)
        check_m32()
    except Missing as e:
        print(f"frozen: cannot build the device-like interpreter: {e}", file=sys.stderr)
        return 2
    try:
        build(tree, args.quiet)
        if args.esp32:
            print("+ makemanifest.py -f-march=xtensawin board/esp32/manifest.py", flush=True)
            freeze_esp32(tree)
    except RuntimeError as e:
        print(f"frozen: {e}", file=sys.stderr)
        return 1
    print(f"frozen: {MICROPYTHON.relative_to(ROOT)} (MicroPython "
          f"{'.'.join(map(str, VERSION))}, 32-bit, TLS, firmware frozen)"
          + ("; board/esp32/manifest.py freezes for xtensawin" if args.esp32 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
