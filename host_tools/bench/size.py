"""Code size and import heap.

- total .mpy bytes of the firmware (and the ESP32 board's own modules) compiled for the
  ESP32 (xtensawin) by host_tools/build_mpy.py, per package; data files (font, GB18030
  table) listed apart;
- the heap in use after every firmware module is imported (gc.mem_alloc after
  gc.collect), on the unix port running the x64 .mpy build (host_tools/bench/size_mp.py).

Run: `python -m host_tools.bench.size` (part of `make bench`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from host_tools import build_mpy
from host_tools.bench.flash import WORK, run_bench_mp
from host_tools.runtime import ROOT

FIRMWARE = ROOT / "firmware"


def _build(board: str, arch: str) -> Path:
    out = WORK / f"mpy-{board}-{arch}"
    shutil.rmtree(out, ignore_errors=True)
    res = build_mpy.build(board, out_dir=out, arch=arch)
    if res["errors"]:
        raise RuntimeError("\n".join(res["errors"]))
    return out


def build_x64() -> Path:
    """The firmware + board/unix compiled for the unix port (SimTerminal code_dir=)."""
    return _build("unix", "x64")


def firmware_modules() -> list[str]:
    """Every firmware module by import name (main.py excluded: importing it runs it; and
    manifest.py, the list of modules to freeze, is not one)."""
    mods = []
    for src in sorted(FIRMWARE.rglob("*.py")):
        rel = src.relative_to(FIRMWARE).with_suffix("")
        if rel.name in ("main", "manifest"):
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        mods.append(".".join(parts))
    return mods


def xtensawin_sizes() -> dict:
    out = _build("esp32", "xtensawin")
    pkgs: dict[str, int] = {}
    for f in sorted(out.rglob("*")):
        rel = f.relative_to(out)
        if f.is_file() and f.suffix == ".mpy":
            from_board = (ROOT / "board" / "esp32" / rel.with_suffix(".py")).exists() and not (
                FIRMWARE / rel.with_suffix(".py")).exists()
            key = "board/esp32" if from_board else (
                rel.parts[0] if len(rel.parts) > 1 else "(top level)")
            pkgs[key] = pkgs.get(key, 0) + f.stat().st_size
    firmware = sum(v for k, v in pkgs.items() if k != "board/esp32")
    return {"packages": pkgs, "firmware_mpy": firmware,
            "total_mpy": sum(pkgs.values())}


def import_heap(code_dir: Path) -> dict:
    got = run_bench_mp("size_mp.py", FIRMWARE, code_dir=code_dir)
    assert got["modules"] == len(firmware_modules()), got
    got["delta"] = got["after_imports"] - got["baseline"]
    return got


def main(code_dir: Path | None = None) -> dict:
    sizes = xtensawin_sizes()
    heap = import_heap(code_dir or build_x64())
    res = {**sizes, "import_heap": heap}
    print(f".mpy for the ESP32 (xtensawin): firmware {sizes['firmware_mpy']:,} bytes, "
          f"with board/esp32 {sizes['total_mpy']:,} bytes")
    for k, v in sorted(sizes["packages"].items(), key=lambda kv: -kv[1]):
        print(f"  {k:14}{v:>9,}")
    print(f"heap after importing all {heap['modules']} firmware modules (unix port, x64 .mpy): "
          f"{heap['after_imports']:,} bytes in use ({heap['delta']:,} over the bare "
          f"interpreter's {heap['baseline']:,})")
    return res


if __name__ == "__main__":
    main()
