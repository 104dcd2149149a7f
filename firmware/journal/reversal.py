# The pending reversal (wire-format.md §5): at most one, written before a reversible
# request leaves the terminal, cleared only when a valid response arrives or the reversal
# itself is done.
#
# What is kept is the original request less what a 0400 never carries (kinds.
# REVERSAL_DROPS), with F2 encrypted under the TMK-derived key (pan.Keys.encrypt): no
# clear PAN on flash.
#
# On flash: one small binary record (its bytes: journal/reversal_file.py), rewritten in
# place (open "wb", write, close). littlefs commits a file on close, atomically: a power
# cut leaves the old or the new contents (a cut while the file is being *created* leaves
# an empty file, read as "none stored": the request it was for had not been sent). At
# most 128 bytes for every kind, which keeps the file inline in its directory's metadata
# (littlefs's inline limit is its cache size: 128 bytes with MicroPython's default mount,
# 256 with the boards'): a rewrite erases no block of its own.
#
# A bad magic or CRC, a body that does not unpack or an F2 that does not decrypt is
# ReversalDamaged; the file is never deleted for it. A file written by the previous
# firmware (a JSON record.py record, first byte "{") is still read; every write is binary.
# codec.iso8583 is imported only where the fields are needed: waiting() and any_failed()
# (what the main menu asks) and count_attempt() check the record but leave it packed.
#
# A reversal that failed MAX_ATTEMPTS times is flagged, then moved to a file of its own
# (<path>.f<batch><F11>, same format) for the operator: the pending slot is free again, so
# new transactions are not blocked and the failed one is never overwritten. The move is
# flag-then-copy-then-remove; load() finishes a move that a power cut interrupted.
import os
from binascii import hexlify

import kinds
from journal import record
from journal.reversal_file import FLAGGED, JV, JV61, PAN, kind_name, new, read, rev_byte

MAX_ATTEMPTS = 3


class ReversalError(Exception):
    pass


class ReversalDamaged(ReversalError):
    """The stored reversal cannot be read (bad checksum, unreadable, F2 does not decrypt).
    It is not deleted: the app shows this and the operator must call the acquirer, then
    discard_damaged() keeps a copy as <path>.bad and frees the slot."""


class ReversalPending(ReversalError):
    """store() while an unflagged reversal is still pending: send that one first."""


class Pending:
    """What load() returns; fields has int keys and the clear F2 again."""

    def __init__(self, mti, fields, reason, attempts, kind, flagged, journal_voucher, path):
        self.path = path
        self.mti = mti
        self.fields = fields
        self.reason = reason
        self.attempts = attempts
        self.kind = kind
        self.flagged = flagged
        self.journal_voucher = journal_voucher

    @property
    def blocking(self):
        """Must be sent before the next financial transaction (not yet flagged)."""
        return not self.flagged


