# Every word the operator sees, Chinese or English, from the STRINGS table (ui/assets.py,
# built by `make assets` from host_tools/strings_table.py; format in docs/text-assets.md).
# The table is a bytes constant, looked up where it lies: frozen, it stays in flash, and
# only the string asked for is made on the heap (the table held as Python objects took
# ~33 KB of heap on the unix port: tuples, strs and qstrs).
from micropython import const

from ui import assets
from ui.font import u16

_HEADER = const(8)
_ZH = const(0)
lang = _ZH  # which text of a pair: 0 Chinese, 1 English

_D = assets.STRINGS
if _D[:4] != b"STR\x01":
    raise ValueError("not a STRINGS table")
_N = u16(_D, 4)
_ENTRIES = _HEADER + 4 * _N  # N entries of key, Chinese, English: (u16 offset, u16 length)
_TEXT = _ENTRIES + 12 * _N  # the UTF-8 data
_MV = memoryview(_D)


def set_language(code):
    global lang
    lang = 1 if code == "en" else 0


def _hash(key):
    # host_tools/gen_text_assets.key_hash: 20 bits, so no step makes a big int
    h = 5381
    for ch in key:
        h = ((h * 33) ^ ord(ch)) & 0xFFFFF
    return h


def _span(entry, part):
    # (start, end) in _D of text `part` (0 key, 1 Chinese, 2 English) of entry number entry
    j = _ENTRIES + 12 * entry + 4 * part
    start = _TEXT + u16(_D, j)
    return start, start + u16(_D, j + 2)


def t(key):
    """The text of key in the current language; KeyError for a key the table lacks."""
    d = _D
    h = _hash(key)
    lo, hi = 0, _N - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        j = _HEADER + 4 * mid
        v = d[j] | (d[j + 1] << 8) | (d[j + 2] << 16)  # hashes are 20 bits: byte 3 is 0
        if v < h:
            lo = mid + 1
        elif v > h:
            hi = mid - 1
        else:
            a, b = _span(mid, 0)  # a hash is not proof: the key must be the one stored
            if b - a != len(key):
                break
            for i in range(b - a):
                if d[a + i] != ord(key[i]):
                    raise KeyError(key)
            a, b = _span(mid, 1 + lang)
            return str(_MV[a:b], "utf-8")
    raise KeyError(key)


def rc_text(code):
    """The explanation of a response code; unknown codes say declined + the code."""
    try:
        return t("rc_" + code)
    except KeyError:
        return t("rc_unknown") % code
