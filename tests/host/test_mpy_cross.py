"""All firmware compiles for the ESP32 (mpy-cross -march=xtensawin), and uses no
CPython-only modules."""

import re

from host_tools.build_mpy import ROOT, build

CPYTHON_ONLY = re.compile(
    r"^\s*(from|import)\s+(typing|dataclasses|pathlib|subprocess|enum|abc|threading|sqlite3)\b",
    re.M,
)


def test_firmware_compiles_for_xtensawin(tmp_path):
    for board in ("esp32", "unix", "virtual"):
        res = build(board, out_dir=tmp_path / board)
        assert not res["errors"], "\n".join(res["errors"])
        assert res["bytes"] > 0


def test_no_cpython_only_imports():
    bad = [
        str(p.relative_to(ROOT))
        for base in ("firmware", "board")
        for p in (ROOT / base).rglob("*.py")
        if CPYTHON_ONLY.search(p.read_text())
    ]
    assert not bad, bad
