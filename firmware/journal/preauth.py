# The pre-auth journal: one fixed-size record per pre-auth, kept per batch on littlefs.
# Layout and the power-loss argument are in docs/journal.md; in short:
#
#   <dir>/<batch>/c00, c01, ...  sealed chunks: 32 records x 128 bytes = one 4 KB block,
#                                written whole, once, when their 32nd record is added.
#   <dir>/<batch>/t/<slot>       the records of the chunk being filled, one file each:
#                                128 bytes, inline in littlefs's metadata (no block erased).
#   <dir>/<batch>/n<k>/<i>       a record's new version after a state change (void ...):
#                                128 bytes inline too; it wins over the chunk's copy.
#   <dir>/<batch>/ix             index of the sealed chunks, 16 bytes a record in the same
#                                order (voucher, amount, auth code, check): binary search
#                                by voucher and auth code scans read it, not the chunks.
#
# So an add costs a small metadata commit (and, every 32nd, one block for the chunk and a
# 512-byte index append), a void another: no 4 KB block is copied per transaction. The
# chunks and tail files are the truth, the index a derived hint (every hit is confirmed
# against the record and its CRC) that counting repairs after a cut.
import errno
import os
import struct
from binascii import crc32

from journal import record
from journal.pan import mask

# REVERSED: the pre-auth was approved and journalled, then reversed (a cut between add()
# and clearing the pending reversal, see docs/journal.md "Call order").
OPEN, VOIDED, COMPLETED, COMPLETION_VOIDED, REVERSED = 1, 2, 3, 4, 5
STATE_NAMES = {OPEN: "OPEN", VOIDED: "VOIDED", COMPLETED: "COMPLETED",
               COMPLETION_VOIDED: "COMPLETION_VOIDED", REVERSED: "REVERSED"}

REC_SIZE = 128
PER_CHUNK = 32  # 32 x 128 = 4096: a chunk never spans two flash blocks
_MAGIC = b"J1"  # record format version 1
# magic, state, pan_len, amount, voucher, batch, date, time, auth, rrn, host_date,
# pan first6+last4, pan_hash, expiry, entry_mode, card_org, void voucher/date/time/rrn/auth,
# spare; then CRC-32 of the 124 bytes before it.
_FMT = "<2sBBI6s6s8s6s6s12s4s10s8s4s3s3s6s8s6s12s6s2s"
_BODY = 124
IX_SIZE = 16
_IX_FMT = "<II6sH"  # voucher, amount, auth code, low 16 bits of CRC-32 of the 14 before
_WINDOW = 32  # index entries read at a time when scanning (= PER_CHUNK: a seal's entries)


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
    """One pre-auth. pan_masked is for display (first 6, stars, last 4); the clear PAN is
    never an attribute: set_card() takes it, keeps the masked form and the keyed hash."""

    def __init__(self, voucher="", batch="", date="", time="", amount=0, auth_code="",
                 rrn="", host_date="", expiry="", entry_mode="012", card_org="",
                 state=OPEN):
        self.voucher, self.batch, self.date, self.time = voucher, batch, date, time
        self.amount, self.auth_code, self.rrn, self.host_date = amount, auth_code, rrn, host_date
        self.expiry, self.entry_mode, self.card_org, self.state = expiry, entry_mode, card_org, state
        self.pan_masked, self.pan_len, self.pan_hash = "", 0, bytes(8)
        self.void_voucher = self.void_date = self.void_time = ""
        self.void_rrn = self.void_auth = ""
        self.slot = None

    def set_card(self, keys, pan):
        self.pan_masked = mask(pan)
        self.pan_len = len(pan)
        self.pan_hash = keys.pan_hash(pan)

    def same_card(self, keys, pan):
        """Is pan the card of this pre-auth? (False as well after the TMK changed.)"""
        return keys.pan_hash(pan) == self.pan_hash

    def __repr__(self):
        return "<Record %s/%s slot %s %s %d fen auth %s>" % (
            self.batch, self.voucher, self.slot, STATE_NAMES.get(self.state, self.state),
            self.amount, self.auth_code)


