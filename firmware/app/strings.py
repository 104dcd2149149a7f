# Every word the operator sees, Chinese or English, read from ui/strings.bin one string at
# a time (built by `make assets` from host_tools/strings_table.py; format in
# docs/text-assets.md). Why a file: the table held as Python objects took ~33 KB of heap
# on the unix port (tuples, strs and qstrs); here only the key hashes (4 bytes a string)
# and a read buffer stay in RAM, as ui.font keeps only its index.
from array import array

from ui import font

_ZH = 0
lang = _ZH  # which text of a pair: 0 Chinese, 1 English

# Next to font16.bin (ui/; on a frozen build /ui/, where `make provision` copies both).
_PATH = font._DEFAULT[: font._DEFAULT.rfind("/") + 1] + "strings.bin"

_f = None  # the open file, its hashes (array 'I', ascending) and buffers: on first use
_hashes = None
_n = 0
_base = 0
_ent = None
_buf = None
_mv = None


def set_language(code):
    global lang
    lang = 1 if code == "en" else 0


def _open():
    global _f, _hashes, _n, _base, _ent, _buf, _mv
    f = open(_PATH, "rb")
    head = f.read(8)
    if head[:4] != b"STR\x01":
        f.close()
        raise ValueError("not a strings.bin")
    n = head[4] | (head[5] << 8)
    _hashes = array("I", bytes(4 * n))  # little-endian u32 on the unix port and the ESP32
    f.readinto(_hashes)
    _n = n
    _base = 8 + 4 * n
    _ent = bytearray(12)  # key, Chinese, English: (u16 offset, u16 length) each
    _buf = bytearray(head[6] | (head[7] << 8))  # the longest string
    _mv = memoryview(_buf)
    _f = f


def _hash(key):
    # host_tools/gen_text_assets.key_hash: 20 bits, so no step makes a big int
    h = 5381
    for ch in key:
        h = ((h * 33) ^ ord(ch)) & 0xFFFFF
    return h


def _read(part):
    # Text `part` (0 key, 1 Chinese, 2 English) of the entry in _ent into _buf: its length
    e = _ent
    j = 4 * part
    off = e[j] | (e[j + 1] << 8)
    n = e[j + 2] | (e[j + 3] << 8)
    _f.seek(_base + 12 * _n + off)
    _f.readinto(_mv[:n])
    return n


def t(key):
    """The text of key in the current language; KeyError for a key the table lacks."""
    if _f is None:
        _open()
    h = _hash(key)
    hs = _hashes
    lo, hi = 0, _n - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        v = hs[mid]
        if v < h:
            lo = mid + 1
        elif v > h:
            hi = mid - 1
        else:
            _f.seek(_base + 12 * mid)
            _f.readinto(_ent)
            n = _read(0)  # a hash is not proof: the key must be the one stored
            if n != len(key):
                break
            for i in range(n):
                if _buf[i] != ord(key[i]):
                    raise KeyError(key)
            return str(_mv[: _read(1 + lang)], "utf-8")
    raise KeyError(key)


def rc_text(code):
    """The explanation of a response code; unknown codes say declined + the code."""
    try:
        return t("rc_" + code)
    except KeyError:
        return t("rc_unknown") % code
