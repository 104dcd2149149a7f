# The pending reversal (wire-format.md §5): at most one, written before a reversible
# request leaves the terminal, cleared only when a valid response arrives or the reversal
# itself is done.
#
# What is kept is the original request less 35, 52, 53, 64 (a 0400 never carries them),
# with F2 sealed under the TMK-derived key (pan.Keys.seal): no clear PAN on flash.
#
# On flash: one small binary record, rewritten in place (open "wb", write, close). littlefs
# commits a file on close, atomically: a power cut leaves the old or the new contents (a
# cut while the file is being *created* leaves an empty file, read as "none stored": the
# request it was for had not been sent). At most 128 bytes for a pre-auth and for a void,
# which keeps the file inline in its directory's metadata (littlefs inline limit = cache
# size, 128 bytes with the board's VfsLfs2 defaults): a rewrite erases no block of its own.
#
#   0   2  magic b"R2"
#   2   1  flags: bit0 flagged, bit1 sealed F2 follows, bit2 journal_voucher follows,
#          bit3 journal_voucher is (F61[0:6], F61[6:12]) (a void of a journalled pre-auth)
#   3   1  attempts (saturates at 255)
#   4   2  reason, F39 in ASCII ("98", "A0", "06")
#   6   1  kind: b"p" "preauth", b"v" "void"
#   [6]    journal_voucher (batch, voucher) as 12 BCD digits, if bit2
#   [1+n]  n, then the sealed F2 (n = 32), if bit1
#   ...    MTI + bitmap + the kept fields, packed by codec.iso8583 (numeric fields BCD)
#   -4  4  CRC-32 (binascii.crc32) of everything before it, little endian
#
# A bad magic or CRC, a body that does not unpack or an F2 that does not unseal is
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
from binascii import crc32, hexlify, unhexlify

from micropython import const

from journal import record

MAX_ATTEMPTS = 3
_DROP = (35, 52, 53, 64)

_MAGIC = b"R2"
_FLAGGED = const(1)
_PAN = const(2)
_JV = const(4)
_JV61 = const(8)
_HEAD = const(7)  # magic, flags, attempts, reason, kind
_MAX_FILE = const(4096)
_KINDS = {"preauth": b"p", "void": b"v"}


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


class _Rec:
    """One stored reversal as read: the header decoded, the request kept packed (body).
    A record of the previous firmware has fields (a dict, F2 absent) and jv instead."""

    def __init__(self):
        self.flags = 0
        self.attempts = 0
        self.reason = "98"
        self.kind = b"p"
        self.jv6 = None  # 6 BCD bytes when flags & _JV
        self.sealed = None  # when flags & _PAN
        self.body = None  # packed MTI + fields, or None: pack self.mti, self.fields
        self.mti = None
        self.fields = None
        self.jv = None  # legacy: the journal_voucher as read, bits worked out on write

    def unpack(self):
        """(mti, fields less F2). ValueError when the body does not unpack."""
        if self.body is None:
            return self.mti, dict(self.fields)
        from codec import iso8583

        try:
            return iso8583.unpack(self.body)
        except iso8583.CodecError as e:
            raise ValueError(str(e))


def _reason(code):
    if type(code) is not str or len(code) != 2 or len(code.encode()) != 2:
        raise ValueError("reason must be 2 ASCII characters, got %r" % (code,))
    return code


def _jv_bits(jv, fields):
    """(flag bits, 6 BCD bytes or None) for journal_voucher jv: None or (batch, voucher),
    two strings of 6 digits. ValueError for anything else."""
    if jv is None:
        return 0, None
    try:
        batch, voucher = jv
    except (TypeError, ValueError):
        raise ValueError("journal_voucher must be (batch, voucher), got %r" % (jv,))
    if (type(batch) is not str or type(voucher) is not str or len(batch) != 6
            or len(voucher) != 6 or not (batch + voucher).isdigit()):
        raise ValueError("journal_voucher must be 2 x 6 digits, got %r" % (jv,))
    f61 = fields.get(61)
    if type(f61) is str and f61[:12] == batch + voucher:
        return _JV61, None
    return _JV, unhexlify(batch + voucher)


def _encode(r):
    flags = r.flags & (_FLAGGED | _PAN | _JV | _JV61)
    jv6 = r.jv6
    body = r.body
    if body is None:
        from codec import iso8583

        body = iso8583.pack(r.mti, r.fields)
        bits, jv6 = _jv_bits(r.jv, r.fields)
        flags = (flags & ~(_JV | _JV61)) | bits
    out = bytearray(_MAGIC)
    out.append(flags)
    out.append(r.attempts if r.attempts < 255 else 255)
    out.extend(_reason(r.reason).encode())
    out.extend(r.kind)
    if flags & _JV:
        out.extend(jv6)
    if flags & _PAN:
        out.append(len(r.sealed))
        out.extend(r.sealed)
    out.extend(body)
    out.extend(crc32(out).to_bytes(4, "little"))
    return out


