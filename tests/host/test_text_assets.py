"""The committed text assets (firmware/ui/assets.py) match the firmware sources (no unifont
needed for that), the GB table agrees with CPython's gb18030 codec, glyphs match
unifont.hex when installed, and the firmware reads the tables wherever it runs."""

import shutil
import subprocess
import sys

import pytest

from host_tools import gen_text_assets as gta

UNIFONT_PRESENT = gta.UNIFONT.exists()


@pytest.fixture(scope="module")
def tables():
    return gta.read_assets()


@pytest.fixture(scope="module")
def font(tables):
    return gta.read_font(tables["font"])


@pytest.fixture(scope="module")
def gb(tables):
    return gta.read_gb(tables["gb"])


def test_assets_hold_exactly_what_the_sources_use(font, gb):
    need = set(gta.required_codepoints())
    have = set(font["cps"])
    assert not need - have, f"missing glyphs (run `make assets`): {gta._names(need - have)}"
    assert not have - need, f"unused glyphs shipped (run `make assets`): {gta._names(have - need)}"
    assert set(gb) == {cp for cp in need if cp >= 0x80}
    assert gta.check_committed() == []


def test_tables_sorted_and_well_formed(font):
    assert font["height"] == 16
    assert font["cps"] == sorted(set(font["cps"]))
    assert font["cps"][:95] == list(range(0x20, 0x7F))  # the firmware's ASCII fast path
    for cp, (width, bitmap) in font["glyphs"].items():
        assert width in (8, 16), hex(cp)
        assert len(bitmap) == 2 * width
        if cp < 0x7F:
            assert width == 8


def test_gb_table_agrees_with_codec(gb):
    for cp, code in gb.items():
        assert chr(cp).encode("gb18030") == code, f"U+{cp:04X}"


def test_scanner_reads_string_constants_only(tmp_path):
    fw = tmp_path / "firmware"
    fw.mkdir()
    (fw / "m.py").write_text(
        '"""模块说明"""\n'
        "# 注释\n"
        'X = "确认"\n'
        "def f(n):\n"
        '    """函数"""\n'
        '    return f"金额{n}元" + "\\u53d6"  # 取 via escape\n',
        encoding="utf-8",
    )
    found = gta.scan_sources(fw)
    assert "".join(sorted(map(chr, found))) == "".join(sorted("确认金额元取"))
    assert found[ord("确")][0].endswith("m.py:3")


def test_check_reports_a_new_character(tmp_path):
    fw = tmp_path / "firmware"
    shutil.copytree(gta.FIRMWARE, fw, ignore=shutil.ignore_patterns("__pycache__"))
    (fw / "extra.py").write_text('S = "\u9f98"\n', encoding="utf-8")  # 龘
    problems = gta.check_committed(fw, gta.ASSETS_PATH)
    assert any("FONT16 lacks" in p and "\u9f98" in p for p in problems), problems
    assert any("GB18030 lacks" in p for p in problems), problems


def test_check_command_passes():
    proc = subprocess.run(
        [sys.executable, "-m", "host_tools.gen_text_assets", "--check"],
        capture_output=True, text=True, cwd=gta.ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_vlsb_conversion():
    width, bm = gta.hex_to_vlsb("0000000018242442427E424242420000")  # 'A'
    assert width == 8
    # column 1 has rows 7..13 set: bits 7 of band 0, bits 0..5 of band 1
    assert bm[1] == 0x80 and bm[8 + 1] == 0x3F


@pytest.mark.skipif(not UNIFONT_PRESENT, reason="unifont not installed (apt-get install unifont)")
def test_glyphs_match_unifont(font):
    sample = [ord(c) for c in "A1?~"] + [cp for cp in font["cps"] if cp >= 0x80][:8]
    hexes = gta.load_unifont(wanted=set(sample))
    for cp in sample:
        width, bitmap = font["glyphs"][cp]
        assert (width, bitmap) == gta.hex_to_vlsb(hexes[cp]), f"U+{cp:04X}"


@pytest.mark.skipif(not UNIFONT_PRESENT, reason="unifont not installed (apt-get install unifont)")
def test_build_is_deterministic_and_committed():
    a = gta.generate(warn=lambda *_: None)
    b = gta.generate(warn=lambda *_: None)
    assert a["font"] == b["font"] and a["gb"] == b["gb"]
    assert gta.render_assets(a) == gta.ASSETS_PATH.read_text(), "run `make assets`"


def test_assets_module_round_trips(tmp_path):
    tables = {"font": bytes(range(256)) * 3, "gb": b"", "strings": b'"\\\n\x00'}
    path = tmp_path / "assets.py"
    path.write_text(gta.render_assets(tables))
    assert gta.read_assets(path) == tables
    path.write_text("FONT16 = b''\nGB18030 = 'text'\nSTRINGS = b''\n")
    with pytest.raises(gta.AssetError, match="GB18030"):
        gta.read_assets(path)


# --- STRINGS (host_tools/strings_table.py; read by firmware/app/strings.py) ---------------


def test_strings_table_holds_the_table(tables):
    table = gta.load_table()
    assert gta.read_strings(tables["strings"]) == table, "run `make assets`"
    assert gta.build_strings(table) == tables["strings"], "run `make assets`"


def test_every_key_the_firmware_asks_for_is_in_the_table():
    import ast

    table = gta.load_table()
    missing = []
    for path in sorted(gta.FIRMWARE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "t" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                key = node.args[0].value
                if key not in table:
                    missing.append(f"{path.relative_to(gta.ROOT)}:{node.lineno} {key!r}")
    assert not missing, missing


def test_strings_bin_rejects_a_hash_collision():
    a = "k0"
    b = next(f"k{i}" for i in range(1, 10**7) if gta.key_hash(f"k{i}") == gta.key_hash(a))
    with pytest.raises(gta.AssetError, match="same hash"):
        gta.build_strings({a: ("x", "x"), b: ("y", "y")})


def test_firmware_reads_the_table_as_built():
    from tests.mp import run_mp_code

    table = gta.load_table()
    keys = sorted(table)
    code = (
        "from app import strings\n"
        "from app.strings import t, _hash\n"
        f"keys = {keys!r}\n"
        "for lang in ('zh', 'en'):\n"
        "    strings.set_language(lang)\n"
        "    for k in keys:\n"
        "        print(_hash(k), t(k))\n"
        "for k in ('nope', 'rc_Q7', 'app ', ''):\n"
        "    try:\n"
        "        t(k)\n"
        "        print('found', k)\n"
        "    except KeyError:\n"
        "        pass\n"
    )
    out = run_mp_code(code)
    assert out.returncode == 0, out.stderr
    want = [f"{gta.key_hash(k)} {table[k][lang]}" for lang in (0, 1) for k in keys]
    assert out.stdout.splitlines() == want
