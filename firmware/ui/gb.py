# Unicode text -> GB18030 bytes for the printer. MicroPython has no GB18030 codec, so the
# codes of the characters the firmware uses come from the GB18030 table (ui/assets.py),
# built on a PC by host_tools/gen_text_assets.py (docs/text-assets.md). The table is a
# bytes constant: frozen, it stays in flash.
from micropython import const

from ui import assets
from ui.font import find_u16, u16, utf8_at

_MAGIC = b"GBT\x01"
_HEADER = const(8)
_QMARK = const(0x3F)


class Table:
    """The code point -> GB18030 table; codes are read where they lie."""

    def __init__(self, data=None):
        d = assets.GB18030 if data is None else data
        if d[:4] != _MAGIC:
            raise ValueError("not a GB18030 table")
        n = u16(d, 4)
        if len(d) != _HEADER + 6 * n:
            raise ValueError("GB18030 table truncated")
        self._d = d
        self._n = n
        self._codes = _HEADER + 2 * n  # offset of the 4-byte codes
        self.unknown = 0  # characters without a code met so far (each printed as '?')

    def index(self, cp):
        return find_u16(self._d, _HEADER, self._n, cp)

    def code(self, cp):
        """(table, offset) of the 4-byte GB18030 code of cp (a 2-byte code is padded with
        zeros), or (table, -1) when the table has none. For cp >= 0x80."""
        i = self.index(cp)
        return self._d, (self._codes + 4 * i if i >= 0 else -1)

    def put(self, buf, cp):
        """Append the bytes of code point cp to bytearray buf; False (and b'?') if unknown."""
        if cp < 0x80:
            buf.append(cp)
            return True
        d, j = self.code(cp)
        if j < 0:
            buf.append(_QMARK)
            self.unknown += 1
            return False
        buf.append(d[j])
        buf.append(d[j + 1])
        if d[j + 2]:  # a 4-byte GB18030 code
            buf.append(d[j + 2])
            buf.append(d[j + 3])
        return True

    def encode_into(self, buf, text):
        """Append text to bytearray buf; returns how many characters had no code."""
        missed = 0
        b = memoryview(text)
        i, end = 0, len(b)
        while i < end:
            v = utf8_at(b, i)
            i += v & 7
            if not self.put(buf, v >> 3):
                missed += 1
        return missed


_table = None


def table():
    """The shared Table over the GB18030 constant, made on first use."""
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
