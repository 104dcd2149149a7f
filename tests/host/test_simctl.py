"""The simulator board's hardware and control interface, driven through SimTerminal,
with a stand-in app (tests/device/sim_app_stub.py) as the firmware main."""

import calendar
import re

import pytest

from host_tools.escpos import split_receipts, strip_escpos
from host_tools.screen import render_blocks
from host_tools.simctl import ControlError, SimTerminal, text_keys
from tests.mp import DEVICE_TESTS

STUB = DEVICE_TESTS / "sim_app_stub.py"
PREAUTH_GB = b"\xd4\xa4\xca\xda\xc8\xa8"


@pytest.fixture
def term(tmp_path):
    t = SimTerminal(tmp_path / "terminal", main=STUB)
    t.start()
    yield t
    t.stop()


def test_boot_ping_and_keys_change_the_screen(term):
    ans = term.ping()
    assert ans["pong"] is True and ans["board"] == "unix-sim"
    first = term.wait_for("STUB boot 1")
    term.type("12a")
    s = term.wait_for("keys:12A")
    assert s.seq > first.seq
    assert s.lines[0] == "STUB boot 1"
    assert len(s.bitmap) == 1024 and s.bitmap != first.bitmap
    assert any(s.pixel(x, y) for x in range(128) for y in range(16, 32))  # "keys:" row
    term.press("CLEAR")
    assert term.wait_for(re.compile(r"keys:12$", re.M)).lines[1] == "keys:12"


def test_bad_requests_get_errors_and_the_terminal_lives(term):
    assert term.send_raw("this is not json") == {"error": "bad json"}
    assert "error" in term.send_raw("[1, 2]")
    assert "error" in term.send_raw(b"\xff\xfe garbage")
    with pytest.raises(ControlError, match="unknown op"):
        term.request({"op": "fly"})
    with pytest.raises(ControlError, match="unknown keys"):
        term.press("1", "ESCAPE")
    with pytest.raises(ControlError):
        term.request({"op": "wait_screen", "after": "x"})
    assert term.ping()["pong"] is True
    assert term.running


def test_key_queue_is_bounded(term):
    ans = term.request({"op": "keys", "keys": ["1"] * 40})
    assert ans["dropped"] == 8  # 32 fit; the app cannot run between puts of one request


def test_swipe_reaches_the_app(term):
    term.swipe("6222021234567890128", "2812")
    term.wait_for("SWIPE 6222021234")
    assert "key ('SWIPE', '6222021234567890128=2812101')" in term.log_text()


def test_swipes_go_through_the_reader_driver(term):
    # A bad read as the reader module sends it: the driver's failure event, the reason
    # in the log, never the track.
    bad_lrc = b";6222021234567890128=2812101?0\r"
    ans = term.request({"op": "swipe", "raw": bad_lrc.hex()})
    assert (ans["ok"], ans["good"], ans["bad"], ans["pending"]) == (True, 0, 1, False)
    term.wait_for("SWIPE FAILED")
    term.swipe("6222021234567890128", "2812")
    term.wait_for("SWIPE 6222021234")
    ans = term.request({"op": "swipe", "raw": b";6222021234".hex()})  # cut short
    assert (ans["good"], ans["bad"], ans["pending"]) == (0, 0, True)
    term.wait_for("SWIPE FAILED")  # once the line has been quiet for the driver's IDLE_MS
    log = term.log_text()
    assert "card reader: bad read (bad LRC)" in log
    assert "card reader: bad read (partial)" in log
    assert "key ('SWIPE', None)" in log
    for line in log.splitlines():
        if "card reader" in line:
            assert "6222" not in line, line
    with pytest.raises(ControlError, match="hex"):
        term.request({"op": "swipe", "raw": "3b3"})


def test_receipt_with_chinese_text(term):
    term.type("12")
    term.press("ENTER")
    term.wait_for("printed")
    (r,) = term.receipts()
    assert PREAUTH_GB in r.raw and r.complete
    assert r.text.splitlines()[:2] == ["预授权", "KEYS:12"]
    assert term.request({"op": "printed"})["bytes"] == term.printed_bytes() == len(r.raw)


def test_paper_out_is_a_printer_error(term):
    term.set_paper(False)
    assert term.paper_ok() is False
    term.press("ENTER")
    term.wait_for("PRINTER ERROR")
    assert term.receipts() == [] and term.printed_bytes() == 0
    assert "printer error: paper out" in term.log_text()
    term.set_paper(True)
    term.press("ENTER")
    term.wait_for("printed")
    assert len(term.receipts()) == 1


def _epoch(now):
    return calendar.timegm(tuple(now[:6]) + (0, 0, 0))


