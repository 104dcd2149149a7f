# The ESC/POS driver module: the command bytes (the receipt builder's exact output is
# tests/device/test_paper.py's) and the reading of the printer's paper-status answers.
import mptest
from drivers import escpos


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def test_command_bytes():
    eq(escpos.INIT + escpos.CHINESE_ON, b"\x1b@\x1c&")  # ESC @, FS &
    eq(escpos.ALIGN + bytes((escpos.LEFT, escpos.CENTER, escpos.RIGHT)), b"\x1ba\x00\x01\x02")
    eq(escpos.BOLD, b"\x1bE")
    eq(escpos.SIZE + bytes((escpos.DOUBLE_WIDTH | escpos.DOUBLE_HEIGHT,)), b"\x1d!\x11")
    eq(escpos.FEED, b"\x1bd")
    eq(escpos.CUT, b"\x1dV\x42\x00")  # GS V 66 0
    eq(escpos.COLUMNS, 32)


def test_paper_status():
    eq(escpos.STATUS_PAPER_RT, b"\x10\x04\x04")
    eq(escpos.STATUS_PAPER, b"\x1bv")
    assert escpos.paper_out(0x12 | 0x60) and not escpos.paper_out(0x12)
    assert escpos.paper_out(0x0C, realtime=False)
    assert escpos.paper_near_end(0x0C) and not escpos.paper_near_end(0x0C, realtime=False)


mptest.run(globals())
