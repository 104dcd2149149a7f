# The transaction log: one fixed-size record per approved financial transaction (pre-auth,
# void, completion, completion void), kept per batch on littlefs. Layout and the
# power-loss argument are in docs/journal.md; in short:
#
#   <dir>/<batch>/c00, c01, ...  sealed chunks: 32 records x 128 bytes = one 4 KB block,
#                                written whole, once, when their 32nd record is added.
#   <dir>/<batch>/t/<slot>       the records of the chunk being filled, one file each:
#                                128 bytes, inline in littlefs's metadata (no block erased).
#   <dir>/<batch>/t/h            the auth-code hashes of those records, 2 bytes each.
#   <dir>/<batch>/n<k>/<i>       a record's new version after a state change (void ...):
#                                128 bytes inline too; it wins over the chunk's copy.
#   <dir>/<batch>/ix             index of the sealed chunks, 16 bytes a record in the same
#                                order (voucher, amount, auth code, check): binary search
#                                by voucher reads it, not the chunks.
#   <dir>/<batch>/ah             auth-code hashes of the sealed records, 2 bytes each: a
#                                lookup by auth code reads this and t/h, then only the
#                                records whose hash matches (flat in the batch's size).
#
# So an add costs small metadata commits (and, every 32nd, one block for the chunk and two
# appends), a state change a 128-byte note: no 4 KB block is copied per transaction. The
# chunks and tail files are the truth; the index and the hashes are derived hints (every
# hit is confirmed against the record and its CRC) that counting repairs after a cut.
#
# A void, completion or completion void is a record of its own, in the batch where it
# happened, linked to its original (orig_*); the original's state changes by a note that
# names it (next_*). follow() writes both, in that order; links() redoes what a power cut
# left undone (app/online.py, when it finds the transaction in the log).
import errno
import os
import struct
from binascii import crc32

import micropython

import kinds
from journal import record
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
_MAGIC1 = b"J1"  # format 1: a pre-auth, with its void embedded (read, never written)
_MAGIC = b"J2"  # format 2: any kind, linked (docs/journal.md)
# Format 1: magic, state, pan_len, amount, voucher, batch, date, time, auth, rrn,
# host_date, pan first6+last4, pan_hash, expiry, entry_mode, card_org, void voucher/date/
# time/rrn/auth, spare; then CRC-32 of the 124 bytes before it.
_FMT1 = "<2sBBI6s6s8s6s6s12s4s10s8s4s3s3s6s8s6s12s6s2s"
# Format 2: magic, kind, state, pan_len, amount, voucher, batch, date, time, auth, rrn,
# host_date, pan first6+last4, pan_hash, expiry, entry_mode, card_org, orig batch/voucher/
# host date/amount, next batch/voucher, spare; then the CRC-32.
_FMT = "<2sBBBI6s6s8s6s6s12s4s10s8s4s3s3s6s6s4sI6s6s7s"
_BODY = 124
IX_SIZE = 16
_IX_FMT = "<II6sH"  # voucher, amount, auth code, low 16 bits of CRC-32 of the 14 before
_WINDOW = 32  # index entries read at a time when scanning (= PER_CHUNK: a seal's entries)
_NONE = "000000"  # orig/next batch and voucher when there is none (F61 of a keyed original)
_CRC_BITS = (1 << (16 - kinds.HASH_BITS)) - 1  # of an auth-code hash; the rest: its kind


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


class Record:
    """One transaction; kind is its row of kinds.py. pan_masked is for display (first 6,
    stars, last 4); the clear PAN is never an attribute: set_card() takes it, keeps the
    masked form and the keyed hash.
    orig_*: the original a void or completion (a pre-auth), or a completion void (a
    completion), refers to; next_*: the transaction that changed this record's state.
    void_*: the void a format-1 record carries inside it (older flash only)."""

    def __init__(self, voucher="", batch="", date="", time="", amount=0, auth_code="",
                 rrn="", host_date="", expiry="", entry_mode="012", card_org="",
                 state=OPEN, kind=PREAUTH, orig_batch=_NONE, orig_voucher=_NONE,
                 orig_host_date="", orig_amount=0):
        self.voucher, self.batch, self.date, self.time = voucher, batch, date, time
        self.amount, self.auth_code, self.rrn, self.host_date = amount, auth_code, rrn, host_date
        self.expiry, self.entry_mode, self.card_org, self.state = expiry, entry_mode, card_org, state
        self.kind = kind
        self.orig_batch, self.orig_voucher = orig_batch, orig_voucher
        self.orig_host_date, self.orig_amount = orig_host_date, orig_amount
        self.next_batch = self.next_voucher = _NONE
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

    def same_card(self, keys, pan):
        """Is pan the card of this transaction? (False as well after the TMK changed.)"""
        return keys.pan_hash(pan) == self.pan_hash

    @property
    def has_orig(self):
        return self.orig_voucher != _NONE

    @property
    def has_next(self):
        return self.next_voucher != _NONE

    def __repr__(self):
        k = self.kind
        return "<Record %s %s/%s slot %s %s %d fen auth %s>" % (
            k[kinds.NAME].upper() if k in kinds.ALL else k, self.batch, self.voucher,
            self.slot, STATE_NAMES.get(self.state, self.state), self.amount, self.auth_code)


