# ISO 8583 body (MTI + primary bitmap + fields) packed and unpacked over the field table
# in codec.fields. Nothing from the wire is trusted: every malformation is a CodecError.
from binascii import hexlify, unhexlify

from micropython import const

from codec.fields import ANS, FIXED, LLVAR, N, SPACE_PADDED, TABLE, Z

_MTI_LEN = const(2)
_BITMAP_LEN = const(8)
_AUTH_CODE_LEN = const(6)


class CodecError(Exception):
    """Bad bytes on the wire or a bad value to pack.

    .field is the field number (int) or a part of the frame ("LEN", "TPDU", "header",
    "MTI", "bitmap"); .offset is the byte offset into the buffer handed to the decoder.
    """

    def __init__(self, msg, field=None, offset=None):
        if field is None:
            text = msg
        elif type(field) is int:
            text = "field %d: %s" % (field, msg)
        else:
            text = "%s: %s" % (field, msg)
        if offset is not None:
            text = "%s at offset %d" % (text, offset)
        super().__init__(text)
        self.field = field
        self.offset = offset


def _bad_char(s, ok):
    # Index of the first character of s not in ok (error path only).
    for i in range(len(s)):
        if s[i] not in ok:
            return i
    return 0


def _bad_byte(seg):
    for i in range(len(seg)):
        c = seg[i]
        if c < 0x20 or c > 0x7E:
            return i
    return 0


_DIGITS = "0123456789"
_TRACK2 = "0123456789D"


def _is_track2(s):
    t = s.replace("D", "")
    return not t or t.isdigit()


