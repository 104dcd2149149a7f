# 16-px font on a 128x64 MONO_VLSB framebuf: pixel-exact ASCII glyphs, widths of mixed
# text, inverse text, characters the font lacks, and what a draw costs on the heap.
import gc

import framebuf
import micropython
import mptest
from ui.font import HEIGHT, Font

FONT = Font()
W = 128
H = 64

# unifont.hex rows (one byte per row, 8 px wide).
GLYPH_A = "0000000018242442427E424242420000"
GLYPH_1 = "000000000818280808080808083E0000"
# Characters that appear in the firmware sources (config.py's default merchant name).
SHOP = "测试商户"
# Private use: never in the sources, so never in the font.
UNKNOWN = "\ue000"


def _fb():
    buf = bytearray(W * H // 8)
    return framebuf.FrameBuffer(buf, W, H, framebuf.MONO_VLSB), buf


def _rows(fb, x, y, w, on=1):
    """The w x 16 area at (x, y) as unifont-style hex (MSB = left)."""
    out = ""
    for r in range(HEIGHT):
        v = 0
        for c in range(w):
            v = (v << 1) | (1 if fb.pixel(x + c, y + r) == on else 0)
        out += "%0*X" % (w // 4, v)
    return out


def _count(fb, x, y, w, h):
    n = 0
    for r in range(h):
        for c in range(w):
            n += fb.pixel(x + c, y + r)
    return n


def test_ascii_glyphs_pixel_exact():
    fb, _ = _fb()
    assert FONT.draw(fb, "A1", 3, 5) == 3 + 16
    assert _rows(fb, 3, 5, 8) == GLYPH_A, _rows(fb, 3, 5, 8)
    assert _rows(fb, 11, 5, 8) == GLYPH_1, _rows(fb, 11, 5, 8)
    # Nothing outside the two cells.
    assert _count(fb, 0, 0, W, H) == _count(fb, 3, 5, 16, 16)


def test_widths():
    assert HEIGHT == 16
    assert FONT.width("") == 0
    assert FONT.width("A") == 8
    assert FONT.width(SHOP) == 64
    assert FONT.width("1" + SHOP + " 9.99") == 8 + 64 + 40
    assert FONT.width("12345678" * 2) == W  # 16 half-width or 8 full-width a line
    assert FONT.width(SHOP * 2) == W
    assert FONT.width(UNKNOWN) == 16  # unknown CJK-range/private use: full-width box
    assert FONT.width("\x01") == 8
    assert FONT.fit(SHOP + SHOP, W) == 8
    assert FONT.fit("A" + SHOP, 40) == 3


def test_cjk_draws_inside_its_cell():
    fb, _ = _fb()
    x = FONT.draw(fb, SHOP, 0, 16)
    assert x == 64
    for i in range(4):
        assert _count(fb, 16 * i, 16, 16, 16) > 20, i
    assert _count(fb, 0, 0, W, H) == _count(fb, 0, 16, 64, 16)


def test_inverse_title_bar():
    fb, _ = _fb()
    fb.fill_rect(0, 0, W, 16, 1)
    FONT.draw(fb, "A", 0, 0, 0)
    assert _rows(fb, 0, 0, 8, 0) == GLYPH_A  # glyph pixels cleared, the rest stays set
    assert _count(fb, 8, 0, W - 8, 16) == (W - 8) * 16
    fb2, _ = _fb()
    fb2.fill_rect(0, 0, W, 16, 1)
    FONT.draw(fb2, SHOP, 10, 0, 0)
    fb3, _ = _fb()
    FONT.draw(fb3, SHOP, 10, 0, 1)
    for r in range(16):  # inverse == exact complement of normal drawing
        for c in range(W):
            assert fb2.pixel(c, r) != fb3.pixel(c, r), (c, r)


def test_normal_text_keeps_background():
    fb, _ = _fb()
    fb.fill(0)
    fb.pixel(1, 17, 1)  # a set pixel under a blank part of 'A' stays set
    FONT.draw(fb, "A", 0, 16)
    assert fb.pixel(1, 17) == 1


def test_unknown_character_draws_a_box():
    fb, _ = _fb()
    x = FONT.draw(fb, "A" + UNKNOWN + "\x01B", 0, 0)
    assert x == 8 + 16 + 8 + 8
    assert _count(fb, 8, 0, 16, 16) > 0  # the box
    assert _rows(fb, 32, 0, 8) == _rows(_draw("B"), 0, 0, 8)


def _draw(text):
    fb, _ = _fb()
    FONT.draw(fb, text, 0, 0)
    return fb


def test_clipping_at_edges():
    fb, _ = _fb()
    FONT.draw(fb, SHOP + SHOP + SHOP, -20, 56)  # off every edge: no error
    FONT.draw(fb, "A", 200, 200)


def _heap(fn, n=20):
    gc.collect()
    gc.disable()
    try:
        t0 = micropython.mem_total() if hasattr(micropython, "mem_total") else 0
        a0 = gc.mem_alloc()
        for _ in range(n):
            fn()
        a1 = gc.mem_alloc()
        t1 = micropython.mem_total() if hasattr(micropython, "mem_total") else 0
    finally:
        gc.enable()
    return (a1 - a0) // n, (t1 - t0) // n


def test_heap_per_draw_small():
    # mem_alloc: garbage left on the GC heap (must stay ~0). mem_total also counts the call
    # frame MicroPython allocates and frees again at return (no GC pressure).
    fb, _ = _fb()
    line = "1" + SHOP + " 9.99"
    FONT.draw(fb, line, 0, 0)  # warm up
    alloc, total = _heap(lambda: FONT.draw(fb, line, 0, 0))
    print("heap per draw of %r: mem_alloc %d B, mem_total %d B" % (line, alloc, total))
    assert alloc <= 32, alloc
    alloc, total = _heap(lambda: FONT.draw(fb, "AMOUNT RMB 12.34", 0, 16, 0))
    print("heap per inverse ASCII draw: mem_alloc %d B, mem_total %d B" % (alloc, total))
    assert alloc <= 32, alloc
    alloc, total = _heap(lambda: FONT.width(line))
    assert alloc <= 32, alloc


def _fresh_cjk(n):
    """n distinct CJK characters as one str made from UTF-8 bytes (chr() would intern
    each character on the way)."""
    b = bytearray()
    for i in range(n):
        cp = 0x5000 + 37 * i
        b.append(0xE0 | cp >> 12)
        b.append(0x80 | (cp >> 6) & 0x3F)
        b.append(0x80 | cp & 0x3F)
    return bytes(b).decode()


def test_text_leaves_nothing_on_the_heap():
    # Iterating a str interns each character for good: 300 characters would grow the
    # interned-string pool by kilobytes, mid-transaction, where a small heap fragments.
    fb, _ = _fb()
    text = _fresh_cjk(300)
    gc.collect()
    before = gc.mem_alloc()
    assert FONT.width(text) == 300 * 16
    assert FONT.fit(text, 40) == 2
    FONT.draw(fb, text, 0, 0)
    gc.collect()
    assert gc.mem_alloc() - before < 64, gc.mem_alloc() - before


mptest.run(globals())