def _pack(rec, buf):
    if not 0 <= rec.amount <= 999999999 or not 0 <= rec.orig_amount <= 999999999:
        raise ValueError("amount: %r fen out of range" % rec.amount)
    if rec.kind not in kinds.ALL or rec.state not in STATE_NAMES:
        raise ValueError("kind %r / state %r unknown" % (rec.kind, rec.state))
    pm = rec.pan_masked
    if rec.pan_len < 11 or len(pm) != rec.pan_len or len(rec.pan_hash) != 8:
        raise ValueError("card: set_card(keys, pan) with a PAN of 11-19 digits first")
    struct.pack_into(
        _FMT, buf, 0, _MAGIC, rec.kind[kinds.CODE], rec.state, rec.pan_len, rec.amount,
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
    struct.pack_into("<I", buf, _BODY, crc32(memoryview(buf)[:_BODY]))


def _unpack(buf, batch, slot):
    magic = bytes(buf[:2])
    if magic not in (_MAGIC, _MAGIC1) or struct.unpack_from("<I", buf, _BODY)[0] != crc32(
            memoryview(buf)[:_BODY]):
        raise JournalError("journal batch %s slot %d: record damaged (bad checksum)"
                           % (batch, slot))
    try:
        r = _fields(buf) if magic == _MAGIC else _fields1(buf)
    except (ValueError, IndexError):  # a CRC-valid record that is not one (UnicodeError too)
        raise JournalError("journal batch %s slot %d: record unreadable" % (batch, slot))
    if r.kind is None or r.state not in STATE_NAMES:
        raise JournalError("journal batch %s slot %d: record unreadable" % (batch, slot))
    r.slot = slot
    return r


def _card(r, n, ends, pan_hash):
    ends = ends.decode()
    r.pan_len = n
    r.pan_masked = ends[:6] + "*" * (n - 10) + ends[6:]
    r.pan_hash = pan_hash


def _fields(buf):
    t = struct.unpack_from(_FMT, buf, 0)
    r = Record(kind=kinds.find(t[1]), state=t[2], amount=t[4], voucher=_s(t[5]),
               batch=_s(t[6]), date=_s(t[7]), time=_s(t[8]), auth_code=t[9].decode(),
               rrn=_s(t[10]), host_date=_s(t[11]), expiry=_s(t[14]), entry_mode=_s(t[15]),
               card_org=_s(t[16]), orig_batch=_s(t[17]), orig_voucher=_s(t[18]),
               orig_host_date=_s(t[19]), orig_amount=t[20])
    _card(r, t[3], t[12], t[13])
    r.next_batch, r.next_voucher = _s(t[21]), _s(t[22])
    return r


def _fields1(buf):
    t = struct.unpack_from(_FMT1, buf, 0)
    r = Record(state=t[1], amount=t[3], voucher=_s(t[4]), batch=_s(t[5]), date=_s(t[6]),
               time=_s(t[7]), auth_code=t[8].decode(), rrn=_s(t[9]), host_date=_s(t[10]),
               expiry=_s(t[13]), entry_mode=_s(t[14]), card_org=_s(t[15]))
    _card(r, t[2], t[11], t[12])
    r.void_voucher, r.void_date, r.void_time = _s(t[16]), _s(t[17]), _s(t[18])
    r.void_rrn, r.void_auth = _s(t[19]), _s(t[20])
    return r


def auth_hash(code6, kind):
    """The 2 bytes t/h and ah keep for a record: 14 bits of the CRC of its auth code (the
    6 bytes, space padded, as the record holds it) and its kind (a kinds.py row) in
    kinds.HASH_BITS bits, code - 1, so that a search for a pre-auth skips the completion
    that carries the same code. A kind past code 4 uses the bits of its row's HASH_AS."""
    return (crc32(code6) & _CRC_BITS) << kinds.HASH_BITS | (
        kind[kinds.HASH_AS] or kind[kinds.CODE]) - 1


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _pad6(code):
    return (code + "      ")[:6].encode()


def _readinto(path, off, buf):
    # bytes read into buf from path at off; 0 when the file or that part of it is missing
    try:
        f = open(path, "rb")
    except OSError:
        return 0
    try:
        if off:
            f.seek(off)
        return f.readinto(buf)
    finally:
        f.close()


def _put(path, buf, mkdirs):
    # record.put, making the missing directories (mkdirs()) the first time
    try:
        record.put(path, buf)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise
        mkdirs()
        record.put(path, buf)


@micropython.viper
def _rfind16(buf, i: int, h: int) -> int:
    # the largest j <= i with the little-endian u16 entry j of buf == h, or -1
    p = ptr8(buf)
    while i >= 0:
        if (p[2 * i] | p[2 * i + 1] << 8) == h:
            return i
        i -= 1
    return -1


def _append(path, data):
    f = open(path, "ab")
    try:
        f.write(data)
    finally:
        f.close()


def _remove_tree(d):
    for t in list(os.ilistdir(d)):
        p = d + "/" + t[0]
        if t[1] == 0x4000:
            _remove_tree(p)
        else:
            os.remove(p)
    os.rmdir(d)


class Journal:
    capacity = 1500  # per batch (PAX default); nearly full at 90 %

    def __init__(self, dir_path, keys, batch="000000", capacity=None, log=None,
                 readonly=False):
        self.dir = dir_path
        self.keys = keys
        if capacity is not None:
            self.capacity = capacity
        self.log = log  # called with a message when a damaged record is skipped
        self.readonly = readonly  # inspection of a copy: no directory made, no repair
        self.errors = 0  # damaged records / index entries met so far
        self._buf = bytearray(REC_SIZE)  # preallocated: no record I/O allocates a buffer
        self._ix = bytearray(IX_SIZE * _WINDOW)
        self._h = bytearray(2 * PER_CHUNK)  # a chunk's auth-code hashes (t/h, ah)
        self._counts = {}  # batch -> record count, filled on first use (stats, no scan)
        self._sealed = {}  # batch -> records in chunk files (= index entries)
        self._noted = {}  # batch -> the chunks k that have a notes directory n<k>
        self._probed = None  # find_voucher: the tail record its search read last
        # No flash access here: boot reads nothing of the journal. The batch's directories
        # are made by its first add, its records counted (and the index repaired) by the
        # first call that needs the count.
        self.batch = batch

    # --- batches -------------------------------------------------------------------

    def open_batch(self, batch):
        """Make batch current (after a sign-in or settlement moved the batch number)."""
        self.batch = batch
        if not self.readonly:
            self._mkdirs(batch)

    def _mkdirs(self, batch):
        for d in (self.dir, self._bdir(batch), self._bdir(batch) + "/t"):
            try:
                os.mkdir(d)
            except OSError as e:
                if e.errno != errno.EEXIST:
                    raise

    def batches(self):
        """Batch numbers on flash, the current first, then the others newest first."""
        try:
            names = os.ilistdir(self.dir)
        except OSError:  # nothing added yet
            return [self.batch]
        other = [t[0] for t in names if len(t[0]) == 6 and t[0] != self.batch]
        other.sort(reverse=True)
        return [self.batch] + other

    def drop_batch(self, batch):
        """Delete a batch whose pre-auths are all past their validity (frees flash).
        Renamed away first (atomic), so a cut mid-way never leaves half a batch visible."""
        if batch == self.batch:
            raise ValueError("cannot drop the current batch")
        gone = self.dir + "/x" + batch
        try:
            os.rename(self._bdir(batch), gone)
        except OSError:
            pass
        self._counts.pop(batch, None)
        self._sealed.pop(batch, None)
        self._noted.pop(batch, None)
        for n in [t[0] for t in os.ilistdir(self.dir) if t[0][0] == "x"]:
            _remove_tree(self.dir + "/" + n)

    def _bdir(self, batch):
        return self.dir + "/" + batch

    def _chunk(self, batch, slot):
        return "%s/%s/c%02d" % (self.dir, batch, slot // PER_CHUNK)

    def _tail(self, batch, slot):
        return "%s/%s/t/%04d" % (self.dir, batch, slot)

    def _note(self, batch, slot):
        return "%s/%s/n%02d/%02d" % (self.dir, batch, slot // PER_CHUNK, slot % PER_CHUNK)

    def _ixpath(self, batch):
        return "%s/%s/ix" % (self.dir, batch)

    def _ahpath(self, batch):
        return "%s/%s/ah" % (self.dir, batch)

    def _thpath(self, batch):
        return "%s/%s/t/h" % (self.dir, batch)

    # --- counting and index repair (first use: a few stats and one small listing) ----

    def _count(self, batch):
        n = self._counts.get(batch)
        if n is not None:
            return n
        ixs = _size(self._ixpath(batch))
        nix = max(ixs, 0) // IX_SIZE
        k = nix // PER_CHUNK
        while k and _size(self._chunk(batch, k * PER_CHUNK)) < 0:
            k -= 1  # the index runs past the last chunk (damaged): the chunks decide
        while True:  # the chunks are the truth: the index may lag behind them
            m = max(_size(self._chunk(batch, k * PER_CHUNK)), 0) // REC_SIZE
            if m < PER_CHUNK and _size(self._chunk(batch, (k + 1) * PER_CHUNK)) <= 0:
                break
            # a short (damaged) chunk with a later one after it still counts 32 slots:
            # its missing records are JournalErrors, the later chunks stay visible
            k += 1
        sealed = k * PER_CHUNK + m  # records in chunk files (a journal of format 1 may
        n = sealed  # end in a partly filled one); then the tail files after them
        tdir = self._bdir(batch) + "/t"
        try:
            for t in os.ilistdir(tdir):
                name = t[0]
                if len(name) == 4 and name.isdigit() and int(name) >= n and (
                        t[3] if len(t) > 3 else _size(tdir + "/" + name)) > 0:
                    n = int(name) + 1  # (an empty file: a creation a power cut cut short)
        except OSError:
            pass  # no tail directory (a batch written before it existed)
        if not self.readonly:
            if sealed < nix:
                self._report("journal batch %s: index ahead of records, truncated" % batch)
                self._truncate_index(batch, sealed)
            elif sealed > nix:  # a cut between a chunk and its index entries
                if ixs > 0 and ixs % IX_SIZE:
                    self._truncate_index(batch, nix)
                while nix < sealed:
                    nix = self._append_ix(batch, nix, sealed)
            self._sync_hashes(batch, sealed)
        self._counts[batch] = n
        self._sealed[batch] = sealed
        try:  # which chunks have notes: a read need not look for a note elsewhere (the
            # lookup of a missing name walks the whole directory, ~50 names when full)
            self._noted[batch] = set(int(t[0][1:]) for t in os.ilistdir(self._bdir(batch))
                                     if t[0][0] == "n" and t[0][1:].isdigit())
        except OSError:
            self._noted[batch] = set()
        return n

    def _truncate_index(self, batch, n, path=None, size=IX_SIZE):
        """Keep the first n entries (of size bytes) of the index (or the hashes file)."""
        p = path or self._ixpath(batch)
        src = open(p, "rb")
        dst = open(p + ".new", "wb")
        try:
            left = n * size
            while left:
                got = src.readinto(self._ix)
                if not got:
                    break
                w = min(got, left)
                dst.write(memoryview(self._ix)[:w])
                left -= w
        finally:
            src.close()
            dst.close()
        os.rename(p + ".new", p)

    def _entry_of(self, i, batch, slot, ok):
        # index entry i of self._ix for the record in self._buf (a blank one, matching
        # nothing, when ok is False: a damaged or missing record still takes its place)
        e = memoryview(self._ix)[i * IX_SIZE : (i + 1) * IX_SIZE]
        if ok:
            try:
                r = _unpack(self._buf, batch, slot)
                struct.pack_into(_IX_FMT, e, 0, int(r.voucher), r.amount, _pad6(r.auth_code), 0)
            except (JournalError, ValueError) as err:
                self._report(str(err))
                ok = False
        if not ok:
            struct.pack_into(_IX_FMT, e, 0, 0, 0, b"      ", 0)
        struct.pack_into("<H", e, 14, crc32(e[:14]) & 0xFFFF)

    def _append_ix(self, batch, start, end):
        """Index entries of the chunk records start.. (at most a window, all in one
        write: an append copies the index's last block). Returns the next slot."""
        stop = min(end, start + _WINDOW)
        for s in range(start, stop):
            got = _readinto(self._chunk(batch, s), (s % PER_CHUNK) * REC_SIZE, self._buf)
            self._entry_of(s - start, batch, s, got == REC_SIZE)
        self._ix_append(batch, 0, stop - start)
        return stop

    def _ix_append(self, batch, i, j):
        # entries i..j-1 of self._ix onto the index, in one write (an append copies the
        # index's last block)
        _append(self._ixpath(batch), memoryview(self._ix)[i * IX_SIZE : j * IX_SIZE])

    def _buf_hash(self, ok=True):
        # auth_hash of the record in self._buf (0 for a missing one: it matches nothing
        # worth reading, and its record would be a JournalError anyway)
        if not ok:
            return 0
        b = self._buf
        if b[:2] != _MAGIC:
            return auth_hash(bytes(b[34:40]), PREAUTH)
        k = kinds.find(b[2])  # None: no kind of this firmware, the record unreadable
        return 0 if k is None else auth_hash(bytes(b[35:41]), k)

    def _sync_hashes(self, batch, sealed):
        """Make ah cover exactly the sealed records (a cut between a seal's index append
        and its hashes append, or a batch from before ah, leaves it short)."""
        p = self._ahpath(batch)
        size = max(_size(p), 0)
        have = size // 2
        if have > sealed or size % 2:
            self._truncate_index(batch, min(have, sealed), p, 2)
            have = min(have, sealed)
        h = self._h
        while have < sealed:
            stop = min(sealed, have - have % PER_CHUNK + PER_CHUNK)
            for s in range(have, stop):
                ok = _readinto(self._chunk(batch, s), (s % PER_CHUNK) * REC_SIZE,
                               self._buf) == REC_SIZE
                struct.pack_into("<H", h, 2 * (s - have), self._buf_hash(ok))
            _append(p, memoryview(h)[: 2 * (stop - have)])
            have = stop

    # --- records -------------------------------------------------------------------

    def _base(self, batch, slot):
        """The record as added, into self._buf: from its sealed chunk, else its tail
        file. False when neither holds it (a missing or cut-short record). A slot past
        the sealed ones is not looked for in a chunk (there is none yet)."""
        sealed = self._sealed.get(batch)
        if (sealed is None or slot < sealed) and _readinto(
                self._chunk(batch, slot), (slot % PER_CHUNK) * REC_SIZE,
                self._buf) == REC_SIZE:
            return True
        return _readinto(self._tail(batch, slot), 0, self._buf) == REC_SIZE

    def _read(self, batch, slot):
        # a note (the record's version after a state change) wins; an empty one is a
        # note whose creation a power cut interrupted, i.e. none
        noted = self._noted.get(batch)
        got = 0
        if noted is None or slot // PER_CHUNK in noted:
            got = _readinto(self._note(batch, slot), 0, self._buf)
        if got == 0 and not self._base(batch, slot):
            raise JournalError("journal batch %s slot %d: record missing" % (batch, slot))
        if got and got != REC_SIZE:
            raise JournalError("journal batch %s slot %d: record truncated" % (batch, slot))
        return _unpack(self._buf, batch, slot)

    def _ref(self, slot, batch):
        if isinstance(slot, Record):
            return slot.batch, slot.slot
        return batch or self.batch, slot

    def get(self, slot, batch=None):
        """The record at slot (an int in the current batch, or a Record to re-read).
        JournalError names the slot if it is damaged; IndexError if there is none."""
        batch, slot = self._ref(slot, batch)
        if not 0 <= slot < self._count(batch):
            raise IndexError("journal batch %s: no slot %d" % (batch, slot))
        return self._read(batch, slot)

    def add(self, rec):
        """Append rec to the current batch; returns its slot. JournalFull when full."""
        if not rec.batch:
            rec.batch = self.batch
        if rec.batch != self.batch:
            raise ValueError("record batch %s is not the current batch %s"
                             % (rec.batch, self.batch))
        b = self.batch
        slot = self.count()
        if slot >= self.capacity:
            raise JournalFull("journal full: %d pre-auths in batch %s, settle first"
                              % (slot, b))
        self._counts.pop(b, None)  # on any failure below, recount from flash
        if slot and not slot % PER_CHUNK and self._sealed[b] < slot:
            self._seal(b, slot - PER_CHUNK)  # a seal that a power cut interrupted
        _pack(rec, self._buf)
        try:  # a note can only be stale here (its record lost to damage): it would
            os.remove(self._note(b, slot))  # shadow the new record
        except OSError:
            pass
        _put(self._tail(b, slot), self._buf, lambda: self._mkdirs(b))  # the batch's first
        # record makes its directories; the record exists from here on
        self._tail_hash(b, slot, self._buf_hash())
        if slot % PER_CHUNK == PER_CHUNK - 1:
            self._seal(b, slot - PER_CHUNK + 1)
        if b in self._sealed:
            self._counts[b] = slot + 1
        rec.slot = slot
        return slot

    def _tail_hash(self, b, slot, value):
        """t/h gets slot's hash: the chunk's hashes so far, rewritten whole (at most 64
        bytes, inline). A t/h that a cut left short is rebuilt from the tail records."""
        k = slot % PER_CHUNK
        h = self._h
        if _readinto(self._thpath(b), 0, memoryview(h)[: 2 * k]) != 2 * k:
            for s in range(slot - k, slot):
                struct.pack_into("<H", h, 2 * (s - slot + k), self._buf_hash(self._base(b, s)))
        struct.pack_into("<H", h, 2 * k, value)
        record.put(self._thpath(b), memoryview(h)[: 2 * (k + 1)])

    def _seal(self, b, first):
        """Chunk first..first+31 into one chunk file, written whole (4 KB, one block),
        then its index entries (one append), then its tail files go. A cut at any point
        leaves every record readable: from the tail until the rename, then the chunk."""
        path = self._chunk(b, first)
        nix = self._sealed[b]  # the index covers the records in chunk files
        dst = open(path + ".new", "wb")
        try:
            for s in range(first, first + PER_CHUNK):
                ok = self._base(b, s)
                if not ok:  # a hole stays a hole: zeros, read back as a damaged record
                    self._report("journal batch %s slot %d: record missing" % (b, s))
                    for i in range(REC_SIZE):
                        self._buf[i] = 0
                dst.write(self._buf)
                struct.pack_into("<H", self._h, 2 * (s - first), self._buf_hash(ok))
                if s >= nix:
                    self._entry_of(s - first, b, s, ok)
        finally:
            dst.close()
        os.rename(path + ".new", path)
        if nix >= first:
            self._ix_append(b, nix - first, PER_CHUNK)
            if max(_size(self._ahpath(b)), 0) == 2 * first:
                _append(self._ahpath(b), self._h)
            else:  # behind (a cut, or a batch from before ah): the next count repairs it
                del self._sealed[b]
                self._counts.pop(b, None)
            if b in self._sealed:
                self._sealed[b] = first + PER_CHUNK
        else:  # the index lags further behind: the next count rebuilds it from the chunks
            del self._sealed[b]
        end = first + PER_CHUNK
        t = self._bdir(b) + "/t"
        for n in [x[0] for x in os.ilistdir(t) if x[0] == "h" or (
                x[0].isdigit() and int(x[0]) < end)]:
            os.remove(t + "/" + n)  # this chunk's, and any a cut left from an earlier one

    def _rewrite(self, rec):
        """The record's new version as its note: a 128-byte file, one metadata commit,
        atomic at the close (the chunk's copy is never rewritten)."""
        _pack(rec, self._buf)
        path = self._note(rec.batch, rec.slot)
        _put(path, self._buf, lambda: self._note_dir(rec.batch, rec.slot))  # a chunk's first

    def _note_dir(self, batch, slot):
        path = self._note(batch, slot)
        os.mkdir(path[: path.rfind("/")])
        noted = self._noted.get(batch)
        if noted is not None:
            noted.add(slot // PER_CHUNK)

    def follow(self, rec, orig=None):
        """Add rec, a void, completion or completion void, then bring its originals to the
        state it implies (links()). orig: the original's Record when the caller has it
        (None: looked up; a keyed original, not in the log, has none). Returns the slot."""
        slot = self.add(rec)
        self.links(rec, orig)
        return slot

    def links(self, rec, orig=None):
        """The originals of rec in the states its kind's row marks them with (kinds.py):
        a void's pre-auth VOIDED, a completion's pre-auth COMPLETED, a completion void's
        completion VOIDED and its pre-auth COMPLETION_VOIDED; the original naming rec as
        what changed it. Idempotent: what is already so is not written again (a power cut
        between follow()'s writes is finished by calling this again)."""
        marks = rec.kind[kinds.MARKS]
        if not marks or not rec.has_orig:
            return
        if orig is None:
            orig = self.find_voucher(rec.orig_voucher, rec.orig_batch)
            if orig is None:
                return
        self._mark(orig, marks[0], rec)
        for state in marks[1:]:  # further back: the original's original, its state only
            if not orig.has_orig:
                return
            orig = self.find_voucher(orig.orig_voucher, orig.orig_batch)
            if orig is None:
                return
            if orig.state != state:
                orig.state = state
                self._rewrite(orig)

    def _mark(self, orig, state, rec):
        if (orig.state, orig.next_batch, orig.next_voucher) != (state, rec.batch, rec.voucher):
            orig.state = state
            orig.next_batch, orig.next_voucher = rec.batch, rec.voucher
            self._rewrite(orig)

    def set_state(self, slot, state, batch=None):
        """Other transitions: REVERSED, or back to OPEN (clears what changed it)."""
        if state not in STATE_NAMES:
            raise ValueError("unknown state %r" % state)
        rec = self.get(slot, batch)
        rec.state = state
        if state == OPEN:
            rec.next_batch = rec.next_voucher = _NONE
        self._rewrite(rec)
        return rec

    def count(self):
        return self._count(self.batch)

    def nearly_full(self):
        return self.count() * 10 >= self.capacity * 9

    def full(self):
        return self.count() >= self.capacity

    def same_card(self, rec, pan):
        return rec.same_card(self.keys, pan)

    def last(self):
        n = self.count()
        return self._read(self.batch, n - 1) if n else None

    def older(self, rec):
        """The record just before rec (across batches), or None."""
        for r in self.newest(1, before_slot=rec):
            return r
        return None

    def newer(self, rec):
        """The record just after rec (across batches), or None."""
        if rec.slot + 1 < self._count(rec.batch):
            return self._read(rec.batch, rec.slot + 1)
        order = self.batches()  # current first, then older ones newest first
        i = order.index(rec.batch) if rec.batch in order else 0
        while i > 0:
            i -= 1
            if self._count(order[i]):
                return self._read(order[i], 0)
        return None

    def _report(self, msg):
        self.errors += 1
        if self.log:
            self.log(msg)

    def newest(self, n, before_slot=None):
        """Up to n records newest first, the current batch then older ones; from just
        before before_slot (a Record, or an int slot of the current batch) if given.
        Damaged records are reported through log and skipped."""
        start_batch, start = self._ref(before_slot, None) if before_slot is not None else (
            None, None)
        for b in self.batches():
            if start_batch is not None and b != start_batch:
                continue
            slot = self._count(b) if start is None else start
            start_batch = start = None
            while slot > 0 and n > 0:
                slot -= 1
                try:
                    rec = self._read(b, slot)
                except JournalError as e:
                    self._report(str(e))
                    continue
                n -= 1
                yield rec
            if n <= 0:
                return

    # --- lookups -------------------------------------------------------------------

    def _entry(self, f, batch, i):
        """(voucher, amount, auth6) of slot i from the index, or from the record itself
        when the index entry is damaged. JournalError if both are."""
        e = memoryview(self._ix)[:IX_SIZE]
        f.seek(i * IX_SIZE)
        if f.readinto(e) == IX_SIZE and struct.unpack_from("<H", e, 14)[0] == crc32(
                e[:14]) & 0xFFFF:
            v, a, au, _ = struct.unpack_from(_IX_FMT, e, 0)
            return v, a, au
        self._report("journal batch %s slot %d: index entry damaged" % (batch, i))
        r = self._read(batch, i)
        return int(r.voucher), r.amount, _pad6(r.auth_code)

    def _search_order(self, batch):
        return (batch,) if batch else self.batches()

    def find_voucher(self, voucher, batch=None):
        """The record with voucher number voucher (str or int), searching the current
        batch then older ones newest first (or only batch); None if there is none.
        Binary search: vouchers rise in append order but may wrap 999999 -> 000001, so
        they are compared as distances from the batch's first one; a probe reads the
        index for a sealed chunk, the record itself in the chunk being filled."""
        v = int(voucher)
        for b in self._search_order(batch):
            n = self._count(b)
            if not n:
                continue
            sealed = self._sealed[b]
            f = open(self._ixpath(b), "rb") if sealed else None
            self._probed = None
            try:
                slot = self._bsearch(f, b, sealed, n, v)
            finally:
                if f:
                    f.close()
            if slot is not None:
                rec = self._probed  # the record last read by the search, if it is slot's
                self._probed = None
                if rec is None or rec.slot != slot:
                    rec = self._read(b, slot)
                if int(rec.voucher) == v:
                    return rec
                self._report("journal batch %s slot %d: index disagrees with record"
                             % (b, slot))
                rec = self._scan_voucher(b, 0, n, v)
                if rec:
                    return rec
        return None

    def _voucher_at(self, f, b, sealed, i):
        if i < sealed:
            v = self._entry(f, b, i)[0]
        else:  # a tail record: kept, the search's last probe is what it returns
            self._probed = self._read(b, i)
            v = int(self._probed.voucher)
        if not v:  # vouchers are 1..999999: 0 is a blank entry (a damaged record's)
            raise JournalError("journal batch %s slot %d: index entry blank" % (b, i))
        return v

    def _bsearch(self, f, b, sealed, n, v):
        # Interpolation search: keys (distances from the first voucher) rise strictly and
        # almost evenly with the slot (every financial transaction takes a number and is
        # recorded; sign-ins and settlements take the few others), so the first guess
        # from the two ends usually is the slot. A guess that does not halve the
        # interval is followed by a halving: never more probes than twice a bisection.
        try:
            v0 = self._voucher_at(f, b, sealed, 0)
            key = (v - v0) % 1000000
            if key == 0:
                return 0
            lo, hi, klo = 0, n - 1, 0
            khi = (self._voucher_at(f, b, sealed, hi) - v0) % 1000000
            if key >= khi:
                return hi if key == khi else None
            halve = False
            while hi - lo > 1:  # klo < key < khi
                if halve:
                    mid = (lo + hi) // 2
                else:
                    mid = lo + (key - klo) * (hi - lo) // (khi - klo)
                    mid = max(lo + 1, min(hi - 1, mid))
                width = hi - lo
                k = (self._voucher_at(f, b, sealed, mid) - v0) % 1000000
                if k == key:
                    return mid
                if k < key:
                    lo, klo = mid, k
                else:
                    hi, khi = mid, k
                halve = not halve and 2 * (hi - lo) > width
            return None
        except JournalError as e:  # a probe is damaged in index and record: go linear
            self._report(str(e))
            r = self._probed = self._scan_voucher(b, 0, n, v)
            return r.slot if r else None

    def _scan_voucher(self, b, start, n, v):
        for slot in range(start, n):
            try:
                r = self._read(b, slot)
            except JournalError:
                continue
            if int(r.voucher) == v:
                return r
        return None

    def find_auth(self, auth_code, host_date=None, amount=None, batch=None, kind=PREAUTH):
        """Records of kind with this auth code (and host date MMDD / amount in fen if
        given), newest first, current batch then older ones: a generator, so next(...)
        gives the first match without reading further. Only the records whose 2-byte hash
        (t/h for the chunk being filled, ah for the sealed ones) matches are read; sealed
        records that ah does not cover yet (a cut) are found through the index."""
        want = _pad6(auth_code)
        h = auth_hash(want, kind)
        for b in self._search_order(batch):
            n = self._count(b)
            sealed = self._sealed[b]
            k = _readinto(self._thpath(b), 0, self._h) // 2 if n > sealed else 0  # tail
            # hashes, in chunk order
            for slot in range(n - 1, sealed - 1, -1):
                i = slot - sealed
                if i < k and _rfind16(self._h, i, h) != i:
                    continue
                r = self._match(b, slot, want, host_date, amount, kind)
                if r:
                    yield r
            covered, hits = self._hash_hits(b, sealed, h)
            end = sealed
            while end > covered:  # not hashed yet: the index, 32 entries at a time
                start = max(covered, end - _WINDOW)
                f = open(self._ixpath(b), "rb")
                try:
                    more = self._window_hits(f, b, start, end, want, amount)
                finally:
                    f.close()
                end = start
                for slot in more:
                    r = self._match(b, slot, want, host_date, amount, kind)
                    if r:
                        yield r
            for slot in hits:
                r = self._match(b, slot, want, host_date, amount, kind)
                if r:
                    yield r

    def _hash_hits(self, b, n, h):
        # (c, the slots in [0, c) whose ah entry is h, newest first), c = the sealed
        # records ah covers (at most n). ah is opened once (no stat first: every path
        # lookup walks the directories) and read backwards 256 entries at a time; it is
        # closed before the caller reads a record.
        hits = []
        if not n:
            return 0, hits
        buf = self._ix
        try:
            f = open(self._ahpath(b), "rb")
        except OSError:
            return 0, hits
        try:
            end = min(n, f.seek(0, 2) // 2)
            covered = end
            while end > 0:
                start = max(0, end - len(buf) // 2)
                f.seek(2 * start)
                i = f.readinto(memoryview(buf)[: 2 * (end - start)]) // 2 - 1
                while True:
                    i = _rfind16(buf, i, h)
                    if i < 0:
                        break
                    hits.append(start + i)
                    i -= 1
                end = start
        finally:
            f.close()
        return covered, hits

    def _match(self, b, slot, want, host_date, amount, kind):
        try:
            r = self._read(b, slot)
        except JournalError as e:
            self._report(str(e))
            return None
        if r.kind is not kind or _pad6(r.auth_code) != want or (
                amount is not None and r.amount != amount) or (
                host_date and r.host_date != host_date):
            return None
        return r

    def _window_hits(self, f, b, start, end, want, amount):
        # the slots in [start, end) worth reading, newest first
        hits = []
        f.seek(start * IX_SIZE)
        got = f.readinto(memoryview(self._ix)[: (end - start) * IX_SIZE]) // IX_SIZE
        for i in range(got - 1, -1, -1):
            o = i * IX_SIZE
            e = memoryview(self._ix)[o : o + IX_SIZE]
            if struct.unpack_from("<H", e, 14)[0] != crc32(e[:14]) & 0xFFFF:
                self._report("journal batch %s slot %d: index entry damaged" % (b, start + i))
                hits.append(start + i)  # let the record decide
                continue
            if self._ix[o + 8] == want[0] and bytes(e[8:14]) == want and (
                    amount is None or struct.unpack_from("<I", e, 4)[0] == amount):
                hits.append(start + i)
        for i in range(got, end - start):  # index shorter than the count: check records
            hits.append(start + i)
        return hits

    # --- a batch as a whole (settlement, flash upkeep) -------------------------------

    def each(self, batch, fn):
        """fn(record) for every record of batch in slot order (a note over its chunk's
        copy), each chunk read through one open file, closed again even if fn raises.
        Damaged records are reported and skipped."""
        n = self._count(batch)
        sealed = self._sealed[batch]
        for first in range(0, sealed, PER_CHUNK):
            notes = self._note_names(batch, first)
            try:
                f = open(self._chunk(batch, first), "rb")
            except OSError:
                f = None
            try:
                for s in range(first, min(first + PER_CHUNK, sealed)):
                    r = None
                    if f is not None and "%02d" % (s % PER_CHUNK) not in notes:
                        f.seek((s % PER_CHUNK) * REC_SIZE)
                        if f.readinto(self._buf) == REC_SIZE:
                            try:
                                r = _unpack(self._buf, batch, s)
                            except JournalError as e:
                                self._report(str(e))
                                continue
                    if r is None:
                        r = self._try_read(batch, s)
                    if r is not None:
                        fn(r)
            finally:
                if f is not None:
                    f.close()
        for s in range(sealed, n):
            r = self._try_read(batch, s)
            if r is not None:
                fn(r)

    def _note_names(self, batch, first):
        try:
            return [t[0] for t in os.ilistdir(
                "%s/%s/n%02d" % (self.dir, batch, first // PER_CHUNK))]
        except OSError:
            return ()

    def _try_read(self, batch, slot):
        try:
            return self._read(batch, slot)
        except JournalError as e:
            self._report(str(e))
            return None

    def newest_date(self, batch):
        """The date (YYYYMMDD) of batch's newest record, or None when it has none."""
        n = self._count(batch)
        for slot in range(n - 1, max(-1, n - 4), -1):
            r = self._try_read(batch, slot)
            if r is not None:
                return r.date
        return None

    def prune(self, keep, oldest_date):
        """Drop every batch but the current one and keep (the last settled) whose newest
        record is dated before oldest_date (YYYYMMDD): none of its pre-auths can be voided
        or completed any more. Returns the batches dropped, oldest first."""
        gone = []
        for b in reversed(self.batches()):
            if b in (self.batch, keep):
                continue
            d = self.newest_date(b)
            if d is None or d < oldest_date:
                self.drop_batch(b)
                gone.append(b)
        return gone
