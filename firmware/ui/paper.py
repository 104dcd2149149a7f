# Text laid out on the 58 mm paper, as the screen (screen.py) lays it out on the display:
# a builder that puts receipt lines, in ESC/POS commands (drivers/escpos.py) with the text
# as GB18030 (gb.py), into a buffer allocated once (a receipt is ~1.3 KB: grown byte by
# byte, a bytearray would be reallocated and copied on the way, the contiguous allocations
# a small heap cannot spare). What goes on a slip is app/receipt.py's.
from micropython import const

from drivers import escpos
from drivers.escpos import CENTER, COLUMNS, LEFT, RIGHT  # noqa: F401  (align() takes them)
from ui import gb
from ui.font import utf8_at

BUF_SIZE = const(2048)  # the longest receipt is ~1.3 KB


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
        self.raw(escpos.INIT)
        self.raw(escpos.CHINESE_ON)
        self.cols = COLUMNS

    def align(self, n):
        """ESC a n: LEFT, CENTER or RIGHT. line() and kv() pad for themselves; use this for
        a title printed with text() + newline()."""
        self.raw(escpos.ALIGN)
        self._b(n)

    def bold(self, on=True):
        self.raw(escpos.BOLD)
        self._b(1 if on else 0)

    def size(self, double_width=False, double_height=False):
        """GS ! n: double width halves the columns a line holds (16 ASCII, 8 Chinese)."""
        self.raw(escpos.SIZE)
        self._b((escpos.DOUBLE_WIDTH if double_width else 0)
                | (escpos.DOUBLE_HEIGHT if double_height else 0))
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
        self.raw(escpos.FEED)
        self._b(n)

    def cut(self):
        self.raw(escpos.CUT)