class PendingReversal:
    def __init__(self, path, keys):
        self.path = path
        self.keys = keys

    def _raw(self, path=None):
        try:
            return read(path or self.path)
        except record.RecordError as e:
            raise ReversalDamaged("reversal damaged: %s" % e)

    def store(self, mti, fields, reason="98", journal_voucher=None, kind="preauth"):
        """Write the reversal of the request (mti, fields) BEFORE sending it. Refuses over
        a pending or damaged one."""
        code = rev_byte(kind)
        keep = {}
        for k, v in fields.items():
            if k not in kinds.REVERSAL_DROPS and k != 2:
                keep[k] = v
        pan = fields.get(2)
        buf = new(mti, keep, reason, journal_voucher, code, PAN if pan else 0, 0,
                   self.keys.encrypt(pan) if pan else None).encode()
        del keep
        old = self._raw()
        if old is not None and old.flags & FLAGGED:
            self._move_failed(old)
        elif old is not None:
            try:
                f11 = old.unpack()[1].get(11)
            except ValueError:
                f11 = None
            raise ReversalPending("a reversal for voucher %s is still pending" % f11)
        record.put(self.path, buf)

    def _pending(self, r, path, unpack=True):
        # the Pending of r (unpack=False: only the checks, no codec import); the CRC
        # was checked by read, the request's packing and F2's encryption are checked here
        try:
            kind = kind_name(r.kind)
            pan = self.keys.decrypt(r.enc_pan) if r.flags & PAN else None
            if not unpack:
                return True
            mti, fields = r.unpack()
            if pan:
                fields[2] = pan
            jv = None
            if r.flags & JV:
                h = hexlify(r.jv6).decode()
                jv = (h[:6], h[6:])
            elif r.flags & JV61:
                jv = (fields[61][:6], fields[61][6:12])
            return Pending(mti, fields, r.reason, r.attempts, kind,
                           bool(r.flags & FLAGGED), jv, path)
        except (ValueError, KeyError, TypeError, IndexError, UnicodeError) as e:
            raise ReversalDamaged("reversal %s unreadable: %s" % (path, e))

    def peek(self, path=None):
        """The Pending stored at path (default: the pending slot) as it is, a flagged one
        included, repairing nothing (inspection tools); None if there is none.
        ReversalDamaged if it cannot be read."""
        r = self._raw(path)
        return None if r is None else self._pending(r, path or self.path)

    def load(self):
        """The pending reversal (Pending) or None. ReversalDamaged if it cannot be read."""
        r = self._raw()
        if r is None:
            return None
        if r.flags & FLAGGED:  # a move to the failed list was cut short: finish it
            self._move_failed(r)
            return None
        return self._pending(r, self.path)

    def waiting(self):
        """load() is not None, without unpacking the request (no codec import: the main
        menu asks this). ReversalDamaged as load() (F2 is decrypted to check it)."""
        r = self._raw()
        if r is None:
            return False
        if r.flags & FLAGGED:  # an unfinished move: load() finishes it
            return self.load() is not None
        return self._pending(r, self.path, False)

    def _move_failed(self, r):
        try:
            fields = r.unpack()[1]
        except ValueError as e:
            raise ReversalDamaged("reversal %s unreadable: %s" % (self.path, e))
        r.flags |= FLAGGED
        record.put("%s.f%s%s" % (self.path, (fields.get(60) or "")[2:8], fields.get(11, "")),
             r.encode())
        self.clear()

    def failed(self, unpack=True):
        """The reversals that failed for good, oldest first (Pending objects, .path set).
        A damaged one raises ReversalDamaged naming its file."""
        folder, _, base = self.path.rpartition("/")
        names = sorted(n[0] for n in os.ilistdir(folder or "/") if n[0].startswith(base + ".f"))
        out = []
        for n in names:
            p = (folder or "") + "/" + n
            r = self._raw(p)
            if r is not None:  # None: empty, a cut while a move created it (load() redoes it)
                out.append(self._pending(r, p, unpack))
        return out

    def any_failed(self):
        """bool(failed()) without unpacking the requests (no codec import: the main menu
        asks this). ReversalDamaged as failed()."""
        return bool(self.failed(False))

    def clear_failed(self, pending):
        """A supervisor has settled a failed reversal with the acquirer."""
        record.remove(pending.path)

    def _change(self):
        r = self._raw()
        if r is None:
            raise ReversalError("no pending reversal")
        return r

    def set_reason(self, code, auth_code=None):
        """Reason F39 for the 0400 (98, A0, 06); auth_code: an F38 that came back."""
        r = self._change()
        if len(code.encode()) != 2:
            raise ValueError("reason must be 2 ASCII characters, got %r" % (code,))
        r.reason = code
        if auth_code:
            mti, fields = r.unpack()
            if 38 not in fields:
                fields[38] = auth_code
                from codec import iso8583

                r.body = iso8583.pack(mti, fields)
        record.put(self.path, r.encode())

    def count_attempt(self):
        """Call (and let it reach flash) before each send of the 0400. Returns attempts."""
        r = self._change()
        r.attempts = min(r.attempts + 1, 255)
        record.put(self.path, r.encode())
        return r.attempts

    def flag(self):
        """After MAX_ATTEMPTS failures: moved to the failed list (see failed()), so it no
        longer blocks and a new reversal cannot overwrite it."""
        r = self._change()
        r.flags |= FLAGGED
        record.put(self.path, r.encode())  # a cut from here on is finished by load()
        self._move_failed(r)

    def clear(self):
        record.remove(self.path)
        record.remove(self.path + ".new")  # left by the previous firmware's record.write

    def discard_damaged(self):
        """The operator has seen ReversalDamaged: keep the bad file aside, free the slot."""
        try:
            os.rename(self.path, self.path + ".bad")
        except OSError:
            pass
