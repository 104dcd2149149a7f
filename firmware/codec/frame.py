# UnionPay framing around an ISO 8583 body: LEN(2) + TPDU(5) + HEADER(6) (wire-format §1).
# The channel reads LEN with length(), the rest of the frame, then decode() and unpack().
from binascii import unhexlify
from collections import namedtuple

from micropython import const

from codec.iso8583 import CodecError

MAX_FRAME = const(2048)  # largest LEN value: bytes after the LEN prefix
LEN_SIZE = const(2)
TPDU_SIZE = const(5)
HEADER_SIZE = const(6)
PREFIX_SIZE = const(11)  # TPDU + HEADER: offset of the MTI in a LEN-less frame

TPDU_ID = const(0x60)
APP_TYPE = const(0x60)
VERSION = const(0x31)

STATUS_NORMAL = const(0)
STATUS_TEST = const(1)
PROC_NONE = const(0)
PROC_SIGN_IN = const(3)  # host: sign in again before the next financial transaction

Header = namedtuple(
    "Header", ("tpdu_dest", "tpdu_src", "app_type", "version", "status", "proc_req", "sw_version")
)


def _bcd(digits, count, part):
    if type(digits) is not str or len(digits) != count or not digits.isdigit():
        raise CodecError("%r is not %d digits" % (digits, count), part)
    return unhexlify(digits)


def encode(body, nii="0003", src="0000", status=0, proc_req=0, sw_version="000100"):
    """LEN + TPDU(60 nii src) + HEADER(60 31 status|proc_req sw_version) + body."""
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise CodecError("body must be bytes", "MTI")
    size = PREFIX_SIZE + len(body)
    if size > MAX_FRAME:
        raise CodecError("frame of %d bytes over %d" % (size, MAX_FRAME), "LEN")
    if type(status) is not int or not 0 <= status <= 15:
        raise CodecError("status %r not a nibble" % (status,), "header")
    if type(proc_req) is not int or not 0 <= proc_req <= 15:
        raise CodecError("processing requirement %r not a nibble" % (proc_req,), "header")
    out = bytearray(LEN_SIZE + size)
    out[0] = size >> 8
    out[1] = size & 0xFF
    out[2] = TPDU_ID
    out[3:5] = _bcd(nii, 4, "TPDU")
    out[5:7] = _bcd(src, 4, "TPDU")
    out[7] = APP_TYPE
    out[8] = VERSION
    out[9] = (status << 4) | proc_req
    out[10:13] = _bcd(sw_version, 6, "header")
    out[13:] = body
    return bytes(out)


def length(two_bytes):
    """The LEN prefix as an int, 1..MAX_FRAME; anything else is a protocol error."""
    if not isinstance(two_bytes, (bytes, bytearray, memoryview)) or len(two_bytes) != LEN_SIZE:
        raise CodecError("needs 2 bytes, got %r" % (two_bytes,), "LEN", 0)
    n = (two_bytes[0] << 8) | two_bytes[1]
    if n < 1 or n > MAX_FRAME:
        raise CodecError("length %d not in 1..%d" % (n, MAX_FRAME), "LEN", 0)
    return n


def _digits(mv, pos, nbytes, part):
    s = mv[pos : pos + nbytes].hex()
    if not s.isdigit():
        raise CodecError("not BCD: %s" % s, part, pos)
    return s


def decode(buf):
    """Split a LEN-less frame: returns (Header, offset of the MTI)."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise CodecError("not a bytes buffer", "TPDU", 0)
    mv = memoryview(buf)
    n = len(mv)
    if n > MAX_FRAME:
        raise CodecError("frame of %d bytes over %d" % (n, MAX_FRAME), "LEN", 0)
    if n < TPDU_SIZE:
        raise CodecError("truncated: %d bytes" % n, "TPDU", 0)
    if mv[0] != TPDU_ID:
        raise CodecError("id 0x%02x, not 0x60" % mv[0], "TPDU", 0)
    dest = _digits(mv, 1, 2, "TPDU")
    src = _digits(mv, 3, 2, "TPDU")
    if n < PREFIX_SIZE:
        raise CodecError("truncated: %d bytes" % (n - TPDU_SIZE), "header", TPDU_SIZE)
    if mv[5] != APP_TYPE:
        raise CodecError("application type 0x%02x, not 0x60" % mv[5], "header", 5)
    sw = _digits(mv, 8, 3, "header")
    return Header(dest, src, mv[5], mv[6], mv[7] >> 4, mv[7] & 15, sw), PREFIX_SIZE
