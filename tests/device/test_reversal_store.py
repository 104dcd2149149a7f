# The pending reversal on littlefs: store before send, F2 sealed, attempts, flag, clear,
# and a damaged file that is reported and kept, never silently dropped.
import os

import mptest
from journal import record
from host import messages
from journal.pan import Keys
from journal.reversal import (MAX_ATTEMPTS, PendingReversal, ReversalDamaged, ReversalError,
                              ReversalPending)
from lfs_helper import Flash

KEYS = Keys(bytes(range(16)))
P = "/lfs/reversal"
PAN = "6225880123456789"
REQ = {2: PAN, 3: "030000", 4: "000000012345", 11: "000042", 14: "2712", 22: "021",
       25: "06", 35: PAN + "D27121011234567890", 41: "12345678", 42: "123456789012345",
       49: "156", 52: b"\x01" * 8, 53: "2600000000000000", 60: "10000001000020",
       61: "000001000017" + "0301", 64: b"ABCDEF12"}


def _fresh():
    fl = Flash("reversal")
    return fl, PendingReversal(P, KEYS)


def test_store_load_round_trip():
    fl, rv = _fresh()
    assert rv.load() is None
    rv.store("0100", REQ, journal_voucher="000042")
    fl.remount()  # survives a restart
    p = PendingReversal(P, KEYS).load()
    assert p.mti == "0100" and p.reason == "98" and p.attempts == 0 and p.kind == "preauth"
    assert not p.flagged and p.blocking and p.journal_voucher == "000042"
    want = dict(REQ)
    for k in (35, 52, 53, 64):
        del want[k]
    assert p.fields == want, p.fields  # F2 back in clear, the four dropped
    mti, f = messages.reversal(p.fields, p.reason)
    assert mti == "0400" and f[39] == "98" and f[2] == PAN and 35 not in f
    fl.remove()


def test_bytes_fields_and_kind():
    fl, rv = _fresh()
    rv.store("0100", {2: PAN, 11: "000001", 55: b"\x00\xff"}, kind="void")
    p = rv.load()
    assert p.fields[55] == b"\x00\xff" and p.kind == "void" and p.journal_voucher is None
    fl.remove()


def test_no_clear_pan_in_file():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    with open(P, "rb") as f:
        data = f.read()
    assert PAN.encode() not in data and b"27121011234567890" not in data
    assert PAN[:6].encode() not in data  # not even the BIN: F2 is sealed whole
    fl.remove()


def test_reason_attempts_flag_clear():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    rv.set_reason("A0", auth_code="AB12  ")
    for n in range(1, MAX_ATTEMPTS + 1):
        assert rv.count_attempt() == n
        assert PendingReversal(P, KEYS).load().attempts == n  # persisted before the send
    p = rv.load()
    assert p.reason == "A0" and p.fields[38] == "AB12  "
    rv.flag()
    # Flagged, it leaves the pending slot for the failed list: nothing blocks, and the
    # next request's reversal cannot overwrite it.
    assert PendingReversal(P, KEYS).load() is None
    (f,) = rv.failed()
    assert f.flagged and not f.blocking and f.attempts == MAX_ATTEMPTS
    assert f.fields[2] == PAN and f.fields[38] == "AB12  "
    nxt = dict(REQ)
    nxt[11] = "000043"
    rv.store("0100", nxt)
    assert rv.load().fields[11] == "000043" and rv.load().attempts == 0
    mptest.raises(ReversalPending, rv.store, "0100", REQ)  # one pending at a time
    rv.clear()
    assert rv.load() is None
    assert len(rv.failed()) == 1
    rv.clear_failed(f)
    assert rv.failed() == []
    mptest.raises(ReversalError, rv.count_attempt)
    mptest.raises(ReversalError, rv.flag)
    fl.remove()


def test_flag_cut_short_is_finished_at_load():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    d = record.read(P)
    d["flagged"] = True
    record.write(P, d)  # power cut after marking, before the move
    assert rv.load() is None  # the move is finished, nothing lost
    (f,) = rv.failed()
    assert f.fields[11] == REQ[11]
    rv.clear_failed(f)
    fl.remove()


def _damage():
    with open(P, "r+b") as f:
        f.seek(20)
        b = f.read(1)
        f.seek(20)
        f.write(bytes([b[0] ^ 0x04]))


def test_damaged_is_reported_and_kept():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    _damage()
    e = mptest.raises(ReversalDamaged, rv.load)
    assert "damaged" in str(e)
    mptest.raises(ReversalDamaged, rv.store, "0100", REQ)  # not overwritten silently
    mptest.raises(ReversalDamaged, PendingReversal(P, KEYS).load)  # still there on boot
    rv.discard_damaged()  # the operator acknowledged it
    assert rv.load() is None and os.stat(P + ".bad")
    rv.store("0100", REQ)
    assert rv.load().fields[2] == PAN
    fl.remove()


def test_other_tmk_is_damage_not_garbage():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    other = PendingReversal(P, Keys(bytes(16)))
    assert "unreadable" in str(mptest.raises(ReversalDamaged, other.load))
    fl.remove()


mptest.run(globals())