def _write(path, r):
    _put(path, _encode(r))


def _put(path, buf):
    # In place: littlefs keeps the old contents until close() commits the new ones, and a
    # write that failed marks the file erred: close() then commits nothing at all.
    f = open(path, "wb")
    try:
        f.write(buf)
    finally:
        f.close()  # the commit: old or new contents after a cut


def _legacy(d):
    """A record.py record of the previous firmware as a _Rec (KeyError etc. if odd)."""
    r = _Rec()
    r.flags = _FLAGGED if d.get("flagged") else 0
    r.attempts = d["attempts"]
    r.reason = d["reason"]
    r.kind = _KINDS[d["kind"]]
    fields = {}
    for k, v in d["fields"].items():
        fields[int(k)] = unhexlify(v["x"]) if isinstance(v, dict) else v
    r.mti, r.fields = d["mti"], fields
    if d.get("pan"):
        r.flags |= _PAN
        r.sealed = unhexlify(d["pan"])
    jv = d["journal_voucher"]
    r.jv = tuple(jv) if isinstance(jv, list) else jv
    return r


def _read(path):
    """The _Rec at path, or None. RecordError (of journal.record) when it is damaged."""
    try:
        size = os.stat(path)[6]
    except OSError:
        return None
    if size == 0:  # a cut while store() created it: nothing was stored, nothing sent
        return None
    if size > _MAX_FILE:
        raise record.RecordError("%s: record too large" % path)
    try:
        f = open(path, "rb")
    except OSError:
        return None
    try:
        data = f.read(size)
    finally:
        f.close()
    if data[:1] == b"{":  # written by the previous firmware
        try:
            return _legacy(record.read(path))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise record.RecordError("%s: unreadable: %r" % (path, e))
    n = len(data)
    if n < _HEAD + 4 + 10 or data[:2] != _MAGIC:
        raise record.RecordError("%s: not a reversal record" % path)
    if crc32(memoryview(data)[: n - 4]) != int.from_bytes(data[n - 4 :], "little"):
        raise record.RecordError("%s: bad checksum" % path)
    try:
        r = _Rec()
        r.flags = flags = data[2]
        r.attempts = data[3]
        r.reason = str(data[4:6], "ascii")
        r.kind = data[6:7]
        pos = _HEAD
        if flags & _JV:
            r.jv6 = data[pos : pos + 6]
            pos += 6
        if flags & _PAN:
            k = data[pos]
            r.sealed = data[pos + 1 : pos + 1 + k]
            pos += 1 + k
        if flags & ~(_FLAGGED | _PAN | _JV | _JV61) or pos + 10 > n - 4:
            raise ValueError("bad header")
        r.body = data[pos : n - 4]
    except (ValueError, IndexError) as e:
        raise record.RecordError("%s: unreadable header: %s" % (path, e))
    return r