def pack(mti, fields):
    """Pack MTI + bitmap + fields into bytes; values as in docs/architecture.md."""
    if type(mti) is not str or len(mti) != 4 or not mti.isdigit():
        raise CodecError("MTI must be a str of 4 digits, got %r" % (mti,), "MTI")
    if not isinstance(fields, dict):
        raise CodecError("fields must be a dict", "bitmap")
    try:
        order = sorted(fields)
    except TypeError:
        raise CodecError("field numbers must be ints", "bitmap")
    table = TABLE
    out = bytearray(unhexlify(mti))
    out.extend(bytes(_BITMAP_LEN))
    for f in order:
        if type(f) is not int:
            raise CodecError("field number %r is not an int" % (f,), "bitmap")
        if f < 2 or f > 64 or table[f] is None:
            raise CodecError("not in the field table", f)
        kind, ltype, maxlen = table[f]
        v = fields[f]
        out[_MTI_LEN + ((f - 1) >> 3)] |= 0x80 >> ((f - 1) & 7)
        if kind <= Z:
            if type(v) is not str:
                raise CodecError("value must be a str of digits", f)
            if kind == N:
                if v and not v.isdigit():
                    raise CodecError("not a digit: %r" % v[_bad_char(v, _DIGITS)], f)
            else:
                v = v.replace("=", "D")
                if not _is_track2(v):
                    raise CodecError("not a digit or D: %r" % v[_bad_char(v, _TRACK2)], f)
            n = len(v)
            if n & 1:
                v += "0"
            data = unhexlify(v)
        elif kind <= ANS:
            if type(v) is not str:
                raise CodecError("value must be a str", f)
            if f == SPACE_PADDED and len(v) < _AUTH_CODE_LEN:
                v += " " * (_AUTH_CODE_LEN - len(v))
            data = v.encode()
            n = len(data)
            if n != len(v) or (n and (min(data) < 0x20 or max(data) > 0x7E)):
                raise CodecError("not printable ASCII", f)
        else:
            if type(v) is not bytes and type(v) is not bytearray:
                raise CodecError("value must be bytes", f)
            data = v
            n = len(v)
        if ltype == FIXED:
            if n != maxlen:
                raise CodecError("length %d, must be exactly %d" % (n, maxlen), f)
        else:
            if n > maxlen:
                raise CodecError("length %d over max %d" % (n, maxlen), f)
            if ltype == LLVAR:
                out.append(((n // 10) << 4) | (n % 10))
            else:
                lo = n % 100
                out.append(n // 100)
                out.append(((lo // 10) << 4) | (lo % 10))
        out.extend(data)
    return bytes(out)


# _BCD[b]: value of the packed-BCD byte b, 0xFF when a nibble is over 9.
_BCD = bytes(
    ((b >> 4) * 10 + (b & 15)) if (b >> 4) < 10 and (b & 15) < 10 else 0xFF for b in range(256)
)
# _MSB[b]: index from the left (0 = 0x80) of the highest bit set in b, for bitmap bytes.
_MSB = bytes((10 - len(bin(b))) if b else 0 for b in range(256))


def unpack(buf, start=0, end=None):
    """Unpack MTI + bitmap + fields from buf[start:end]; returns (mti, {field: value})."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise CodecError("not a bytes buffer", "MTI", 0)
    mv = memoryview(buf)
    size = len(mv)
    if end is None:
        end = size
    if type(start) is not int or type(end) is not int or start < 0 or end > size or start > end:
        raise CodecError("bad bounds %r..%r of %d bytes" % (start, end, size), "MTI", 0)
    pos = start
    if end - pos < _MTI_LEN:
        raise CodecError("truncated: %d bytes left" % (end - pos), "MTI", pos)
    mti = mv[pos : pos + _MTI_LEN].hex()
    if not mti.isdigit():
        raise CodecError("not BCD: %s" % mti, "MTI", pos)
    pos += _MTI_LEN
    if end - pos < _BITMAP_LEN:
        raise CodecError("truncated: %d bytes left" % (end - pos), "bitmap", pos)
    bmpos = pos
    if mv[pos] & 0x80:
        raise CodecError("secondary bitmap not supported", "bitmap", pos)
    pos += _BITMAP_LEN
    fields = {}
    last = None
    table = TABLE
    bcd = _BCD
    msb = _MSB
    for i in range(_BITMAP_LEN):
        byte = mv[bmpos + i]
        while byte:
            j = msb[byte]
            byte ^= 0x80 >> j
            f = (i << 3) + j + 1
            spec = table[f]
            if spec is None:
                raise CodecError("bit set but not in the field table", f, bmpos + i)
            kind, ltype, maxlen = spec
            if ltype == FIXED:
                n = maxlen
            else:
                nlen = 1 if ltype == LLVAR else 2
                if end - pos < nlen:
                    raise CodecError("length prefix truncated", f, pos)
                n = bcd[mv[pos]]
                if n == 0xFF:
                    n = -1
                elif nlen == 2:
                    lo = bcd[mv[pos + 1]]
                    n = -1 if lo == 0xFF else n * 100 + lo
                if n < 0:
                    raise CodecError(
                        "length prefix not BCD: %s" % mv[pos : pos + nlen].hex(), f, pos
                    )
                if n > maxlen:
                    raise CodecError("length %d over max %d" % (n, maxlen), f, pos)
                pos += nlen
            nbytes = (n + 1) >> 1 if kind <= Z else n
            if end - pos < nbytes:
                raise CodecError("needs %d bytes, %d left" % (nbytes, end - pos), f, pos)
            seg = mv[pos : pos + nbytes]
            if kind <= Z:
                v = seg.hex()
                if n & 1:
                    if v[-1] != "0":
                        raise CodecError("pad nibble not 0", f, pos + nbytes - 1)
                    v = v[:-1]
                if kind == N:
                    if n and not v.isdigit():
                        k = _bad_char(v, _DIGITS)
                        raise CodecError("not BCD: nibble %r" % v[k], f, pos + (k >> 1))
                else:
                    v = v.replace("d", "D")
                    if not _is_track2(v):
                        k = _bad_char(v, _TRACK2)
                        raise CodecError("not track 2: nibble %r" % v[k], f, pos + (k >> 1))
            elif kind <= ANS:
                if n and (min(seg) < 0x20 or max(seg) > 0x7E):
                    k = _bad_byte(seg)
                    raise CodecError("not printable ASCII: 0x%02x" % seg[k], f, pos + k)
                v = str(seg, "ascii")
            else:
                v = bytes(seg)
            fields[f] = v
            last = f
            pos += nbytes
    if pos != end:
        raise CodecError(
            "%d bytes after the last field (%s)" % (end - pos, last), "bitmap", pos
        )
    return mti, fields
