# ESC/POS command bytes for a 58 mm thermal printer (384 dots: 32 columns of 12-dot ASCII,
# 16 of 24-dot Chinese) and a builder that lays out receipt lines into a buffer allocated
# once (a receipt is ~1.3 KB: grown byte by byte, a bytearray would be reallocated and
# copied on the way, the contiguous allocations a small heap cannot spare).
# Text goes out as GB18030 (ui.gb); the bytes reach the printer through the driver.
from micropython import const

from ui import gb
from ui.font import utf8_at

COLUMNS = const(32)
BUF_SIZE = const(2048)  # the longest receipt is ~1.3 KB

INIT = b"\x1b@"  # ESC @: reset modes (not the Chinese-mode setting on most printers)
# FS &: Chinese (double-byte) mode on. Chinese 58 mm printers usually start in it, but
# some ship set to a single-byte code page and ESC @ does not change that; sent after
# every INIT so GB18030 bytes always print as Chinese. Ignored by printers without it.
CHINESE_ON = b"\x1c&"
CHINESE_OFF = b"\x1c."  # FS .
LF = b"\n"

LEFT = const(0)
CENTER = const(1)
RIGHT = const(2)

# GS V 66 0: feed to the cutter, then (partial) cut. GS V 1 would cut at once, with the
# last lines still between the print head and the blade. Tear-bar printers ignore it.
CUT = b"\x1dVB\x00"

# Paper sensor status, for the driver. DLE EOT 4 answers at once even when the printer
# is busy or offline; ESC v is what many Chinese printers implement instead.
STATUS_PAPER_RT = b"\x10\x04\x04"  # DLE EOT 4: one byte back
STATUS_PAPER = b"\x1bv"  # ESC v: one byte back
RT_PAPER_NEAR_END = const(0x0C)  # bits 2-3 of the DLE EOT 4 answer
RT_PAPER_OUT = const(0x60)  # bits 5-6 of the DLE EOT 4 answer
V_PAPER_NEAR_END = const(0x03)  # bits 0-1 of the ESC v answer
V_PAPER_OUT = const(0x0C)  # bits 2-3 of the ESC v answer


def char_columns(cp):
    """Print columns of one character: 1 for ASCII, 2 for anything printed from the
    Chinese (double-byte) font."""
    return 1 if cp < 0x80 else 2


def display_width(text):
    """Print columns text takes: a CJK (any non-ASCII) character counts 2."""
    w = 0
    b = memoryview(text)
    i, end = 0, len(b)
    while i < end:
        n = utf8_at(b, i) & 7  # a character of more than one byte is not ASCII
        i += n
        w += 1 if n == 1 else 2
    return w


class ReceiptTooLong(ValueError):
    pass


