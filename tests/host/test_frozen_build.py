"""The device-like interpreter (`make frozen`) as a frozen image: the firmware's modules
are frozen (not files), its text assets are found there as on every board, and the ESP32
image's module list freezes for xtensawin, so a missing file or a construct the ESP32
cannot compile fails here, without ESP-IDF."""

import re
import subprocess

import pytest

from host_tools import frozen_unix
from host_tools.gen_text_assets import load_table

PROBE = """
import gc, os, sys
gc.collect()
before = gc.mem_alloc()
from ui import assets
gc.collect()
print("tables", len(assets.FONT16) + len(assets.GB18030) + len(assets.STRINGS),
      gc.mem_alloc() - before)
from ui import font, gb
from ui.font import Font
from app import strings
print("cwd", sorted(os.listdir(".")))
print("file", font.__file__, strings.__file__)
print("width", Font().width("预授权撤销 OK"))
print("gb", gb.encode("测试商户 1.00").hex())
strings.set_language("zh")
print("zh", strings.t("m_void"))
strings.set_language("en")
print("en", strings.t("m_void"))
"""


def test_assets_are_found_in_the_frozen_image(frozen_runtime, tmp_path):
    run = tmp_path / "empty"  # no file of the firmware anywhere near: all of it is frozen
    run.mkdir()
    out = subprocess.run([frozen_runtime.exe, "-c", PROBE], cwd=run, capture_output=True,
                         text=True, env={"MICROPYPATH": frozen_runtime.module_path()},
                         timeout=30)
    assert out.returncode == 0, out.stderr
    got = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert got["cwd"] == "[]"
    # v1.28.0 names a frozen module by its manifest path, no folder that exists
    assert got["file"] == "ui/font.py app/strings.py"
    assert got["width"] == str(5 * 16 + 3 * 8)
    assert got["gb"] == "测试商户 1.00".encode("gb18030").hex()
    table = load_table()
    assert got["zh"] == table["m_void"][0] and got["en"] == table["m_void"][1]
    size, heap = map(int, got["tables"].split())
    assert size > 10_000 and heap < 256  # importing them costs a module, not the tables


def test_the_interpreter_has_tls(frozen_runtime):
    """The terminal speaks TLS to the host by default (firmware/host/tls.py): the
    device-like interpreter has `tls` with mbedTLS, as the ESP32 port has, so the
    integration suite and the heap budget run with TLS on."""
    out = subprocess.run([frozen_runtime.exe, "-c",
                          "import tls; print(tls.MBEDTLS_VERSION); "
                          "print(hasattr(tls.SSLContext, 'load_verify_locations'))"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    version, ok = out.stdout.split("\n")[:2]
    assert version.startswith("Mbed TLS 3.") and ok == "True"


def test_a_build_with_other_flags_is_stale(monkeypatch):
    """The stamp covers the build's flags: an interpreter built without TLS is rebuilt."""
    before = frozen_unix.sources_digest()
    flags = [f for f in frozen_unix.UNIX_FLAGS if not f.startswith("MICROPY_PY_SSL")]
    monkeypatch.setattr(frozen_unix, "UNIX_FLAGS", [*flags, "MICROPY_PY_SSL=0"])
    assert frozen_unix.sources_digest() != before


def test_esp32_list_freezes_for_xtensawin(frozen_runtime):
    tree = frozen_unix.built_tree()
    assert tree is not None and tree.exists(), "make frozen records its MicroPython tree"
    c = frozen_unix.freeze_esp32(tree).read_text()
    names = re.search(r"mp_frozen_names\[\] = \{(.*?)\};", c, re.S)
    assert names, "no frozen module names in the generated C"
    for module in ("main.py", "app/terminal.py", "crypto/des.py", "ui/assets.py", "board.py",
                   "esp_hw.py"):
        assert f'"{module}\\0"' in names.group(1), module


@pytest.mark.parametrize("module, why", [
    # viper code is compiled to xtensawin machine code: its type errors show here
    ("import micropython\n@micropython.viper\ndef f() -> int:\n    x = 1\n    x = 'a'\n"
     "    return x\n", "ViperTypeError"),
    (None, "Cannot stat"),
])
def test_a_module_the_esp32_cannot_take_fails_the_freeze(frozen_runtime, tmp_path, module,
                                                         why):
    if module is not None:
        (tmp_path / "bad.py").write_text(module)
    (tmp_path / "manifest.py").write_text('module("bad.py")\n')
    with pytest.raises(RuntimeError) as err:
        frozen_unix.freeze_esp32(frozen_unix.built_tree(), tmp_path / "manifest.py",
                                 tmp_path / "out")
    assert why in str(err.value)


def test_deploy_refuses_a_board_whose_micropython_reads_another_mpy_format():
    from host_tools.deploy import DeployError, check_mpy

    check_mpy(6 | 3 << 8 | 10 << 10)  # an ESP32 (xtensawin) on MicroPython 1.23 .. 1.28
    for old in (6 | 2 << 8 | 10 << 10, 5 | 10 << 10):  # 1.22 (v6.2), 1.19 (v5)
        with pytest.raises(DeployError, match="v6.3"):
            check_mpy(old)


def test_the_interpreters_read_the_mpy_format_deploy_writes(frozen_runtime):
    from host_tools.deploy import check_mpy
    from host_tools.runtime import plain_interpreter

    for exe in (frozen_runtime.exe, plain_interpreter()):
        out = subprocess.run([exe, "-c", "import sys; print(sys.implementation._mpy)"],
                             capture_output=True, text=True, timeout=30)
        check_mpy(int(out.stdout))
