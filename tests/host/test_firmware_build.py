"""The frozen image's manifest lists every firmware module, and `make firmware` says
plainly what is missing when ESP-IDF or the MicroPython tree is not there."""

import stat

from host_tools import firmware_build as fb
from host_tools.build_mpy import ROOT


def _modules(folder, exclude=("manifest.py",)):
    return {str(p.relative_to(folder)) for p in folder.rglob("*.py") if p.name not in exclude}


def _check(entries, want, fix):
    frozen = {name for _, name in entries}
    assert len(frozen) == len(entries), "a module is listed twice"
    assert not want - frozen, f"add to {fix}: {sorted(want - frozen)}"
    assert not frozen - want, f"listed but not a module: {sorted(frozen - want)}"
    for src, name in entries:
        assert src.is_file(), src
        assert src.name == name.rsplit("/", 1)[-1]


def test_one_list_of_firmware_modules_serves_both_images():
    firmware = fb.manifest_entries(ROOT / "firmware" / "manifest.py")
    _check(firmware, _modules(ROOT / "firmware"), "firmware/manifest.py")
    for board in ("esp32", "unix"):
        entries = fb.manifest_entries(ROOT / "board" / board / "manifest.py")
        _check(entries, _modules(ROOT / "firmware") | _modules(ROOT / "board" / board),
               f"board/{board}/manifest.py")
        assert entries[: len(firmware)] == firmware  # included, not copied
        text = (ROOT / "board" / board / "manifest.py").read_text()
        assert 'include("../../firmware/manifest.py")' in text
        assert "package(" not in text  # the firmware's packages are listed once
    assert fb.manifest_entries() == fb.manifest_entries(ROOT / "board" / "esp32" / "manifest.py")
    assert '$(MPY_DIR)/extmod/asyncio' in (ROOT / "board" / "unix" / "manifest.py").read_text()


def test_board_definition_points_at_the_manifest():
    cmake = (fb.BOARD_DIR / "mpconfigboard.cmake").read_text()
    assert "${MICROPY_BOARD_DIR}/manifest.py" in cmake
    assert "${MICROPY_BOARD_DIR}/sdkconfig.board" in cmake
    top = (fb.BOARD_DIR / "manifest.py").read_text()
    assert '"../../manifest.py"' in top and "$(PORT_DIR)/boards/manifest.py" in top
    assert (fb.BOARD_DIR / "mpconfigboard.h").is_file()


def test_missing_toolchain_is_named_with_the_fix(capsys, monkeypatch):
    for var in ("MICROPY_DIR", "IDF_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert fb.main([]) == 2
    err = capsys.readouterr().err
    assert "MICROPY_DIR is not set" in err and "git clone" in err
    assert "ESP-IDF not found" in err and "IDF_PATH is not set" in err
    assert "idf.py is not on PATH" in err and "export.sh" in err


def test_wrong_micropython_tree(tmp_path):
    problems = fb.missing_toolchain({"MICROPY_DIR": str(tmp_path), "PATH": ""})
    assert any("not a MicroPython source tree" in p for p in problems)


def test_commands_when_the_toolchain_is_there(tmp_path, monkeypatch, capsys):
    mp = tmp_path / "micropython"
    (mp / "ports" / "esp32").mkdir(parents=True)
    (mp / "ports" / "esp32" / "Makefile").write_text("")
    idf = tmp_path / "esp-idf"
    (idf / "bin").mkdir(parents=True)
    tool = idf / "bin" / "idf.py"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("MICROPY_DIR", str(mp))
    monkeypatch.setenv("IDF_PATH", str(idf))
    monkeypatch.setenv("PATH", str(idf / "bin"))
    assert fb.missing_toolchain() == []
    assert fb.main(["--print"]) == 0
    out = capsys.readouterr().out
    assert f"make -C {mp}/ports/esp32 BOARD_DIR={fb.BOARD_DIR} submodules" in out
    assert f"FROZEN_MANIFEST={fb.MANIFEST}" in out and "write_flash -z 0x1000" in out
