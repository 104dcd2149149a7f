# The pending reversal (wire-format.md §5): at most one, written before a reversible
# request leaves the terminal, cleared only when a valid response arrives or the reversal
# itself is done. One atomic record (record.py): a cut leaves the old or the new version.
#
# What is kept is the original request less 35, 52, 53, 64 (a 0400 never carries them),
# with F2 sealed under the TMK-derived key (pan.Keys.seal): no clear PAN on flash.
#
# A reversal that failed MAX_ATTEMPTS times is flagged, then moved to a file of its own
# (<path>.f<batch><F11>) for the operator: the pending slot is free again, so new
# transactions are not blocked and the failed one is never overwritten. The move is
# flag-then-copy-then-remove; load() finishes a move that a power cut interrupted.
import os
from binascii import hexlify, unhexlify

from journal import record

MAX_ATTEMPTS = 3
_DROP = (35, 52, 53, 64)


class ReversalError(Exception):
    pass


class ReversalDamaged(ReversalError):
    """The stored reversal cannot be read (bad checksum, unreadable, F2 does not unseal).
    It is not deleted: the app shows this and the operator must call the acquirer, then
    discard_damaged() keeps a copy as <path>.bad and frees the slot."""


class ReversalPending(ReversalError):
    """store() while an unflagged reversal is still pending: send that one first."""


class Pending:
    """What load() returns; fields has int keys and the clear F2 again."""

    def __init__(self, d, fields, path=None):
        self.path = path
        self.mti = d["mti"]
        self.fields = fields
        self.reason = d["reason"]
        self.attempts = d["attempts"]
        self.kind = d["kind"]
        self.flagged = d["flagged"]
        self.journal_voucher = d["journal_voucher"]

    @property
    def blocking(self):
        """Must be sent before the next financial transaction (not yet flagged)."""
        return not self.flagged


def _enc(v):
    # JSON has no bytes: they travel as {"x": hex}
    return {"x": hexlify(v).decode()} if isinstance(v, (bytes, bytearray)) else v


def _dec(v):
    return unhexlify(v["x"]) if isinstance(v, dict) else v


class PendingReversal:
    def __init__(self, path, keys):
        self.path = path
        self.keys = keys

    def _raw(self):
        try:
            return record.read(self.path, None)
        except record.RecordError as e:
            raise ReversalDamaged("pending reversal damaged: %s" % e)

    def _put(self, d):
        record.write(self.path, d)

    def store(self, mti, fields, reason="98", journal_voucher=None, kind="preauth"):
        """Write the reversal of the request (mti, fields) BEFORE sending it. Refuses over
        a pending or damaged one."""
        old = self._raw()
        if old is not None and old.get("flagged"):
            self._move_failed(old)
        elif old is not None:
            raise ReversalPending("a reversal for voucher %s is still pending"
                                  % old["fields"].get("11"))
        keep = {}
        for k, v in fields.items():
            if k not in _DROP and k != 2:
                keep[str(k)] = _enc(v)
        pan = fields.get(2)
        self._put({
            "mti": mti, "fields": keep, "reason": reason, "attempts": 0,
            "kind": kind, "flagged": False, "journal_voucher": journal_voucher,
            "pan": hexlify(self.keys.seal(pan)).decode() if pan else None,
        })

    def _pending(self, d, path):
        try:
            fields = {}
            for k, v in d["fields"].items():
                fields[int(k)] = _dec(v)
            if d.get("pan"):
                fields[2] = self.keys.unseal(unhexlify(d["pan"]))
            return Pending(d, fields, path)
        except (ValueError, KeyError, TypeError) as e:
            raise ReversalDamaged("reversal %s unreadable: %s" % (path, e))

    def load(self):
        """The pending reversal (Pending) or None. ReversalDamaged if it cannot be read."""
        d = self._raw()
        if d is None:
            return None
        if d.get("flagged"):  # a move to the failed list was cut short: finish it
            self._move_failed(d)
            return None
        return self._pending(d, self.path)

    def _failed_path(self, d):
        f60 = _dec(d["fields"].get("60", "")) or ""
        return "%s.f%s%s" % (self.path, f60[2:8], _dec(d["fields"].get("11", "")))

    def _move_failed(self, d):
        record.write(self._failed_path(d), d)
        self.clear()

    def failed(self):
        """The reversals that failed for good, oldest first (Pending objects, .path set).
        A damaged one raises ReversalDamaged naming its file."""
        folder, _, base = self.path.rpartition("/")
        names = sorted(n[0] for n in os.ilistdir(folder or "/") if n[0].startswith(base + ".f"))
        out = []
        for n in names:
            p = (folder or "") + "/" + n
            try:
                d = record.read(p)
            except record.RecordError as e:
                raise ReversalDamaged("failed reversal damaged: %s" % e)
            out.append(self._pending(d, p))
        return out

    def clear_failed(self, pending):
        """A supervisor has settled a failed reversal with the acquirer."""
        record.remove(pending.path)

    def _change(self):
        d = self._raw()
        if d is None:
            raise ReversalError("no pending reversal")
        return d

    def set_reason(self, code, auth_code=None):
        """Reason F39 for the 0400 (98, A0, 06); auth_code: an F38 that came back."""
        d = self._change()
        d["reason"] = code
        if auth_code and "38" not in d["fields"]:
            d["fields"]["38"] = auth_code
        self._put(d)

    def count_attempt(self):
        """Call (and let it reach flash) before each send of the 0400. Returns attempts."""
        d = self._change()
        d["attempts"] += 1
        self._put(d)
        return d["attempts"]

    def flag(self):
        """After MAX_ATTEMPTS failures: moved to the failed list (see failed()), so it no
        longer blocks and a new reversal cannot overwrite it."""
        d = self._change()
        d["flagged"] = True
        self._put(d)  # a cut from here on is finished by load()
        self._move_failed(d)

    def clear(self):
        record.remove(self.path)
        record.remove(self.path + ".new")

    def discard_damaged(self):
        """The operator has seen ReversalDamaged: keep the bad file aside, free the slot."""
        try:
            os.rename(self.path, self.path + ".bad")
        except OSError:
            pass
