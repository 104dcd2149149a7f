# 16-px text on a framebuf: GNU Unifont glyphs from font16.bin (docs/text-assets.md), ASCII
# 8 px wide, CJK 16 px. Only the index is held in RAM; bitmaps are read from the file.
import os

import framebuf
from micropython import const

HEIGHT = const(16)

_MAGIC = b"F16\x01"
_HEADER = const(8)
_ASCII_LO = const(0x20)
_ASCII_N = const(95)  # 0x20..0x7E, always the first entries of the table
_WIDE_FROM = const(0x1100)  # an unknown character from here on gets a full-width box

# Where font16.bin is when this module has no usable __file__ (frozen into the firmware).
FALLBACK_PATH = "/ui/font16.bin"


def asset_path(module_file, name, fallback):
    """Path of an asset file that sits next to the module whose __file__ is module_file."""
    if not module_file or module_file.startswith(".frozen"):
        return fallback
    if module_file[0] != "/":  # made absolute now, so a later chdir cannot break it
        cwd = os.getcwd()
        module_file = cwd + ("" if cwd.endswith("/") else "/") + module_file
    path = module_file[: module_file.rfind("/") + 1] + name
    try:
        os.stat(path)
    except OSError:  # a frozen module's __file__ names no real folder
        return fallback
    return path


try:
    _DEFAULT = asset_path(__file__, "font16.bin", FALLBACK_PATH)
except NameError:
    _DEFAULT = FALLBACK_PATH


def find_u16(table, n, value):
    """Index of value in a sorted table of n little-endian 16-bit entries, or -1 (the
    code point tables of font16.bin and gb18030.bin)."""
    lo = 0
    hi = n - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        v = table[2 * mid] | (table[2 * mid + 1] << 8)
        if v < value:
            lo = mid + 1
        elif v > value:
            hi = mid - 1
        else:
            return mid
    return -1


class Font:
    def __init__(self, path=None):
        f = open(path or _DEFAULT, "rb")
        head = f.read(_HEADER)
        if head[:4] != _MAGIC or head[6] != HEIGHT:
            f.close()
            raise ValueError("not a font16.bin")
        n = head[4] | (head[5] << 8)
        self._n = n
        self._cps = bytearray(2 * n)  # u16 LE, ascending
        self._offs = bytearray(2 * n + 2)  # u16 LE, 16-byte units; width = 8 * difference
        f.readinto(self._cps)
        f.readinto(self._offs)
        self._base = _HEADER + 4 * n + 2
        self._f = f
        cps = self._cps
        last = 2 * (_ASCII_N - 1)
        self._ascii = (n >= _ASCII_N and cps[0] == _ASCII_LO and cps[1] == 0
                       and cps[last] == 0x7E and cps[last + 1] == 0)
        # One glyph buffer, viewed as 8x16 and 16x16 MONO_VLSB (stride = width).
        self._buf = bytearray(32)
        self._half = memoryview(self._buf)[:16]
        self._fb8 = framebuf.FrameBuffer(self._buf, 8, HEIGHT, framebuf.MONO_VLSB)
        self._fb16 = framebuf.FrameBuffer(self._buf, 16, HEIGHT, framebuf.MONO_VLSB)
        # blit() palette for color=0: glyph 1 -> 0, glyph 0 -> 1 = the key (left untouched).
        self._inv = framebuf.FrameBuffer(bytearray(2), 2, 1, framebuf.MONO_VLSB)
        self._inv.pixel(0, 0, 1)

    def close(self):
        self._f.close()

    def index(self, cp):
        """Table index of code point cp, or -1 if the font has no glyph for it."""
        if self._ascii and _ASCII_LO <= cp < _ASCII_LO + _ASCII_N:
            return cp - _ASCII_LO
        return find_u16(self._cps, self._n, cp)

    def _units(self, i):
        o = self._offs
        j = 2 * i
        return (o[j + 2] | (o[j + 3] << 8)) - (o[j] | (o[j + 1] << 8))

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
        for ch in text:
            w += self.char_width(ord(ch))
        return w

    def fit(self, text, px):
        """How many leading characters of text fit in px pixels."""
        n = 0
        for ch in text:
            px -= self.char_width(ord(ch))
            if px < 0:
                break
            n += 1
        return n

    def draw(self, fb, text, x, y, color=1):
        """Draw text with its top-left at (x, y) in color, leaving other pixels as they are
        (fill the background first for inverse text); returns x after the text. A character
        the font lacks is drawn as an empty box."""
        f = self._f
        o = self._offs
        pal = None if color else self._inv
        key = 0 if color else 1
        for ch in text:
            i = self.index(ord(ch))
            if i < 0:
                w = 16 if ord(ch) >= _WIDE_FROM else 8
                fb.rect(x + 1, y + 2, w - 2, HEIGHT - 4, color)
                x += w
                continue
            j = 2 * i
            start = o[j] | (o[j + 1] << 8)
            f.seek(self._base + 16 * start)
            if (o[j + 2] | (o[j + 3] << 8)) - start == 1:
                f.readinto(self._half)
                fb.blit(self._fb8, x, y, key, pal)
                x += 8
            else:
                f.readinto(self._buf)
                fb.blit(self._fb16, x, y, key, pal)
                x += 16
        return x
