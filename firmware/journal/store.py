# The journal's files and its write path: where a batch's records live, reading a record,
# add (tail files), seal (a full chunk compacted into one chunk file) and notes (a
# record's new version after a state change). Part of Journal (journal/txnlog.py).
#
#   <dir>/<batch>/t/<slot>   the records of the chunk being filled, one 128-byte file
#                            each, inline in littlefs's metadata (no block erased)
#   <dir>/<batch>/t/h        their auth-code hashes, 2 bytes each, rewritten whole
#   <dir>/<batch>/c<k>       sealed chunk k: 32 records = one 4 KB block, written once
#   <dir>/<batch>/ix, ah     the sealed records' index entries (16 bytes) and hashes (2)
#   <dir>/<batch>/n<k>/<i>   slot 32k+i's note: its latest version, over the chunk's copy
#
# THE WRITE ORDER. littlefs commits a file's new contents at close(), all at once (an open
# truncates nothing on flash before that); rename and remove are atomic; no two files
# change together; a file *created* by an open exists, empty, from the open, and the
# journal reads an empty file as absent. Every write the journal makes, in this order
# (the code marks each step with its number; docs/journal.md, "Why this layout is
# power-loss safe", says what a cut before or after each leaves):
#
#   add(rec), the record of slot s (a seal a cut interrupted is first done again, 4-8):
#    (1) s's note removed: only a damaged batch has one, and it would shadow the record
#    (2) the tail file t/<s>: open "wb", 128 bytes, close (the batch's directories made
#        first by its first add or open_batch). The record exists from here on.
#    (3) t/h rewritten whole: the chunk's hashes so far, s's last
#   the add of a chunk's 32nd record goes on: the seal of chunk k
#    (4) c<k>.new: the 32 records (from the tail files), written whole, closed
#    (5) c<k>.new renamed to c<k>: the chunk holds the records from here on
#    (6) ix: the chunk's index entries, one append
#    (7) ah: their hashes, one append
#    (8) the chunk's tail files and t/h removed
#   a state change (set_state; links.py's follow() after (1)-(8) of the follow-up's add)
#    (9) the note n<k>/<i>: mkdir n<k> for a chunk's first note, then open "wb", the
#        whole new 128-byte record, close; one note per original marked
#   drop_batch(b) (retention.py)
#    (10) <b> renamed to x<b>: the batch is gone for every reader at once
#    (11) the x* directories removed, file by file
#   the first count of a batch (repair.py), where a cut left the hints behind the chunks
#    (12) ix or ah cut back to whole entries: ix.new (ah.new) written, renamed over it
#    (13) ix: the entries it lacks, from the chunks, appended 32 at a time
#    (14) ah: the hashes it lacks, from the chunks, appended a chunk at a time
import errno
import os
import struct

from journal import record
from journal.layout import (
    IX_SIZE, PER_CHUNK, REC_SIZE, JournalError, JournalFull, buf_hash, pack, pack_entry,
    pad6, unpack)


def size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def read_into(path, off, buf):
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


def append(path, data):
    f = open(path, "ab")
    try:
        f.write(data)
    finally:
        f.close()


