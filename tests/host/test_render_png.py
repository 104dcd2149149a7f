"""host_tools.render_png: receipts (ESC/POS -> 384-dot image) and the 128x64 screen."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from host_tools import render_png as R
from host_tools.gen_text_assets import read_assets, read_font
from tests.mp import run_mp_code

INIT = b"\x1b@\x1c&"
CUT = b"\x1dVB\x00"
SHOP = "测试商户".encode("gb18030")


def _ink_columns(img: Image.Image) -> list[int]:
    """x of every column with ink."""
    w, h = img.size
    px = img.load()
    assert px is not None
    return [x for x in range(w) if any(px[x, y] < 128 for y in range(h))]


def _ink(img: Image.Image) -> int:
    return sum(img.histogram()[:128])


def test_font_reader_matches_the_asset_tool():
    mine = R.Font16().glyphs
    theirs = read_font(read_assets()["font"])["glyphs"]
    assert mine == theirs
    g = R.Font16().image(ord("测"))
    assert g.size == (16, 16)
    assert R.Font16().image(0xE000).size == (16, 16)  # not in the font: a box


def test_receipts_split_at_cuts_and_are_384_wide():
    data = INIT + b"A\n" + CUT + INIT + b"B\n" + CUT + b"tail\n"
    parts = R.render_receipts(data)
    assert len(parts) == 3  # two cut receipts and the tail after the last cut
    assert all(p.width == R.PAPER_DOTS for p in parts)
    assert len(R.render_receipts(INIT + b"A\n" + CUT)) == 1
    assert R.render_receipts(b"") == []
    stacked = R.render_receipt(data)
    assert stacked.width == 384
    assert stacked.height == sum(p.height for p in parts) + 2 * R.TEAR_H


def test_32_columns_fill_the_line_and_the_33rd_wraps():
    one = R.render_receipts(INIT + b"8" * 32 + b"\n")[0]
    cols = _ink_columns(one)
    assert cols[0] < 12 and cols[-1] >= 384 - 12  # 12 dots a character, 32 to a line
    wrapped = R.render_receipts(INIT + b"8" * 33 + b"\n")[0]
    assert wrapped.height == one.height + R.CHAR_H + R.LINE_GAP


def test_chinese_is_two_columns_and_drawn_from_the_font():
    img = R.render_receipts(INIT + SHOP * 4 + b"\n")[0]  # 16 characters = a full line
    cols = _ink_columns(img)
    assert cols[-1] >= 384 - 24
    assert _ink(img) > 4 * 150


def test_alignment_sizes_and_bold():
    left = _ink_columns(R.render_receipts(INIT + b"AB\n")[0])
    centre = _ink_columns(R.render_receipts(INIT + b"\x1ba\x01AB\n")[0])
    right = _ink_columns(R.render_receipts(INIT + b"\x1ba\x02AB\n")[0])
    assert left[0] < 12
    assert abs((centre[0] + centre[-1]) / 2 - 192) <= 6
    assert right[-1] >= 384 - 3
    normal = R.render_receipts(INIT + b"AB\n")[0]
    big = R.render_receipts(INIT + b"\x1d!\x11AB\n")[0]
    assert big.height == normal.height + R.CHAR_H  # double height: one more 24-dot band
    assert _ink(big) >= 3.5 * _ink(normal)  # double width and height: four times the dots
    bold = R.render_receipts(INIT + b"\x1bE\x01AB\n")[0]
    assert _ink(bold) > _ink(normal)
    reset = R.render_receipts(INIT + b"\x1bE\x01\x1d!\x11\x1ba\x01" + INIT + b"AB\n")[0]
    assert _ink(reset) == _ink(normal)  # ESC @ resets bold, size and alignment


def test_feed_adds_lines():
    base = R.render_receipts(INIT + b"A\n")[0]
    fed = R.render_receipts(INIT + b"A\n\x1bd\x03")[0]
    assert fed.height == base.height + 3 * (R.CHAR_H + R.LINE_GAP)


def test_firmware_receipt_renders(tmp_path: Path):
    code = (
        "import binascii\n"
        "from ui import paper\n"
        "r = paper.Receipt()\n"
        "r.init(); r.align(paper.CENTER); r.size(True, True); r.text('POS'); r.newline()\n"
        "r.size(); r.align(paper.LEFT); r.kv('TID', 'TERM0001'); r.line('测试商户')\n"
        "r.rule(); r.feed(2); r.cut()\n"
        "print(binascii.hexlify(r.take()).decode())\n"
    )
    proc = run_mp_code(code)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "printer.bin"
    out.write_bytes(bytes.fromhex(proc.stdout.strip()))
    data = out.read_bytes()
    assert data.startswith(INIT) and data.endswith(CUT)
    png = tmp_path / "r.png"
    assert R.main(["receipt", str(out), "-o", str(png)]) == 0
    img = Image.open(png)
    assert img.width == 384 and img.height > 5 * R.CHAR_H


def test_screen_pixels_and_scale(tmp_path: Path):
    frame = bytearray(1024)
    frame[0] |= 1  # (0, 0)
    frame[7 * 128 + 127] |= 0x80  # (127, 63)
    img = R.render_screen(bytes(frame))
    s = R.SCREEN_SCALE
    pad = 2 * s + 1
    assert img.size == (128 * s + 2 * pad, 64 * s + 2 * pad)
    assert img.getpixel((pad, pad)) == R.SCREEN_ON
    assert img.getpixel((pad + 127 * s + s - 1, pad + 63 * s + s - 1)) == R.SCREEN_ON
    assert img.getpixel((pad + s, pad)) == R.SCREEN_OFF
    assert img.getpixel((0, 0)) == R.SCREEN_BORDER
    png = tmp_path / "s.png"
    assert R.main(["screen", "--hex", frame.hex(), "-o", str(png)]) == 0
    assert Image.open(png).size == img.size
    for content in (bytes(frame), frame.hex().encode(), b'{"bitmap": "%s"}' % frame.hex().encode()):
        f = tmp_path / "frame"
        f.write_bytes(content)
        assert R.read_frame(f) == bytes(frame)


def test_receipt_pngs_land_beside_the_printer_bytes_or_where_o_says(tmp_path: Path,
                                                                   monkeypatch):
    """Never in the folder it runs from (a repository's root): beside the input by
    default, and -o's folder is made."""
    data = INIT + b"A\n" + CUT + INIT + b"B\n" + CUT
    src = tmp_path / "terminal" / "printer.bin"
    src.parent.mkdir()
    src.write_bytes(data)
    monkeypatch.chdir(tmp_path)
    assert R.main(["receipt", str(src), "--split"]) == 0
    assert sorted(p.name for p in src.parent.glob("*.png")) == ["printer-1.png",
                                                              "printer-2.png"]
    assert R.main(["receipt", str(src), "-o", str(tmp_path / "receipts" / "r.png"),
                   "--split"]) == 0
    assert sorted(p.name for p in (tmp_path / "receipts").iterdir()) == ["r-1.png", "r-2.png"]
    assert not list(tmp_path.glob("*.png"))
