# The pending reversal's file (journal/reversal.py keeps it): its bytes, making them from
# a request and reading them back, and the previous firmware's JSON form. At most 128
# bytes for every kind as the app builds them, so littlefs keeps the file inline.
#
#   0   2  magic b"R2"
#   2   1  flags: bit0 flagged, bit1 encrypted F2 follows, bit2 journal_voucher follows,
#          bit3 journal_voucher is (F61[0:6], F61[6:12]) (a void of a journalled pre-auth)
#   3   1  attempts (saturates at 255)
#   4   2  reason, F39 in ASCII ("98", "A0", "06")
#   6   1  kind: its row's rev byte (kinds.py): b"p" "preauth", b"v" "void",
#          b"c" "completion", b"x" "completion_void"
#   [6]    journal_voucher (batch, voucher) as 12 BCD digits, if bit2
#   [1+n]  n, then the encrypted F2 (n = 24: pan.Keys.encrypt), if bit1
#   ...    MTI + bitmap + the kept fields, packed by codec.iso8583 (numeric fields BCD)
#   -4  4  CRC-32 (binascii.crc32) of everything before it, little endian
#
# A bad magic or CRC, or a header that does not parse, is a RecordError (of
# journal.record); the request itself is unpacked only when asked (Rec.unpack).
import os
from binascii import crc32, unhexlify

import kinds
from journal import record

MAGIC = b"R2"
FLAGGED = 1  # the flags byte
PAN = 2
JV = 4
JV61 = 8


class Rec:
    # One stored reversal: the header decoded, the request kept packed (body).
    def __init__(self, flags=0, attempts=0, reason="98", kind=None, jv6=None, enc_pan=None,
                 body=None):
        self.flags, self.attempts, self.reason, self.kind = flags, attempts, reason, kind
        self.jv6, self.enc_pan, self.body = jv6, enc_pan, body

    def unpack(self):
        """(mti, fields less F2). ValueError when the body does not unpack."""
        from codec import iso8583

        try:
            return iso8583.unpack(self.body)
        except iso8583.CodecError as e:
            raise ValueError(str(e))

    def encode(self):
        out = bytearray(MAGIC)
        out.append(self.flags)
        out.append(min(self.attempts, 255))
        out += self.reason.encode()
        out += self.kind
        if self.flags & JV:
            out += self.jv6
        if self.flags & PAN:
            out.append(len(self.enc_pan))
            out += self.enc_pan
        out += self.body
        return out + crc32(out).to_bytes(4, "little")


def rev_byte(name):
    # the REV byte of the kind called name; ValueError for a name no kind has
    k = kinds.find(name) if type(name) is str else None
    if k is None:
        raise ValueError("unknown reversal kind %r" % (name,))
    return k[kinds.REV]


def kind_name(code):
    k = kinds.find(code)
    if k is None:
        raise ValueError("unknown kind %r" % code)
    return k[kinds.NAME]


def _jv_bits(jv, fields):
    """(flag bits, 6 BCD bytes or None) for journal_voucher jv: None or (batch, voucher),
    two strings of 6 digits (ValueError otherwise)."""
    if jv is None:
        return 0, None
    try:
        batch, voucher = jv
        bv = batch + voucher
        ok = len(batch) == 6 and len(bv) == 12 and bv.isdigit()
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError("journal_voucher must be 2 x 6 digits, got %r" % (jv,))
    f61 = fields.get(61)
    if type(f61) is str and f61[:12] == bv:
        return JV61, None  # a void of a journalled pre-auth: F61 begins with them
    return JV, unhexlify(bv)


def new(mti, fields, reason, jv, kind, flags=0, attempts=0, enc_pan=None):
    # a Rec for a request: reason checked, journal_voucher folded into the flags
    from codec import iso8583

    if len(reason.encode()) != 2:
        raise ValueError("reason must be 2 ASCII characters, got %r" % (reason,))
    bits, jv6 = _jv_bits(jv, fields)
    return Rec(flags | bits, attempts, reason, kind, jv6, enc_pan, iso8583.pack(mti, fields))


def _legacy(path):
    """A JSON record of the previous firmware (record.py) as a Rec."""
    try:
        d = record.read(path)
        fields = {}
        for k, v in d["fields"].items():
            fields[int(k)] = unhexlify(v["x"]) if isinstance(v, dict) else v
        jv = d["journal_voucher"]
        return new(d["mti"], fields, d["reason"], tuple(jv) if jv else None,
                   rev_byte(d["kind"]), (FLAGGED if d.get("flagged") else 0) | (
                       PAN if d.get("pan") else 0), d["attempts"],
                   unhexlify(d["pan"]) if d.get("pan") else None)
    except record.RecordError:
        raise
    except Exception as e:  # KeyError, TypeError, ValueError, a CodecError
        raise record.RecordError("%s: unreadable: %r" % (path, e))


def read(path):
    """The Rec at path, or None. RecordError (of journal.record) when it is damaged."""
    try:
        size = os.stat(path)[6]
        f = open(path, "rb")
    except OSError:
        return None
    try:
        data = f.read(min(size, 4096))
    finally:
        f.close()
    n = len(data)
    if not n:  # a cut while store() created it: nothing was stored, nothing sent
        return None
    if data[:1] == b"{":  # written by the previous firmware
        return _legacy(path)
    if size > 4096 or n < 21 or data[:2] != MAGIC:
        raise record.RecordError("%s: not a reversal record" % path)
    if crc32(memoryview(data)[: n - 4]) != int.from_bytes(data[n - 4 :], "little"):
        raise record.RecordError("%s: bad checksum" % path)
    try:
        flags = data[2]
        r = Rec(flags, data[3], str(data[4:6], "ascii"), data[6:7])
        pos = 7
        if flags & JV:
            r.jv6 = data[pos : pos + 6]
            pos += 6
        if flags & PAN:
            k = data[pos]
            r.enc_pan = data[pos + 1 : pos + 1 + k]
            pos += 1 + k
        if flags & 0xF0 or pos + 10 > n - 4:
            raise ValueError("bad header")
        r.body = data[pos : n - 4]
    except (ValueError, IndexError, UnicodeError) as e:
        raise record.RecordError("%s: unreadable header: %r" % (path, e))
    return r
