# The journal's bytes, without I/O: a record (format 2, the one written; format 1 is
# journal/format1.py's), packing and checking it, the index entries and the auth-code
# hashes of t/h and ah. Offsets are derived from the struct formats, never written by
# hand. The tables are in docs/journal.md ("Record format 2", "Index entry").
import struct
from binascii import crc32

import kinds
from journal import format1
from journal.pan import mask

# A record's kind is its row of kinds.py (its byte on flash is the row's code); the kinds
# and the states (what a row's marks do to its originals) are named here too for callers.
from kinds import (  # noqa: F401
    COMPLETED, COMPLETION, COMPLETION_VOID, COMPLETION_VOIDED, OPEN, PREAUTH, REVERSED, VOID,
    VOIDED)

STATE_NAMES = {OPEN: "OPEN", VOIDED: "VOIDED", COMPLETED: "COMPLETED",
               COMPLETION_VOIDED: "COMPLETION_VOIDED", REVERSED: "REVERSED"}

REC_SIZE = 128
PER_CHUNK = 32  # 32 x 128 = 4096: a chunk never spans two flash blocks
NONE = "000000"  # orig/next batch and voucher when there is none (F61 of a keyed original)

MAGIC = b"J2"  # format 2: any kind, linked
# Format 2: magic, kind, state, pan_len, amount, voucher, batch, date, time, auth, rrn,
# host_date, pan first6+last4, pan_hash, expiry, entry_mode, card_org, orig batch/voucher/
# host date/amount, next batch/voucher, spare; then the CRC-32 of the bytes before it.
FMT = "<2sBBBI6s6s8s6s6s12s4s10s8s4s3s3s6s6s4sI6s6s7s"
_F_KIND = 1  # places in FMT's fields (t[...] of struct.unpack_from) that are read alone
_F_AUTH = 9

IX_SIZE = 16
IX_FMT = "<II6sH"  # voucher, amount, auth code, low 16 bits of CRC-32 of the 14 before
WINDOW = 32  # index entries a Journal's index buffer holds: read, scanned or rebuilt at a
# time (= PER_CHUNK: a seal's entries)
_CRC_BITS = (1 << (16 - kinds.HASH_BITS)) - 1  # of an auth-code hash; the rest: its kind


def field_offset(fmt, i):
    """The byte offset of field i (its place in struct.unpack's tuple) in struct format
    fmt (a "<" format: no padding)."""
    j, n = 1, 0
    while n < i:
        while fmt[j] in "0123456789":
            j += 1
        j += 1
        n += 1
    return struct.calcsize(fmt[:j])


BODY = struct.calcsize(FMT)  # 124: the CRC-32 (u32) follows, REC_SIZE in all
_KIND = field_offset(FMT, _F_KIND)
_AUTH = field_offset(FMT, _F_AUTH)
_AUTH1 = field_offset(format1.FMT, format1.F_AUTH)
_IX_AMOUNT = field_offset(IX_FMT, 1)
_IX_AUTH = field_offset(IX_FMT, 2)
_IX_CHECK = field_offset(IX_FMT, 3)  # 14


class JournalError(Exception):
    pass


class JournalFull(JournalError):
    pass


def _s(b):
    return b.decode().rstrip()


def _fix(value, n, name, digits=True, blank_ok=False):
    v = value or ""
    if (blank_ok and v == "") or (len(v) == n and (not digits or v.isdigit())):
        return (v + " " * n)[:n].encode()
    raise ValueError("%s: %r is not %d %s" % (name, value, n, "digits" if digits else "chars"))


def _an(value, n, name, blank_ok=False):
    # auth codes and RRNs: up to n ASCII characters, space padded right as on the wire
    v = value or ""
    if len(v) > n or (not v and not blank_ok):
        raise ValueError("%s: %r is longer than %d or empty" % (name, value, n))
    return (v + " " * n)[:n].encode()


def pad6(code):
    return (code + "      ")[:6].encode()