def test_clock_offset_survives_restart(term):
    # Compared as seconds since the epoch, never as calendar fields: "400 days on is
    # next year" is false from late November on (and a leap day moves it again).
    offset = 400 * 86400
    before = _epoch(term.clock())
    moved = _epoch(term.set_clock_offset(offset))
    assert offset <= moved - before <= offset + 60
    term.restart()
    now = term.clock()
    assert offset <= _epoch(now) - before <= offset + 120
    # The board shows the moved date after boot: that day, give or take one.
    shown = term.wait_for(re.compile(r"date (\d{4})-(\d\d)-(\d\d)"))
    y, mo, d = map(int, re.search(r"date (\d{4})-(\d\d)-(\d\d)", shown.text).groups())
    assert abs(calendar.timegm((y, mo, d, 12, 0, 0)) - _epoch(now)) <= 86400 + 43200
    assert (term.dir / "clock_offset").read_text().strip() == str(offset)


def test_power_cut_keeps_flash_and_printout(term):
    term.press("ENTER")
    term.wait_for("printed")
    term.kill()
    assert not term.running
    term.start()
    term.wait_for("STUB boot 2")  # the boot counter in /flash survived the power cut
    assert len(term.receipts()) == 1
    term.restart(hard=True)
    term.wait_for("STUB boot 3")


def test_quit_and_stdin_eof_end_the_process(term):
    assert term.stop() == 0
    term.start()
    assert term.proc is not None and term.proc.stdin is not None
    term.proc.stdin.close()  # the controller went away
    assert term.proc.wait(5) == 0
    assert "stdin closed" in term.log_text()


def test_wait_for_timeout_shows_the_screen(term):
    with pytest.raises(AssertionError, match=r"(?s)did not show 'nope'.*STUB boot 1"):
        term.wait_for("nope", timeout=0.3)


def test_wait_screen_does_not_block_other_requests(term):
    import threading

    seq = term.screen().seq
    got = []
    th = threading.Thread(target=lambda: got.append(term.wait_screen(seq, timeout=5)))
    th.start()
    term.ping()  # answered while the long-poll is outstanding
    term.press("7")
    th.join(5)
    assert got and got[0].seq > seq and "keys:7" in got[0].text


# ----------------------------------------------------------------- pure host helpers


def test_split_receipts_strips_commands():
    r1 = (b"\x1b@\x1ba\x01\x1bE\x01" + PREAUTH_GB + b"\x1bE\x00\n\x1d!\x11BIG\n\x1b3\x18"
          b"\x1bd\x03\x1dV\x42\x00")
    r2 = b"\x1b@\x1c&\x1bt\x00A\x1b!\x08B\x1b2\x10\x04\x01\nC\n\x1dV\x01"
    tail = b"\x1b@half a rec"
    out = split_receipts(r1 + r2 + tail)
    assert [r.text for r in out] == ["预授权\nBIG\n", "AB\nC\n", "half a rec"]
    assert [r.complete for r in out] == [True, True, False]
    assert out[0].raw == r1 and out[1].raw == r2
    # A cut command's parameter bytes are never taken for text or another cut.
    assert strip_escpos(b"\x1dV\x41\x1dX") == "X"
    assert split_receipts(b"\x1b@\x1dV\x00") == [split_receipts(b"\x1b@\x1dV\x00")[0]]
    assert split_receipts(b"\x1b@\n") == []


def test_render_blocks_modes():
    bm = bytearray(1024)
    bm[0] = 0b11  # pixels (0,0) and (0,1)
    half = render_blocks(bytes(bm), "half").splitlines()
    assert len(half) == 32 and all(len(r) == 128 for r in half) and half[0][0] == "█"
    quad = render_blocks(bytes(bm), "quad").splitlines()
    assert len(quad) == 32 and len(quad[0]) == 64 and quad[0][0] == "▌"
    br = render_blocks(bytes(bm), "braille").splitlines()
    assert len(br) == 16 and len(br[0]) == 64 and br[0][0] == chr(0x2803)


def test_text_keys():
    assert text_keys("1a\n") == ["1", "A", "ENTER"]
    with pytest.raises(ValueError):
        text_keys("1.5")


def test_long_typing_survives_the_bounded_queue(term):
    term.type("1234567890" * 4 + "ABCDEFGHIJ")  # 50 keys > 32: the dropped tail is resent
    s = term.wait_for("keys:0ABCDEFGHIJ")  # the stub shows the last 11 typed
    assert s.seq == 51  # the boot screen, then one frame per key: none lost


def test_tui_keyboard_parsing():
    from host_tools.tui import parse_keys

    assert parse_keys(b"1a\r\x7f\t*#")[0] == ["1", "A", "ENTER", "CLEAR", "FUNC", "CANCEL",
                                              "FUNC"]
    assert parse_keys(b"\x1b[A\x1bOB\x1bOP\x1b[12~\x1bOR\x1b[15~\x1b[21~\x03")[0] == [
        "UP", "DOWN", "FUNC", "F2", "F3", "F5", "QUIT", "QUIT"]
    assert parse_keys(b"\x1b", more=True) == ([], b"\x1b")  # maybe the start of a sequence
    assert parse_keys(b"\x1b", more=False) == (["CANCEL"], b"")  # the Esc key alone
    assert parse_keys(b"5\x1b[1", more=True) == (["5"], b"\x1b[1")
    assert parse_keys(b"\x1b[C")[0] == []  # unmapped sequences are ignored
