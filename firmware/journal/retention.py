# Which batches stay on flash: the one policy, applied at each settlement (app/settle.py
# calls retain()). A pre-auth may be voided or completed up to validity_days after it was
# made, from a later batch, and the batch just settled stays for query and reprint; so
# after a settlement, (a) every other batch whose newest record is older than the window
# goes, then (b) while the flash has less room than a full batch needs, the oldest of
# the others go too. Dropping a batch is steps (10)-(11) of the write order
# (journal/store.py). Part of Journal (journal/txnlog.py). docs/journal.md, "Retention".
import os
import time

_DAY_S = 86400
# Flash a batch may need (4 KB blocks): 1,500 records in 47 chunks, the index, the hashes
# and the directories, notes in every chunk. Below this, settled batches are dropped.
RESERVE_BLOCKS = 160


def days_ago(now, n):
    """The date n days before now (a clock tuple), YYYYMMDD: the oldest a pre-auth may be
    to be used, and so to be kept."""
    y, mo, d = now[:3]
    then = time.localtime(time.mktime((y, mo, d, 12, 0, 0, 0, 0)) - n * _DAY_S)
    return "%04d%02d%02d" % then[:3]


def free_blocks(path):
    """Free 4 KB blocks of the filesystem holding path; None when it cannot say."""
    try:
        s = os.statvfs(path)
    except OSError:  # every board's DATA_DIR answers statvfs (firmware/hardware.py)
        return None
    return s[3] * s[1] // 4096  # free blocks x block size, in 4 KB blocks


def _remove_tree(d):
    for t in list(os.ilistdir(d)):
        p = d + "/" + t[0]
        if t[1] == 0x4000:
            _remove_tree(p)
        else:
            os.remove(p)
    os.rmdir(d)


class Retention:
    def retain(self, keep, now, validity_days, path):
        """After a settlement (the next batch open; keep, the batch just settled): the
        batches past the validity window dropped (prune), then the oldest others while
        the filesystem holding path has less room than a batch needs (make_room).
        Returns the batches dropped, in the order they went."""
        gone = self.prune(keep, days_ago(now, validity_days))
        gone += self.make_room(keep, path)
        return gone

    def drop_batch(self, batch):
        """Delete a batch whose pre-auths are all past their validity (frees flash).
        Renamed away first (atomic), so a cut mid-way never leaves half a batch visible."""
        if batch == self.batch:
            raise ValueError("cannot drop the current batch")
        gone = self.dir + "/x" + batch
        try:
            os.rename(self._bdir(batch), gone)  # (10)
        except OSError:
            pass
        self._counts.pop(batch, None)
        self._sealed.pop(batch, None)
        self._noted.pop(batch, None)
        for n in [t[0] for t in os.ilistdir(self.dir) if t[0][0] == "x"]:
            _remove_tree(self.dir + "/" + n)  # (11), and any a cut left before

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

    def make_room(self, keep, path):
        """Drop the oldest batches, never the current one nor keep, while the filesystem
        holding path has fewer than RESERVE_BLOCKS free; their pre-auths can still be
        keyed in. Returns the batches dropped, oldest first."""
        gone = []
        free = free_blocks(path)
        for b in reversed(self.batches()):
            if free is None or free >= RESERVE_BLOCKS:
                break
            if b in (self.batch, keep):
                continue
            self.drop_batch(b)
            gone.append(b)
            free = free_blocks(path)
        return gone