class Store:
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

    # --- reading a record ----------------------------------------------------------

    def _base(self, batch, slot):
        """The record as added, into self._buf: from its sealed chunk, else its tail
        file. False when neither holds it (a missing or cut-short record). A slot past
        the sealed ones is not looked for in a chunk (there is none yet)."""
        sealed = self._sealed.get(batch)
        if (sealed is None or slot < sealed) and read_into(
                self._chunk(batch, slot), (slot % PER_CHUNK) * REC_SIZE,
                self._buf) == REC_SIZE:
            return True
        return read_into(self._tail(batch, slot), 0, self._buf) == REC_SIZE

    def _read(self, batch, slot):
        # a note (the record's version after a state change) wins; an empty one is a
        # note whose creation a power cut interrupted, i.e. none
        noted = self._noted.get(batch)
        got = 0
        if noted is None or slot // PER_CHUNK in noted:
            got = read_into(self._note(batch, slot), 0, self._buf)
        if got == 0 and not self._base(batch, slot):
            raise JournalError("journal batch %s slot %d: record missing" % (batch, slot))
        if got and got != REC_SIZE:
            raise JournalError("journal batch %s slot %d: record truncated" % (batch, slot))
        return unpack(self._buf, batch, slot)

    # --- the write path ------------------------------------------------------------

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
            self._seal(b, slot - PER_CHUNK)  # (4)-(8) again: a seal a power cut interrupted
        pack(rec, self._buf)
        try:  # (1)
            os.remove(self._note(b, slot))
        except OSError:
            pass
        _put(self._tail(b, slot), self._buf, lambda: self._mkdirs(b))  # (2)
        self._tail_hash(b, slot, buf_hash(self._buf))  # (3)
        if slot % PER_CHUNK == PER_CHUNK - 1:
            self._seal(b, slot - PER_CHUNK + 1)  # (4)-(8)
        if b in self._sealed:
            self._counts[b] = slot + 1
        rec.slot = slot
        return slot

    def _tail_hash(self, b, slot, value):
        """(3) t/h gets slot's hash: the chunk's hashes so far, rewritten whole (at most
        64 bytes, inline). A t/h that a cut left short is rebuilt from the tail records."""
        k = slot % PER_CHUNK
        h = self._h
        if read_into(self._thpath(b), 0, memoryview(h)[: 2 * k]) != 2 * k:
            for s in range(slot - k, slot):
                ok = self._base(b, s)
                struct.pack_into("<H", h, 2 * (s - slot + k), buf_hash(self._buf) if ok else 0)
        struct.pack_into("<H", h, 2 * k, value)
        record.put(self._thpath(b), memoryview(h)[: 2 * (k + 1)])

    def _seal(self, b, first):
        """(4)-(8): chunk first..first+31 into one chunk file, written whole (4 KB, one
        block), then its index entries and hashes (one append each), then its tail files
        go. A cut at any point leaves every record readable: from the tail until the
        rename, then the chunk."""
        path = self._chunk(b, first)
        nix = self._sealed[b]  # the index covers the records in chunk files
        dst = open(path + ".new", "wb")  # (4)
        try:
            for s in range(first, first + PER_CHUNK):
                ok = self._base(b, s)
                if not ok:  # a hole stays a hole: zeros, read back as a damaged record
                    self._report("journal batch %s slot %d: record missing" % (b, s))
                    for i in range(REC_SIZE):
                        self._buf[i] = 0
                dst.write(self._buf)
                struct.pack_into("<H", self._h, 2 * (s - first), buf_hash(self._buf) if ok else 0)
                if s >= nix:
                    self._make_entry(s - first, b, s, ok)
        finally:
            dst.close()
        os.rename(path + ".new", path)  # (5)
        if nix >= first:
            self._append_entries(b, nix - first, PER_CHUNK)  # (6)
            if max(size(self._ahpath(b)), 0) == 2 * first:
                append(self._ahpath(b), self._h)  # (7)
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
            os.remove(t + "/" + n)  # (8) this chunk's, and any a cut left from an earlier one

    def _make_entry(self, i, batch, slot, ok):
        # index entry i of self._ix for the record in self._buf (a blank one, matching
        # nothing, when ok is False: a damaged or missing record still takes its place)
        e = memoryview(self._ix)[i * IX_SIZE : (i + 1) * IX_SIZE]
        if ok:
            try:
                r = unpack(self._buf, batch, slot)
                pack_entry(e, int(r.voucher), r.amount, pad6(r.auth_code))
                return
            except (JournalError, ValueError) as err:
                self._report(str(err))
        pack_entry(e, 0, 0, b"      ")

    def _append_entries(self, batch, i, j):
        # (6), (13): entries i..j-1 of self._ix onto the index, in one write (an append
        # copies the index's last block)
        append(self._ixpath(batch), memoryview(self._ix)[i * IX_SIZE : j * IX_SIZE])

    def _write_note(self, rec):
        """(9) The record's new version as its note: a 128-byte file, one metadata
        commit, atomic at the close (the chunk's copy is never rewritten)."""
        pack(rec, self._buf)
        path = self._note(rec.batch, rec.slot)
        _put(path, self._buf, lambda: self._note_dir(rec.batch, rec.slot))  # a chunk's first

    def _note_dir(self, batch, slot):
        path = self._note(batch, slot)
        os.mkdir(path[: path.rfind("/")])
        noted = self._noted.get(batch)
        if noted is not None:
            noted.add(slot // PER_CHUNK)