def _pack(rec, buf):
    if not 0 <= rec.amount <= 999999999:
        raise ValueError("amount: %r fen out of range" % rec.amount)
    pm = rec.pan_masked
    if rec.pan_len < 11 or len(pm) != rec.pan_len or len(rec.pan_hash) != 8:
        raise ValueError("card: set_card(keys, pan) with a PAN of 11-19 digits first")
    struct.pack_into(
        _FMT, buf, 0, _MAGIC, rec.state, rec.pan_len, rec.amount,
        _fix(rec.voucher, 6, "voucher"), _fix(rec.batch, 6, "batch"),
        _fix(rec.date, 8, "date"), _fix(rec.time, 6, "time"),
        _an(rec.auth_code, 6, "auth_code"), _an(rec.rrn, 12, "rrn", True),
        _fix(rec.host_date, 4, "host_date", blank_ok=True),
        (pm[:6] + pm[-4:]).encode(), rec.pan_hash,
        _fix(rec.expiry, 4, "expiry", blank_ok=True), _fix(rec.entry_mode, 3, "entry_mode"),
        _an(rec.card_org, 3, "card_org", True),
        _fix(rec.void_voucher, 6, "void_voucher", blank_ok=True),
        _fix(rec.void_date, 8, "void_date", blank_ok=True),
        _fix(rec.void_time, 6, "void_time", blank_ok=True),
        _an(rec.void_rrn, 12, "void_rrn", True), _an(rec.void_auth, 6, "void_auth", True),
        b"  ")
    struct.pack_into("<I", buf, _BODY, crc32(memoryview(buf)[:_BODY]))


def _unpack(buf, batch, slot):
    if buf[:2] != _MAGIC or struct.unpack_from("<I", buf, _BODY)[0] != crc32(
            memoryview(buf)[:_BODY]):
        raise JournalError("journal batch %s slot %d: record damaged (bad checksum)"
                           % (batch, slot))
    try:
        return _fields(buf, slot)
    except (ValueError, IndexError):  # a CRC-valid record that is not one (UnicodeError too)
        raise JournalError("journal batch %s slot %d: record unreadable" % (batch, slot))