class PendingReversal:
    def __init__(self, path, keys):
        self.path = path
        self.keys = keys

    def _raw(self):
        try:
            return _read(self.path)
        except record.RecordError as e:
            raise ReversalDamaged("pending reversal damaged: %s" % e)

    def store(self, mti, fields, reason="98", journal_voucher=None, kind="preauth"):
        """Write the reversal of the request (mti, fields) BEFORE sending it. Refuses over
        a pending or damaged one."""
        code = _KINDS.get(kind)
        if code is None:
            raise ValueError("unknown reversal kind %r" % (kind,))
        from codec import iso8583

        keep = {}
        for k, v in fields.items():
            if k not in _DROP and k != 2:
                keep[k] = v
        r = _Rec()
        r.reason = _reason(reason)
        r.kind = code
        r.flags, r.jv6 = _jv_bits(journal_voucher, keep)
        r.body = iso8583.pack(mti, keep)
        del keep
        pan = fields.get(2)
        if pan:
            r.flags |= _PAN
            r.sealed = self.keys.seal(pan)
        buf = _encode(r)
        old = self._raw()
        if old is not None and old.flags & _FLAGGED:
            self._move_failed(old)
        elif old is not None:
            f11 = None
            try:
                f11 = old.unpack()[1].get(11)
            except ValueError:
                pass
            raise ReversalPending("a reversal for voucher %s is still pending" % f11)
        _put(self.path, buf)

    def _pending(self, r, path):
        try:
            mti, fields = r.unpack()
            if r.flags & _PAN:
                fields[2] = self.keys.unseal(r.sealed)
            kind = "preauth" if r.kind == b"p" else "void" if r.kind == b"v" else None
            if kind is None:
                raise ValueError("unknown kind %r" % r.kind)
            if r.body is None:
                jv = r.jv
            elif r.flags & _JV:
                h = hexlify(r.jv6).decode()
                jv = (h[:6], h[6:])
            elif r.flags & _JV61:
                f61 = fields[61]
                jv = (f61[:6], f61[6:12])
            else:
                jv = None
            return Pending(mti, fields, r.reason, r.attempts, kind, bool(r.flags & _FLAGGED),
                           jv, path)
        except (ValueError, KeyError, TypeError, IndexError) as e:  # unpack, unseal
            raise ReversalDamaged("reversal %s unreadable: %s" % (path, e))

    def peek(self, path=None):
        """The Pending stored at path (default: the pending slot) as it is, a flagged one
        included, repairing nothing (inspection tools); None if there is none.
        ReversalDamaged if it cannot be read."""
        path = path or self.path
        try:
            r = _read(path)
        except record.RecordError as e:
            raise ReversalDamaged("reversal damaged: %s" % e)
        return None if r is None else self._pending(r, path)

    def load(self):
        """The pending reversal (Pending) or None. ReversalDamaged if it cannot be read."""
        r = self._raw()
        if r is None:
            return None
        if r.flags & _FLAGGED:  # a move to the failed list was cut short: finish it
            self._move_failed(r)
            return None
        return self._pending(r, self.path)

    def waiting(self):
        """load() is not None, without unpacking the request (no codec import: the main
        menu asks this). ReversalDamaged as load() (F2 is unsealed to check it)."""
        r = self._raw()
        if r is None:
            return False
        if r.flags & _FLAGGED or r.body is None:  # unfinished move, or an old record
            return self.load() is not None
        self._check(r, self.path)
        return True

    def _check(self, r, path):
        # what _pending() checks, less unpacking the request
        if r.body is None:
            self._pending(r, path)
            return
        if r.flags & _PAN:
            try:
                self.keys.unseal(r.sealed)
            except ValueError as e:
                raise ReversalDamaged("reversal %s unreadable: %s" % (path, e))
        if r.kind not in (b"p", b"v"):
            raise ReversalDamaged("reversal %s unreadable: unknown kind" % path)

    def _failed_path(self, r):
        try:
            fields = r.unpack()[1]
        except ValueError as e:
            raise ReversalDamaged("reversal %s unreadable: %s" % (self.path, e))
        f60 = fields.get(60) or ""
        return "%s.f%s%s" % (self.path, f60[2:8], fields.get(11, ""))

    def _move_failed(self, r):
        r.flags |= _FLAGGED
        _write(self._failed_path(r), r)
        self.clear()

    def _failed(self, each):
        folder, _, base = self.path.rpartition("/")
        names = sorted(n[0] for n in os.ilistdir(folder or "/") if n[0].startswith(base + ".f"))
        out = []
        for n in names:
            p = (folder or "") + "/" + n
            try:
                r = _read(p)
            except record.RecordError as e:
                raise ReversalDamaged("failed reversal damaged: %s" % e)
            if r is not None:  # None: empty, a cut while a move created it (load() redoes it)
                out.append(each(r, p))
        return out

    def failed(self):
        """The reversals that failed for good, oldest first (Pending objects, .path set).
        A damaged one raises ReversalDamaged naming its file."""
        return self._failed(self._pending)

    def any_failed(self):
        """bool(failed()) without unpacking the requests (no codec import: the main menu
        asks this). ReversalDamaged as failed()."""
        return bool(self._failed(self._check))

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
        r.reason = _reason(code)
        if auth_code:
            mti, fields = r.unpack()
            if 38 not in fields:
                fields[38] = auth_code
                if r.body is None:
                    r.fields = fields
                else:
                    from codec import iso8583

                    r.body = iso8583.pack(mti, fields)
        _write(self.path, r)

    def count_attempt(self):
        """Call (and let it reach flash) before each send of the 0400. Returns attempts."""
        r = self._change()
        if r.attempts < 255:
            r.attempts += 1
        _write(self.path, r)
        return r.attempts

    def flag(self):
        """After MAX_ATTEMPTS failures: moved to the failed list (see failed()), so it no
        longer blocks and a new reversal cannot overwrite it."""
        r = self._change()
        r.flags |= _FLAGGED
        _write(self.path, r)  # a cut from here on is finished by load()
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
