# The receipt builder (ui/paper.py) and GB18030 encoding: exact bytes for the commands,
# 32-column layout with Chinese counting two columns, wrapping instead of truncating,
# unknown characters.
import mptest
from ui import gb, paper

# Only characters that appear in the firmware sources (config.py's merchant name).
SHOP = "测试商户"
SHOP_GB = b"\xb2\xe2\xca\xd4\xc9\xcc\xbb\xa7"  # CPython: "测试商户".encode("gb18030")
UNKNOWN = "\ue000"  # private use: never in the sources


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def _r():
    return paper.Receipt()


def test_gb_encode():
    eq(gb.encode("AB 1.00"), b"AB 1.00")
    eq(gb.encode(SHOP), SHOP_GB)
    eq(gb.encode("M:" + SHOP + "!"), b"M:" + SHOP_GB + b"!")
    before = gb.table().unknown
    eq(gb.encode("A" + UNKNOWN + "B"), b"A?B")
    eq(gb.table().unknown, before + 1)
    buf = bytearray(b"x")
    eq(gb.encode_into(buf, UNKNOWN + SHOP + UNKNOWN), 2)
    eq(bytes(buf), b"x?" + SHOP_GB + b"?")


def test_display_width():
    eq(paper.display_width(""), 0)
    eq(paper.display_width("TID"), 3)
    eq(paper.display_width(SHOP), 8)
    eq(paper.display_width(SHOP + " RMB"), 12)


def test_command_bytes():
    r = _r()
    r.init()
    r.align(paper.CENTER)
    r.bold(True)
    r.size(True, True)
    r.size()
    r.bold(False)
    r.align(paper.LEFT)
    r.align(paper.RIGHT)
    r.feed(3)
    r.cut()
    eq(
        bytes(r.take()),
        b"\x1b@\x1c&"  # ESC @, FS &
        b"\x1ba\x01"  # ESC a 1
        b"\x1bE\x01"  # ESC E 1
        b"\x1d!\x11\x1d!\x00"  # GS ! n
        b"\x1bE\x00\x1ba\x00\x1ba\x02"
        b"\x1bd\x03"  # ESC d 3
        b"\x1dV\x42\x00",  # GS V 66 0
    )
    eq(r.n, 0)  # take() starts the builder over


def test_kv_pads_to_32_columns():
    r = _r()
    r.kv(SHOP, "TERM0001")
    # 8 columns of Chinese + 16 spaces + 8 ASCII = 32
    eq(bytes(r.take()), SHOP_GB + b" " * 16 + b"TERM0001\n")
    r.kv("TID", SHOP)
    eq(bytes(r.take()), b"TID" + b" " * 21 + SHOP_GB + b"\n")
    r.kv(SHOP, SHOP + SHOP + "123456789")  # 8 + 1 + 25 = 34 > 32: value moves down
    eq(bytes(r.take()), SHOP_GB + b"\n" + b" " * 7 + SHOP_GB + SHOP_GB + b"123456789\n")
    r.kv(SHOP, SHOP + SHOP + "12345678901234")  # 8 + 1 + 30 > 32 ... still one line below
    eq(bytes(r.take()), SHOP_GB + b"\n" + b"  " + SHOP_GB + SHOP_GB + b"12345678901234\n")


def test_kv_long_value_wraps_never_truncates():
    r = _r()
    value = SHOP * 5  # 40 columns
    r.kv("NAME", value)
    out = bytes(r.take())
    # label alone, then 16 Chinese characters (32 columns), then the last 4 right-aligned
    eq(out, b"NAME\n" + SHOP_GB * 4 + b"\n" + b" " * 24 + SHOP_GB + b"\n")
    # A Chinese character never straddles the line end: 31 ASCII + one CJK.
    r.kv("X", "1" * 31 + "测")
    out = bytes(r.take())
    eq(out, b"X\n" + b"1" * 31 + b"\n" + b" " * 30 + b"\xb2\xe2\n")


def test_line_rule_and_double_width():
    r = _r()
    r.line("A" * 40)
    r.rule()
    eq(bytes(r.take()), b"A" * 32 + b"\n" + b"A" * 8 + b"\n" + b"-" * 32 + b"\n")
    r.size(double_width=True)
    r.line(SHOP * 3)  # 24 columns at 16 a line
    r.rule("=")
    r.kv("A", "B")
    eq(bytes(r.take()),
       b"\x1d!\x10" + SHOP_GB * 2 + b"\n" + SHOP_GB + b"\n" + b"=" * 16 + b"\n"
       + b"A" + b" " * 14 + b"B\n")


def test_unknown_counted():
    r = _r()
    r.line("A" + UNKNOWN)
    r.kv(UNKNOWN, "1")
    r.text(UNKNOWN)
    eq(r.unknown, 3)
    # '?' + space: the character keeps its two columns, so the layout holds.
    eq(bytes(r.take()), b"A? \n? " + b" " * 29 + b"1\n? ")


def test_a_receipt_longer_than_its_buffer_is_refused_not_cut():
    r = paper.Receipt(bytearray(45))
    r.line("A" * 32)
    r.line(SHOP)
    try:
        r.line(SHOP)
    except paper.ReceiptTooLong as e:
        eq(str(e), "receipt longer than 45 bytes")
    else:
        raise AssertionError("no ReceiptTooLong")
    r.take()
    r.line(SHOP)  # the same buffer serves the next receipt
    eq(bytes(r.take()), SHOP_GB + b"\n")


def test_building_a_receipt_allocates_nothing_in_bulk():
    import gc

    r = paper.Receipt()
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(20):
        r.kv(SHOP, "TERM0001")
    got = len(r.take())
    gc.collect()
    eq(got, 20 * 33)
    assert gc.mem_alloc() - before < 256, gc.mem_alloc() - before


mptest.run(globals())