def _fields(buf, slot):
    t = struct.unpack_from(_FMT, buf, 0)
    r = Record()
    r.state, r.pan_len, r.amount = t[1], t[2], t[3]
    (r.voucher, r.batch, r.date, r.time, r.auth_code, r.rrn, r.host_date) = (
        _s(t[4]), _s(t[5]), _s(t[6]), _s(t[7]), t[8].decode(), _s(t[9]), _s(t[10]))
    ends = t[11].decode()
    r.pan_masked = ends[:6] + "*" * (r.pan_len - 10) + ends[6:]
    r.pan_hash = t[12]
    r.expiry, r.entry_mode, r.card_org = _s(t[13]), _s(t[14]), _s(t[15])
    r.void_voucher, r.void_date, r.void_time = _s(t[16]), _s(t[17]), _s(t[18])
    r.void_rrn, r.void_auth = _s(t[19]), _s(t[20])
    r.slot = slot
    return r


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
        self._counts = {}  # batch -> record count, filled on first use (stats, no scan)
        self._sealed = {}  # batch -> records in chunk files (= index entries)
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
        self._counts[batch] = n
        self._sealed[batch] = sealed
        return n

    def _truncate_index(self, batch, n):
        p = self._ixpath(batch)
        src = open(p, "rb")
        dst = open(p + ".new", "wb")
        try:
            left = n * IX_SIZE
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
        f = open(self._ixpath(batch), "ab")
        try:
            f.write(memoryview(self._ix)[i * IX_SIZE : j * IX_SIZE])
        finally:
            f.close()

    # --- records -------------------------------------------------------------------

    def _base(self, batch, slot):
        """The record as added, into self._buf: from its sealed chunk, else its tail
        file. False when neither holds it (a missing or cut-short record)."""
        if _readinto(self._chunk(batch, slot), (slot % PER_CHUNK) * REC_SIZE,
                     self._buf) == REC_SIZE:
            return True
        return _readinto(self._tail(batch, slot), 0, self._buf) == REC_SIZE

    def _read(self, batch, slot):
        # a note (the record's version after a state change) wins; an empty one is a
        # note whose creation a power cut interrupted, i.e. none
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
        if slot % PER_CHUNK == PER_CHUNK - 1:
            self._seal(b, slot - PER_CHUNK + 1)
        if b in self._sealed:
            self._counts[b] = slot + 1
        rec.slot = slot
        return slot

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
                if s >= nix:
                    self._entry_of(s - first, b, s, ok)
        finally:
            dst.close()
        os.rename(path + ".new", path)
        if nix >= first:
            self._ix_append(b, nix - first, PER_CHUNK)
            self._sealed[b] = first + PER_CHUNK
        else:  # the index lags further behind: the next count rebuilds it from the chunks
            del self._sealed[b]
        end = first + PER_CHUNK
        t = self._bdir(b) + "/t"
        for n in [x[0] for x in os.ilistdir(t) if x[0].isdigit() and int(x[0]) < end]:
            os.remove(t + "/" + n)  # this chunk's, and any a cut left from an earlier one

    def _rewrite(self, rec):
        """The record's new version as its note: a 128-byte file, one metadata commit,
        atomic at the close (the chunk's copy is never rewritten)."""
        _pack(rec, self._buf)
        path = self._note(rec.batch, rec.slot)
        _put(path, self._buf, lambda: os.mkdir(path[: path.rfind("/")]))  # a chunk's first

    def mark_voided(self, slot, void_voucher, void_date, void_time, void_rrn, void_auth="",
                    batch=None):
        """Record an approved void of the pre-auth at slot (int or Record). Returns it."""
        rec = self.get(slot, batch)
        rec.state = VOIDED
        rec.void_voucher, rec.void_date, rec.void_time = void_voucher, void_date, void_time
        rec.void_rrn, rec.void_auth = void_rrn, void_auth
        self._rewrite(rec)
        return rec

    def set_state(self, slot, state, batch=None):
        """Other transitions (COMPLETED, COMPLETION_VOIDED, REVERSED; no details kept in
        format 1), or back to OPEN after a void was reversed (clears the void fields)."""
        if state not in STATE_NAMES:
            raise ValueError("unknown state %r" % state)
        rec = self.get(slot, batch)
        rec.state = state
        if state == OPEN:
            rec.void_voucher = rec.void_date = rec.void_time = rec.void_rrn = ""
            rec.void_auth = ""
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
            try:
                slot = self._bsearch(f, b, sealed, n, v)
            finally:
                if f:
                    f.close()
            if slot is not None:
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
        v = self._entry(f, b, i)[0] if i < sealed else int(self._read(b, i).voucher)
        if not v:  # vouchers are 1..999999: 0 is a blank entry (a damaged record's)
            raise JournalError("journal batch %s slot %d: index entry blank" % (b, i))
        return v

    def _bsearch(self, f, b, sealed, n, v):
        try:
            v0 = self._voucher_at(f, b, sealed, 0)
            key = (v - v0) % 1000000
            lo, hi = 0, n - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                k = (self._voucher_at(f, b, sealed, mid) - v0) % 1000000
                if k == key:
                    return mid
                if k < key:
                    lo = mid + 1
                else:
                    hi = mid - 1
            return None
        except JournalError as e:  # a probe is damaged in index and record: go linear
            self._report(str(e))
            r = self._scan_voucher(b, 0, n, v)
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

    def find_auth(self, auth_code, host_date=None, amount=None, batch=None):
        """Records with this auth code (and host date MMDD / amount in fen if given),
        newest first, current batch then older ones: a generator, so next(...) gives the
        first match without reading further. The chunk being filled is read record by
        record (at most 31); the sealed ones through their 16-byte index entries, read
        backwards 32 at a time, only the records whose entry matches."""
        want = _pad6(auth_code)
        for b in self._search_order(batch):
            n = self._count(b)
            end = self._sealed[b]
            for slot in range(n - 1, end - 1, -1):
                r = self._match(b, slot, want, host_date, amount)
                if r:
                    yield r
            f = None
            while end > 0:
                if f is None:
                    f = open(self._ixpath(b), "rb")
                start = max(0, end - _WINDOW)
                hits = self._window_hits(f, b, start, end, want, amount)
                end = start
                if hits or not end:  # no file stays open while the caller holds us
                    f.close()
                    f = None
                for slot in hits:
                    r = self._match(b, slot, want, host_date, amount)
                    if r:
                        yield r

    def _match(self, b, slot, want, host_date, amount):
        try:
            r = self._read(b, slot)
        except JournalError as e:
            self._report(str(e))
            return None
        if _pad6(r.auth_code) != want or (amount is not None and r.amount != amount) or (
                host_date and r.host_date != host_date):
            return None
        return r

    def _window_hits(self, f, b, start, end, want, amount):
        # the slots in [start, end) worth reading, newest first
        hits = []
        try:
            f.seek(start * IX_SIZE)
            got = f.readinto(memoryview(self._ix)[: (end - start) * IX_SIZE]) // IX_SIZE
        except Exception:
            f.close()
            raise
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
