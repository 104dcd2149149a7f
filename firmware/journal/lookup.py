# Finding a record: by voucher (interpolation search over the index and the tail) and by
# auth code (the hashes in t/h and ah, then only the records whose hash matches). Every
# hit is confirmed against the record; a damaged hint falls back to reading records.
# Each search returns what it found. Part of Journal (journal/txnlog.py).
import struct

import micropython

from journal.layout import (
    IX_FMT, IX_SIZE, PREAUTH, WINDOW, JournalError, auth_hash, entry_matches, entry_ok, pad6)
from journal.store import read_into


@micropython.viper
def _rfind16(buf, i: int, h: int) -> int:
    # the largest j <= i with the little-endian u16 entry j of buf == h, or -1
    p = ptr8(buf)
    while i >= 0:
        if (p[2 * i] | p[2 * i + 1] << 8) == h:
            return i
        i -= 1
    return -1


class Lookup:
    def _search_order(self, batch):
        return (batch,) if batch else self.batches()

    def _entry(self, f, batch, i):
        """(voucher, amount, auth6) of slot i from the index, or from the record itself
        when the index entry is damaged. JournalError if both are."""
        e = memoryview(self._ix)[:IX_SIZE]
        f.seek(i * IX_SIZE)
        if f.readinto(e) == IX_SIZE and entry_ok(e):
            v, a, au, _ = struct.unpack_from(IX_FMT, e, 0)
            return v, a, au
        self._report("journal batch %s slot %d: index entry damaged" % (batch, i))
        r = self._read(batch, i)
        return int(r.voucher), r.amount, pad6(r.auth_code)

    # --- by voucher ----------------------------------------------------------------

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
                slot, rec = self._bsearch(f, b, sealed, n, v)
            finally:
                if f:
                    f.close()
            if slot is not None:
                if rec is None or rec.slot != slot:  # the search's last record read is
                    rec = self._read(b, slot)  # often the one it found
                if int(rec.voucher) == v:
                    return rec
                self._report("journal batch %s slot %d: index disagrees with record"
                             % (b, slot))
                rec = self._scan_voucher(b, 0, n, v)
                if rec:
                    return rec
        return None

    def _probe(self, f, b, sealed, i):
        # (voucher of slot i, its Record when the probe read it: a tail slot's, else None)
        r = None
        if i < sealed:
            v = self._entry(f, b, i)[0]
        else:
            r = self._read(b, i)
            v = int(r.voucher)
        if not v:  # vouchers are 1..999999: 0 is a blank entry (a damaged record's)
            raise JournalError("journal batch %s slot %d: index entry blank" % (b, i))
        return v, r

    def _bsearch(self, f, b, sealed, n, v):
        # (the slot of voucher v or None, the last Record the search read or None).
        # Interpolation search: keys (distances from the first voucher) rise strictly and
        # almost evenly with the slot (every financial transaction takes a number and is
        # recorded; sign-ins and settlements take the few others), so the first guess
        # from the two ends usually is the slot. A guess that does not halve the
        # interval is followed by a halving: never more probes than twice a bisection.
        try:
            v0, last = self._probe(f, b, sealed, 0)
            key = (v - v0) % 1000000
            if key == 0:
                return 0, last
            lo, hi, klo = 0, n - 1, 0
            k, r = self._probe(f, b, sealed, hi)
            last = r or last
            khi = (k - v0) % 1000000
            if key >= khi:
                return (hi, last) if key == khi else (None, None)
            halve = False
            while hi - lo > 1:  # klo < key < khi
                if halve:
                    mid = (lo + hi) // 2
                else:
                    mid = lo + (key - klo) * (hi - lo) // (khi - klo)
                    mid = max(lo + 1, min(hi - 1, mid))
                width = hi - lo
                k, r = self._probe(f, b, sealed, mid)
                last = r or last
                k = (k - v0) % 1000000
                if k == key:
                    return mid, last
                if k < key:
                    lo, klo = mid, k
                else:
                    hi, khi = mid, k
                halve = not halve and 2 * (hi - lo) > width
            return None, None
        except JournalError as e:  # a probe is damaged in index and record: go linear
            self._report(str(e))
            r = self._scan_voucher(b, 0, n, v)
            return (r.slot, r) if r else (None, None)

    def _scan_voucher(self, b, start, n, v):
        for slot in range(start, n):
            try:
                r = self._read(b, slot)
            except JournalError:
                continue
            if int(r.voucher) == v:
                return r
        return None

    # --- by auth code --------------------------------------------------------------

    def find_auth(self, auth_code, host_date=None, amount=None, batch=None, kind=PREAUTH):
        """Records of kind with this auth code (and host date MMDD / amount in fen if
        given), newest first, current batch then older ones: a generator, so next(...)
        gives the first match without reading further. Only the records whose 2-byte hash
        (t/h for the chunk being filled, ah for the sealed ones) matches are read; sealed
        records that ah does not cover yet (a cut) are found through the index."""
        want = pad6(auth_code)
        h = auth_hash(want, kind)
        for b in self._search_order(batch):
            n = self._count(b)
            sealed = self._sealed[b]
            k = read_into(self._thpath(b), 0, self._h) // 2 if n > sealed else 0  # tail
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
                start = max(covered, end - WINDOW)
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
        if r.kind is not kind or pad6(r.auth_code) != want or (
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
            if not entry_ok(e):
                self._report("journal batch %s slot %d: index entry damaged" % (b, start + i))
                hits.append(start + i)  # let the record decide
                continue
            if entry_matches(e, want, amount):
                hits.append(start + i)
        for i in range(got, end - start):  # index shorter than the count: check records
            hits.append(start + i)
        return hits
