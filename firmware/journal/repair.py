# Counting a batch, and the repairs a power cut may call for, done at its first count
# after boot: the chunks and tail files are the truth, the index (ix) and the hashes (ah)
# derived hints that a cut between the steps of a seal leaves behind (steps (12)-(14) of
# the write order, journal/store.py). Part of Journal (journal/txnlog.py).
import os
import struct

from journal.layout import IX_SIZE, PER_CHUNK, REC_SIZE, WINDOW, buf_hash
from journal.store import append, read_into, size


class Repair:
    def _count(self, batch):
        """The records of batch: the sealed ones (in chunk files, fixed by the chunks'
        sizes, not the index's), then the tail files after them. First use: a few stats
        and one listing of t/, and the repairs where the hints lag; no record is read
        unless the index or the hashes must be rebuilt."""
        n = self._counts.get(batch)
        if n is not None:
            return n
        ixs = size(self._ixpath(batch))
        nix = max(ixs, 0) // IX_SIZE
        k = nix // PER_CHUNK
        while k and size(self._chunk(batch, k * PER_CHUNK)) < 0:
            k -= 1  # the index runs past the last chunk (damaged): the chunks decide
        while True:  # the chunks are the truth: the index may lag behind them
            m = max(size(self._chunk(batch, k * PER_CHUNK)), 0) // REC_SIZE
            if m < PER_CHUNK and size(self._chunk(batch, (k + 1) * PER_CHUNK)) <= 0:
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
                        t[3] if len(t) > 3 else size(tdir + "/" + name)) > 0:
                    n = int(name) + 1  # (an empty file: a creation a power cut cut short)
        except OSError:
            pass  # no tail directory (a batch written before it existed)
        if not self.readonly:
            if sealed < nix:
                self._report("journal batch %s: index ahead of records, truncated" % batch)
                self._truncate(self._ixpath(batch), sealed, IX_SIZE)
            elif sealed > nix:  # a cut between a chunk and its index entries
                if ixs > 0 and ixs % IX_SIZE:
                    self._truncate(self._ixpath(batch), nix, IX_SIZE)
                while nix < sealed:
                    nix = self._index_from_chunks(batch, nix, sealed)
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

    def _truncate(self, p, n, width):
        """(12) Keep the first n entries (of width bytes) of the index or hashes file p:
        p.new written, then renamed over p."""
        src = open(p, "rb")
        dst = open(p + ".new", "wb")
        try:
            left = n * width
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

    def _index_from_chunks(self, batch, start, end):
        """(13) The index entries of the chunk records start.. (at most a window), read
        from their chunks and appended in one write (an append copies the index's last
        block). Returns the next slot."""
        stop = min(end, start + WINDOW)
        for s in range(start, stop):
            got = read_into(self._chunk(batch, s), (s % PER_CHUNK) * REC_SIZE, self._buf)
            self._make_entry(s - start, batch, s, got == REC_SIZE)
        self._append_entries(batch, 0, stop - start)
        return stop

    def _sync_hashes(self, batch, sealed):
        """(12), (14) Make ah cover exactly the sealed records (a cut between a seal's
        index append and its hashes append, or a batch from before ah, leaves it short)."""
        p = self._ahpath(batch)
        have_bytes = max(size(p), 0)
        have = have_bytes // 2
        if have > sealed or have_bytes % 2:
            self._truncate(p, min(have, sealed), 2)
            have = min(have, sealed)
        h = self._h
        while have < sealed:
            stop = min(sealed, have - have % PER_CHUNK + PER_CHUNK)
            for s in range(have, stop):
                ok = read_into(self._chunk(batch, s), (s % PER_CHUNK) * REC_SIZE,
                               self._buf) == REC_SIZE
                struct.pack_into("<H", h, 2 * (s - have), buf_hash(self._buf) if ok else 0)
            append(p, memoryview(h)[: 2 * (stop - have)])
            have = stop
