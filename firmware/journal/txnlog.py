# The transaction log: one fixed-size record per approved financial transaction (pre-auth,
# void, completion, completion void), kept per batch on littlefs, each linked to its
# original. Journal is the one object callers hold; its work is done in layers, one
# module each (docs/journal.md has the files, the formats and the power-loss argument):
#
#   layout.py     the bytes: records (format 2; format1.py reads the previous one),
#                 index entries, auth-code hashes. No I/O.
#   store.py      the files and the write path: add, tail files, seal, notes. THE WRITE
#                 ORDER is stated once, at its head; every step is numbered in the code.
#   repair.py     counting a batch, and rebuilding the index and hashes a cut left behind
#   lookup.py     find_voucher, find_auth
#   links.py      follow, links, set_state: the transitions of kinds.py's rows
#   retention.py  which batches stay: drop_batch, prune, make_room, retain
#
# Here: the object and its state, and reading (get, last, newest, each ...).
#
# Imported bottom up, the leaves first: every module below is then loaded one import
# deep from here, never a chain of nested imports (main.py says why that matters).
import os

from journal import format1, record  # noqa: F401
from journal.layout import (  # noqa: F401  (the names callers import from here)
    COMPLETED, COMPLETION, COMPLETION_VOID, COMPLETION_VOIDED, IX_SIZE, OPEN, PER_CHUNK,
    PREAUTH, REC_SIZE, REVERSED, STATE_NAMES, VOID, VOIDED, WINDOW, JournalError,
    JournalFull, Record, auth_hash, unpack)
from journal.store import Store
from journal.repair import Repair
from journal.lookup import Lookup
from journal.links import Links
from journal.retention import Retention


class Journal(Store, Repair, Lookup, Links, Retention):
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
        self._ix = bytearray(IX_SIZE * WINDOW)
        self._h = bytearray(2 * PER_CHUNK)  # a chunk's auth-code hashes (t/h, ah)
        self._counts = {}  # batch -> record count, filled on first use (stats, no scan)
        self._sealed = {}  # batch -> records in chunk files (= index entries)
        self._noted = {}  # batch -> the chunks k that have a notes directory n<k>
        # No flash access here: boot reads nothing of the journal. The batch's directories
        # are made by its first add, its records counted (and the index repaired) by the
        # first call that needs the count.
        self.batch = batch

    def batches(self):
        """Batch numbers on flash, the current first, then the others newest first."""
        try:
            names = os.ilistdir(self.dir)
        except OSError:  # nothing added yet
            return [self.batch]
        other = [t[0] for t in names if len(t[0]) == 6 and t[0] != self.batch]
        other.sort(reverse=True)
        return [self.batch] + other

    def _report(self, msg):
        self.errors += 1
        if self.log:
            self.log(msg)

    def count(self):
        return self._count(self.batch)

    def nearly_full(self):
        return self.count() * 10 >= self.capacity * 9

    def full(self):
        return self.count() >= self.capacity

    def same_card(self, rec, pan):
        return rec.same_card(self.keys, pan)

    # --- reading -------------------------------------------------------------------

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

    def _try_read(self, batch, slot):
        try:
            return self._read(batch, slot)
        except JournalError as e:
            self._report(str(e))
            return None

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

    def each(self, batch, fn):
        """fn(record) for every record of batch in slot order (a note over its chunk's
        copy), each chunk read through one open file, closed again even if fn raises.
        Damaged records are reported and skipped (settlement totals)."""
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
                                r = unpack(self._buf, batch, s)
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
