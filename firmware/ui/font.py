# 16-px text on a framebuf: GNU Unifont glyphs from the FONT16 table (ui/assets.py, format
# in docs/text-assets.md), ASCII 8 px wide, CJK 16 px. The table is a bytes constant: frozen
# into an image it stays in flash, so the font costs the heap one 32-byte glyph buffer.
import framebuf
import micropython
from micropython import const

from ui import assets

HEIGHT = const(16)

_MAGIC = b"F16\x01"
_HEADER = const(8)
_ASCII_LO = const(0x20)
_ASCII_N = const(95)  # 0x20..0x7E, always the first entries of the table
_WIDE_FROM = const(0x1100)  # an unknown character from here on gets a full-width box


def u16(data, i):
    """The little-endian 16-bit value at data[i]."""
    return data[i] | (data[i + 1] << 8)


def find_u16(data, start, n, value):
    """Index of value in a sorted table of n little-endian 16-bit entries at data[start],
    or -1 (the code point tables of FONT16 and GB18030)."""
    lo = 0
    hi = n - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        j = start + 2 * mid
        v = data[j] | (data[j + 1] << 8)
        if v < value:
            lo = mid + 1
        elif v > value:
            hi = mid - 1
        else:
            return mid
    return -1


@micropython.viper
def utf8_at(b, i: int) -> int:
    """(code point << 3) | length in bytes of the UTF-8 character at b[i]; b is the
    memoryview of a str. Walking text this way allocates nothing: iterating a str makes
    each character an interned string, and interned strings stay in the heap for good.
    Callers spell the walk out (b = memoryview(text); while i < len(b): ...) rather than
    share a generator: a generator leaves ~160 bytes of garbage per call, per draw."""
    p = ptr8(b)
    c = p[i]
    if c < 0x80:
        return c << 3 | 1
    if c < 0xE0:
        return ((c & 0x1F) << 6 | p[i + 1] & 0x3F) << 3 | 2
    if c < 0xF0:
        return ((c & 0x0F) << 12 | (p[i + 1] & 0x3F) << 6 | p[i + 2] & 0x3F) << 3 | 3
    return (((c & 7) << 18 | (p[i + 1] & 0x3F) << 12 | (p[i + 2] & 0x3F) << 6
             | p[i + 3] & 0x3F) << 3 | 4)


@micropython.viper
def _copy(dst, src, off: int, n: int):
    # n bytes of src from off into dst, allocating nothing (src may be a frozen constant)
    d = ptr8(dst)
    s = ptr8(src)
    i = 0
    while i < n:
        d[i] = s[off + i]
        i += 1


class Font:
    def __init__(self, data=None):
        d = assets.FONT16 if data is None else data
        if d[:4] != _MAGIC or d[6] != HEIGHT:
            raise ValueError("not a FONT16 table")
        n = u16(d, 4)
        self._d = d
        self._n = n
        self._offs = _HEADER + 2 * n  # N+1 u16 glyph offsets, 16-byte units
        self._base = _HEADER + 4 * n + 2  # the bitmaps
        if len(d) != self._base + 16 * u16(d, self._offs + 2 * n):
            raise ValueError("FONT16 table truncated")
        last = _HEADER + 2 * (_ASCII_N - 1)
        self._ascii = (n >= _ASCII_N and u16(d, _HEADER) == _ASCII_LO
                       and u16(d, last) == 0x7E)
        # One glyph buffer, viewed as 8x16 and 16x16 MONO_VLSB (stride = width).
        self._buf = bytearray(32)
        self._fb8 = framebuf.FrameBuffer(self._buf, 8, HEIGHT, framebuf.MONO_VLSB)
        self._fb16 = framebuf.FrameBuffer(self._buf, 16, HEIGHT, framebuf.MONO_VLSB)
        # blit() palette for color=0: glyph 1 -> 0, glyph 0 -> 1 = the key (left untouched).
        self._inv = framebuf.FrameBuffer(bytearray(2), 2, 1, framebuf.MONO_VLSB)
        self._inv.pixel(0, 0, 1)

    def index(self, cp):
        """Table index of code point cp, or -1 if the font has no glyph for it."""
        if self._ascii and _ASCII_LO <= cp < _ASCII_LO + _ASCII_N:
            return cp - _ASCII_LO
        return find_u16(self._d, _HEADER, self._n, cp)

    def _units(self, i):
        j = self._offs + 2 * i
        return u16(self._d, j + 2) - u16(self._d, j)

    def char_width(self, cp):
        if self._ascii and _ASCII_LO <= cp < _ASCII_LO + _ASCII_N:
            return 8
        i = self.index(cp)
        if i < 0:
            return 16 if cp >= _WIDE_FROM else 8
        return 8 * self._units(i)

    def width(self, text):
        """Width of text in pixels."""
        w = 0
        b = memoryview(text)
        i, end = 0, len(b)
        while i < end:
            v = utf8_at(b, i)
            i += v & 7
            w += self.char_width(v >> 3)
        return w

    def fit(self, text, px):
        """How many leading characters of text fit in px pixels."""
        n = 0
        b = memoryview(text)
        i, end = 0, len(b)
        while i < end:
            v = utf8_at(b, i)
            i += v & 7
            px -= self.char_width(v >> 3)
            if px < 0:
                break
            n += 1
        return n

    def draw(self, fb, text, x, y, color=1):
        """Draw text with its top-left at (x, y) in color, leaving other pixels as they are
        (fill the background first for inverse text); returns x after the text. A character
        the font lacks is drawn as an empty box."""
        d = self._d
        pal = None if color else self._inv
        key = 0 if color else 1
        b = memoryview(text)
        at, end = 0, len(b)
        while at < end:
            v = utf8_at(b, at)
            at += v & 7
            cp = v >> 3
            i = self.index(cp)
            if i < 0:
                w = 16 if cp >= _WIDE_FROM else 8
                fb.rect(x + 1, y + 2, w - 2, HEIGHT - 4, color)
                x += w
                continue
            j = self._offs + 2 * i
            start = u16(d, j)
            if u16(d, j + 2) - start == 1:
                _copy(self._buf, d, self._base + 16 * start, 16)
                fb.blit(self._fb8, x, y, key, pal)
                x += 8
            else:
                _copy(self._buf, d, self._base + 16 * start, 32)
                fb.blit(self._fb16, x, y, key, pal)
                x += 16
        return x