class Record:
    """One transaction; kind is its row of kinds.py. pan_masked is for display (first 6,
    stars, last 4); the clear PAN is never an attribute: set_card() takes it, keeps the
    masked form and the keyed hash.
    orig_*: the original a void or completion (a pre-auth), or a completion void (a
    completion), refers to; next_*: the transaction that changed this record's state.
    void_*: the void a format-1 record carries inside it (older flash only: read them
    through journal/format1.py)."""

    def __init__(self, voucher="", batch="", date="", time="", amount=0, auth_code="",
                 rrn="", host_date="", expiry="", entry_mode="012", card_org="",
                 state=OPEN, kind=PREAUTH, orig_batch=NONE, orig_voucher=NONE,
                 orig_host_date="", orig_amount=0):
        self.voucher, self.batch, self.date, self.time = voucher, batch, date, time
        self.amount, self.auth_code, self.rrn, self.host_date = amount, auth_code, rrn, host_date
        self.expiry, self.entry_mode, self.card_org, self.state = expiry, entry_mode, card_org, state
        self.kind = kind
        self.orig_batch, self.orig_voucher = orig_batch, orig_voucher
        self.orig_host_date, self.orig_amount = orig_host_date, orig_amount
        self.next_batch = self.next_voucher = NONE
        self.pan_masked, self.pan_len, self.pan_hash = "", 0, bytes(8)
        self.void_voucher = self.void_date = self.void_time = ""
        self.void_rrn = self.void_auth = ""
        self.slot = None

    def set_card(self, keys, pan):
        self.pan_masked = mask(pan)
        self.pan_len = len(pan)
        self.pan_hash = keys.pan_hash(pan)

    def copy_card(self, other):
        """The card of other (a record of the same card: its masked form and hash)."""
        self.pan_masked, self.pan_len, self.pan_hash = (other.pan_masked, other.pan_len,
                                                        other.pan_hash)

    def stored_card(self, n, ends, pan_hash):
        """The card as a record on flash keeps it: its length, first 6 + last 4 (bytes)
        and keyed hash."""
        ends = ends.decode()
        self.pan_len = n
        self.pan_masked = ends[:6] + "*" * (n - 10) + ends[6:]
        self.pan_hash = pan_hash

    def same_card(self, keys, pan):
        """Is pan the card of this transaction? (False as well after the TMK changed.)"""
        return keys.pan_hash(pan) == self.pan_hash

    @property
    def has_orig(self):
        return self.orig_voucher != NONE

    @property
    def has_next(self):
        return self.next_voucher != NONE

    def __repr__(self):
        k = self.kind
        return "<Record %s %s/%s slot %s %s %d fen auth %s>" % (
            k[kinds.NAME].upper() if k in kinds.ALL else k, self.batch, self.voucher,
            self.slot, STATE_NAMES.get(self.state, self.state), self.amount, self.auth_code)


def pack(rec, buf):
    """rec in format 2 into buf (REC_SIZE bytes), its CRC last. ValueError for a field
    of the wrong shape, before anything is written."""
    if not 0 <= rec.amount <= 999999999 or not 0 <= rec.orig_amount <= 999999999:
        raise ValueError("amount: %r fen out of range" % rec.amount)
    if rec.kind not in kinds.ALL or rec.state not in STATE_NAMES:
        raise ValueError("kind %r / state %r unknown" % (rec.kind, rec.state))
    pm = rec.pan_masked
    if rec.pan_len < 11 or len(pm) != rec.pan_len or len(rec.pan_hash) != 8:
        raise ValueError("card: set_card(keys, pan) with a PAN of 11-19 digits first")
    struct.pack_into(
        FMT, buf, 0, MAGIC, rec.kind[kinds.CODE], rec.state, rec.pan_len, rec.amount,
        _fix(rec.voucher, 6, "voucher"), _fix(rec.batch, 6, "batch"),
        _fix(rec.date, 8, "date"), _fix(rec.time, 6, "time"),
        _an(rec.auth_code, 6, "auth_code"), _an(rec.rrn, 12, "rrn", True),
        _fix(rec.host_date, 4, "host_date", blank_ok=True),
        (pm[:6] + pm[-4:]).encode(), rec.pan_hash,
        _fix(rec.expiry, 4, "expiry", blank_ok=True), _fix(rec.entry_mode, 3, "entry_mode"),
        _an(rec.card_org, 3, "card_org", True),
        _fix(rec.orig_batch, 6, "orig_batch"), _fix(rec.orig_voucher, 6, "orig_voucher"),
        _fix(rec.orig_host_date, 4, "orig_host_date", blank_ok=True), rec.orig_amount,
        _fix(rec.next_batch, 6, "next_batch"), _fix(rec.next_voucher, 6, "next_voucher"),
        b"       ")
    struct.pack_into("<I", buf, BODY, crc32(memoryview(buf)[:BODY]))


