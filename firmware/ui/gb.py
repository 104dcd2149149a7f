# Unicode text -> GB18030 bytes for the printer. MicroPython has no GB18030 codec, so the
# codes of the characters the firmware uses come from gb18030.bin, built on a PC by
# host_tools/gen_text_assets.py (docs/text-assets.md). Only the code point table is in RAM.
from micropython import const

from ui.font import asset_path, find_u16

FALLBACK_PATH = "/ui/gb18030.bin"
_MAGIC = b"GBT\x01"
_HEADER = const(8)
_QMARK = const(0x3F)

try:
    _DEFAULT = asset_path(__file__, "gb18030.bin", FALLBACK_PATH)
except NameError:
    _DEFAULT = FALLBACK_PATH


class Table:
    """The code point -> GB18030 table in one file; codes are read on demand."""

    def __init__(self, path=None):
        f = open(path or _DEFAULT, "rb")
        head = f.read(_HEADER)
        if head[:4] != _MAGIC:
            f.close()
            raise ValueError("not a gb18030.bin")
        n = head[4] | (head[5] << 8)
        self._n = n
        self._cps = bytearray(2 * n)  # u16 LE, ascending
        f.readinto(self._cps)
        self._codes = _HEADER + 2 * n  # file offset of the 4-byte codes
        self._code = bytearray(4)
        self._f = f
        self.unknown = 0  # characters without a code met so far (each printed as '?')

    def close(self):
        self._f.close()

    def index(self, cp):
        return find_u16(self._cps, self._n, cp)

    def put(self, buf, cp):
        """Append the bytes of code point cp to bytearray buf; False (and b'?') if unknown."""
        if cp < 0x80:
            buf.append(cp)
            return True
        i = self.index(cp)
        if i < 0:
            buf.append(_QMARK)
            self.unknown += 1
            return False
        self._f.seek(self._codes + 4 * i)
        self._f.readinto(self._code)
        c = self._code
        buf.append(c[0])
        buf.append(c[1])
        if c[2]:  # a 4-byte GB18030 code; 2-byte codes are padded with zeros
            buf.append(c[2])
            buf.append(c[3])
        return True

    def encode_into(self, buf, text):
        """Append text to bytearray buf; returns how many characters had no code."""
        missed = 0
        for ch in text:
            if not self.put(buf, ord(ch)):
                missed += 1
        return missed


_table = None


def table():
    """The shared Table over the default gb18030.bin, opened on first use."""
    global _table
    if _table is None:
        _table = Table()
    return _table


def encode(text):
    """text as GB18030 bytes; a character without a code becomes b'?' and counts in
    table().unknown."""
    buf = bytearray()
    table().encode_into(buf, text)
    return bytes(buf)


def encode_into(buf, text):
    """Append text as GB18030 to bytearray buf; returns how many characters became '?'."""
    return table().encode_into(buf, text)