class Receipt:
    """Builds printer bytes into buf, a bytearray whose length is the capacity (default:
    a new one of BUF_SIZE). Layout helpers (line, kv, rule) assume left alignment and
    count columns themselves, so nothing is cut off or wrapped by the printer in the
    middle of a Chinese character. A receipt longer than the buffer raises ReceiptTooLong:
    never a truncated slip."""

    def __init__(self, buf=None):
        self.buf = bytearray(BUF_SIZE) if buf is None else buf
        self.n = 0  # bytes built so far
        self.cols = COLUMNS  # halves while double width is on
        self.unknown = 0  # characters printed as '?' (not in the GB18030 table)
        self._gb = gb.table()

    def take(self):
        """The bytes so far, a view of the buffer valid until the next build; the builder
        starts over."""
        out = memoryview(self.buf)[: self.n]
        self.n = 0
        return out

    def _b(self, byte):
        n = self.n
        if n >= len(self.buf):
            raise ReceiptTooLong("receipt longer than %d bytes" % len(self.buf))
        self.buf[n] = byte
        self.n = n + 1

    def raw(self, data):
        for byte in data:
            self._b(byte)

    def init(self):
        """ESC @ then FS & (Chinese mode on)."""
        self.raw(INIT)
        self.raw(CHINESE_ON)
        self.cols = COLUMNS

    def align(self, n):
        """ESC a n: LEFT, CENTER or RIGHT. line() and kv() pad for themselves; use this for
        a title printed with text() + newline()."""
        self.raw(b"\x1ba")
        self._b(n)

    def bold(self, on=True):
        self.raw(b"\x1bE")  # ESC E n
        self._b(1 if on else 0)

    def size(self, double_width=False, double_height=False):
        """GS ! n: double width halves the columns a line holds (16 ASCII, 8 Chinese)."""
        self.raw(b"\x1d!")
        self._b((0x10 if double_width else 0) | (0x01 if double_height else 0))
        self.cols = COLUMNS // 2 if double_width else COLUMNS

    def _put(self, cp):
        # A character without a GB code prints as '?' plus a space, keeping its 2 columns.
        if cp < 0x80:
            self._b(cp)
            return
        d, j = self._gb.code(cp)
        if j < 0:
            self.unknown += 1
            self._b(0x3F)
            self._b(0x20)
            return
        self._b(d[j])
        self._b(d[j + 1])
        if d[j + 2]:  # a 4-byte GB18030 code
            self._b(d[j + 2])
            self._b(d[j + 3])

    def text(self, s):
        """s as GB18030, no line break, no wrapping."""
        b = memoryview(s)
        i, end = 0, len(b)
        while i < end:
            v = utf8_at(b, i)
            i += v & 7
            self._put(v >> 3)

    def newline(self):
        self._b(0x0A)

    def _pad(self, n):
        while n > 0:
            self._b(0x20)
            n -= 1

    def _wrapped(self, s, width, right):
        """s on as many lines as it needs, breaking between characters; with right=True
        the last (or only) line is right-aligned. Ends with a line feed."""
        cols = self.cols
        put = self._put
        col = 0
        left = width  # columns of s not yet written
        if right and width < cols:
            self._pad(cols - width)
            col = cols - width
        b = memoryview(s)
        i, end = 0, len(b)
        while i < end:
            v = utf8_at(b, i)
            i += v & 7
            cp = v >> 3
            w = 1 if cp < 0x80 else 2
            if col + w > cols:
                self._b(0x0A)
                col = 0
                if right and left < cols:
                    self._pad(cols - left)
                    col = cols - left
            put(cp)
            col += w
            left -= w
        self._b(0x0A)

    def line(self, s=""):
        """s and a line feed; a line wider than the paper continues on the next line."""
        self._wrapped(s, display_width(s), False)

    def kv(self, label, value):
        """label on the left, value right-aligned on the same line when both fit with a
        space between; otherwise label on its own line and value right-aligned below,
        wrapped over as many lines as it needs (never truncated)."""
        lw = display_width(label)
        vw = display_width(value)
        cols = self.cols
        if lw + 1 + vw <= cols:
            self.text(label)
            self._pad(cols - lw - vw)
            self.text(value)
            self.newline()
        else:
            self._wrapped(label, lw, False)
            self._wrapped(value, vw, True)

    def rule(self, ch="-"):
        """A full line of ch (an ASCII character)."""
        c = ord(ch)
        for _ in range(self.cols):
            self._b(c)
        self._b(0x0A)

    def feed(self, n=1):
        """ESC d n: print and feed n lines."""
        self.raw(b"\x1bd")
        self._b(n)

    def cut(self):
        self.raw(CUT)


def paper_out(answer, realtime=True):
    """True if a paper-status answer byte (DLE EOT 4 when realtime, else ESC v) says the
    roll is out."""
    return bool(answer & (RT_PAPER_OUT if realtime else V_PAPER_OUT))


def paper_near_end(answer, realtime=True):
    return bool(answer & (RT_PAPER_NEAR_END if realtime else V_PAPER_NEAR_END))