def unpack(buf, batch, slot):
    """The Record in buf (either format), slot and batch naming it in errors.
    JournalError when its CRC fails or it is not a record of a kind this firmware has."""
    magic = bytes(buf[:2])
    if magic not in (MAGIC, format1.MAGIC) or struct.unpack_from("<I", buf, BODY)[0] != crc32(
            memoryview(buf)[:BODY]):
        raise JournalError("journal batch %s slot %d: record damaged (bad checksum)"
                           % (batch, slot))
    try:
        r = _fields(buf) if magic == MAGIC else format1.read(buf, Record)
    except (ValueError, IndexError):  # a CRC-valid record that is not one (UnicodeError too)
        raise JournalError("journal batch %s slot %d: record unreadable" % (batch, slot))
    if r.kind is None or r.state not in STATE_NAMES:
        raise JournalError("journal batch %s slot %d: record unreadable" % (batch, slot))
    r.slot = slot
    return r


def _fields(buf):
    t = struct.unpack_from(FMT, buf, 0)
    r = Record(kind=kinds.find(t[_F_KIND]), state=t[2], amount=t[4], voucher=_s(t[5]),
               batch=_s(t[6]), date=_s(t[7]), time=_s(t[8]), auth_code=t[_F_AUTH].decode(),
               rrn=_s(t[10]), host_date=_s(t[11]), expiry=_s(t[14]), entry_mode=_s(t[15]),
               card_org=_s(t[16]), orig_batch=_s(t[17]), orig_voucher=_s(t[18]),
               orig_host_date=_s(t[19]), orig_amount=t[20])
    r.stored_card(t[3], t[12], t[13])
    r.next_batch, r.next_voucher = _s(t[21]), _s(t[22])
    return r


def auth_hash(code6, kind):
    """The 2 bytes t/h and ah keep for a record: 14 bits of the CRC of its auth code (the
    6 bytes, space padded, as the record holds it) and its kind (a kinds.py row) in
    kinds.HASH_BITS bits, code - 1, so that a search for a pre-auth skips the completion
    that carries the same code. A kind past code 4 uses the bits of its row's HASH_AS."""
    return (crc32(code6) & _CRC_BITS) << kinds.HASH_BITS | (
        kind[kinds.HASH_AS] or kind[kinds.CODE]) - 1


def buf_hash(buf):
    """auth_hash of the record in buf, either format (format 1 holds pre-auths only); 0
    when its kind is none of this firmware's (the record is unreadable anyway)."""
    if buf[:2] != MAGIC:
        return auth_hash(bytes(buf[_AUTH1 : _AUTH1 + 6]), PREAUTH)
    k = kinds.find(buf[_KIND])
    return 0 if k is None else auth_hash(bytes(buf[_AUTH : _AUTH + 6]), k)


def entry_ok(e):
    """Does index entry e (IX_SIZE bytes) pass its check?"""
    return struct.unpack_from("<H", e, _IX_CHECK)[0] == crc32(e[:_IX_CHECK]) & 0xFFFF


def pack_entry(e, voucher, amount, auth6):
    """Index entry e (IX_SIZE bytes): voucher (int), amount, auth code (6 bytes), check."""
    struct.pack_into(IX_FMT, e, 0, voucher, amount, auth6, 0)
    struct.pack_into("<H", e, _IX_CHECK, crc32(e[:_IX_CHECK]) & 0xFFFF)


def entry_matches(e, want, amount):
    """Does index entry e hold auth code want (6 bytes) and, unless None, amount?"""
    return e[_IX_AUTH] == want[0] and bytes(e[_IX_AUTH : _IX_CHECK]) == want and (
        amount is None or struct.unpack_from("<I", e, _IX_AMOUNT)[0] == amount)
