# The pending reversal on littlefs: store before send, F2 encrypted, attempts, flag, clear,
# and a damaged file that is reported and kept, never silently dropped. The record is
# binary and at most 128 bytes (inline in littlefs metadata: no block erase per rewrite)
# for a pre-auth and for a void as the app builds them; the previous firmware's JSON
# record still loads.
import os
import sys
from binascii import crc32, hexlify

import config
import mptest
from host import messages
from journal import record
from journal.pan import Keys
from journal.reversal import (MAX_ATTEMPTS, PendingReversal, ReversalDamaged, ReversalError,
                              ReversalPending)
from lfs_helper import Flash, image_path

KEYS = Keys(bytes(range(16)))
P = "/lfs/reversal"
PAN = "6225880123456789"
F52 = bytes.fromhex("2E31BB08A843460C")  # a PIN block (wire-format.md §8): never stored
REQ = {2: PAN, 3: "030000", 4: "000000012345", 11: "000042", 14: "2712", 22: "021",
       25: "06", 26: "12", 35: PAN + "D27121011234567890", 41: "12345678",
       42: "123456789012345", 49: "156", 52: F52, 53: "2600000000000000", 60: "10000001000020",
       61: "000001000017" + "0301", 64: b"ABCDEF12"}
INLINE_MAX = 128  # littlefs inline limit with MicroPython's default mount (the boards': 256):
# the record must stay inline whichever way the flash is mounted (journal/record.py)

# As the app builds them (host_tools/bench/txn_mp.py preauth() / void()): a swiped card
# with the longest PAN, the board's configuration, batch 000001.
CFG = config.DEFAULTS
CARD_PAN = "6222021234567890128"
CARD = {"pan": CARD_PAN, "expiry": "2812", "track2": CARD_PAN + "=28121010000000"}
BATCH = "000001"


def _preauth_req(stan="000002", fen=12345):
    return messages.financial(messages.PREAUTH, CFG, BATCH, stan, CARD, fen, "2")


def _void_req(stan="000003", orig_batch=BATCH, orig_voucher="000002", auth="98NCQ0"):
    f61 = orig_batch + orig_voucher + "1126"
    return messages.financial(messages.PREAUTH_VOID, CFG, BATCH, stan, CARD, 12345, "2",
                              {38: auth, 61: f61})


def _kept(fields):
    want = dict(fields)
    for k in (26, 35, 52, 53, 64):
        want.pop(k, None)
    return want


def _fresh():
    fl = Flash("reversal")
    return fl, PendingReversal(P, KEYS)


def _size(path=P):
    return os.stat(path)[6]


def _bytes(path=P):
    with open(path, "rb") as f:
        return f.read()


def _put(data, path=P):
    with open(path, "wb") as f:
        f.write(data)


def _recrc(body):
    """body (everything before the CRC) with a valid CRC appended."""
    return bytes(body) + crc32(body).to_bytes(4, "little")


def test_store_load_round_trip():
    fl, rv = _fresh()
    assert rv.load() is None and not rv.waiting()
    rv.store("0100", REQ, journal_voucher=("000001", "000042"))
    fl.remount()  # survives a restart
    p = PendingReversal(P, KEYS).load()
    assert p.mti == "0100" and p.reason == "98" and p.attempts == 0 and p.kind == "preauth"
    assert not p.flagged and p.blocking and p.journal_voucher == ("000001", "000042")
    assert p.fields == _kept(REQ), p.fields  # F2 back in clear, the five dropped
    mti, f = messages.reversal(p.fields, p.reason)
    assert mti == "0400" and f[39] == "98" and f[2] == PAN and 35 not in f
    assert PendingReversal(P, KEYS).waiting()
    fl.remove()


def test_bytes_fields_and_kind():
    fl, rv = _fresh()
    # F62 is the b field of the codec's table (F55 is not in it: the codec could not
    # send it either)
    rv.store("0100", {2: PAN, 11: "000001", 62: b"\x00\xff"}, kind="void")
    p = rv.load()
    assert p.fields[62] == b"\x00\xff" and p.kind == "void" and p.journal_voucher is None
    rv.clear()
    rv.store("0100", {11: "000002", 60: "10000001000"})  # no F2 at all
    p = rv.load()
    assert 2 not in p.fields and p.fields == {11: "000002", 60: "10000001000"}
    fl.remove()


def test_no_clear_pan_in_file():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    data = _bytes()
    assert PAN.encode() not in data and b"27121011234567890" not in data
    assert F52 not in data and F52[:4] not in data and b"2600000000000000" not in data
    assert PAN[:6].encode() not in data  # not even the BIN: F2 is encrypted whole
    bcd = bytes.fromhex(PAN)
    assert bcd not in data and bcd[:3] not in data
    fl.remove()


def test_preauth_and_void_fit_inline():
    fl, rv = _fresh()
    # pre-auth, at its largest: A0 with an auth code added (F38), attempts counted, flagged
    mti, req = _preauth_req()
    rv.store(mti, req, "98", None, "preauth")
    s_store = _size()
    rv.set_reason("A0", auth_code="98NCQ0")
    for _ in range(MAX_ATTEMPTS):
        rv.count_attempt()
    s_pre = _size()
    p = rv.load()
    want = _kept(req)
    want[38] = "98NCQ0"
    assert p.fields == want and p.mti == mti and p.reason == "A0"
    assert p.attempts == MAX_ATTEMPTS and p.kind == "preauth" and p.journal_voucher is None
    rv.flag()
    (f,) = rv.failed()
    s_pre_failed = _size(f.path)
    assert f.fields == want and f.flagged
    rv.clear_failed(f)

    # void of a journalled pre-auth: journal_voucher = (batch, voucher) of the original
    mti, req = _void_req()
    rv.store(mti, req, "98", ("000001", "000002"), "void")
    rv.set_reason("06", auth_code="ZZZZZZ")  # F38 already there: not replaced
    rv.count_attempt()
    s_void = _size()
    p = PendingReversal(P, KEYS).load()
    assert p.fields == _kept(req) and p.fields[38] == "98NCQ0" and p.fields[2] == CARD_PAN
    assert p.kind == "void" and p.journal_voucher == ("000001", "000002")
    assert p.reason == "06" and p.attempts == 1 and p.mti == "0100"
    rv.clear()

    # a journal_voucher that is not F61's (kept on its own, 6 more bytes): still inline
    rv.store(mti, req, "98", ("000007", "000123"), "void")
    s_void_jv = _size()
    p = rv.load()
    assert p.journal_voucher == ("000007", "000123") and p.fields == _kept(req)
    rv.flag()
    (f,) = rv.failed()
    assert f.journal_voucher == ("000007", "000123") and f.kind == "void"
    s_void_failed = _size(f.path)
    rv.clear_failed(f)

    # keyed-in void of a pre-auth not in the journal: no journal_voucher, F61 all zeros
    mti, req = _void_req(orig_batch="000000", orig_voucher="000000")
    rv.store(mti, req, "98", None, "void")
    s_keyed = _size()
    p = rv.load()
    assert p.journal_voucher is None and p.fields == _kept(req)
    rv.clear()
    print("MEASURE reversal record bytes: pre-auth %d stored, %d with F38 + attempts, "
          "%d failed; void %d, %d with its own journal_voucher, %d failed, keyed %d"
          % (s_store, s_pre, s_pre_failed, s_void, s_void_jv, s_void_failed, s_keyed))
    for s in (s_store, s_pre, s_pre_failed, s_void, s_void_jv, s_void_failed, s_keyed):
        assert s <= INLINE_MAX, s
    fl.remove()


def test_completion_and_completion_void_fit_inline():
    """The two longest requests: a completion (38, 61) and a completion void (37 too), as
    app/completion.py and app/cvoid.py build them, with the reason and attempts a failed
    answer adds: inline as well."""
    fl, rv = _fresh()
    sizes = []
    for kind, msg, extra in (
            ("completion", messages.COMPLETION, {38: "98NCQ0", 61: BATCH + "000002" + "1126"}),
            ("completion_void", messages.COMPLETION_VOID,
             {37: "112612000003", 38: "A1B2C3", 61: BATCH + "000003" + "1126"})):
        mti, req = messages.financial(msg, CFG, BATCH, "000004", CARD, 999999999, "2", extra)
        rv.store(mti, req, "98", (BATCH, extra[61][6:12]), kind)
        rv.set_reason("06", auth_code="ZZ9999")
        rv.count_attempt()
        sizes.append(_size())
        p = rv.load()
        assert p.kind == kind and p.fields[61] == extra[61] and p.attempts == 1
        rv.clear()
    print("MEASURE reversal record bytes: completion %d, completion void %d" % tuple(sizes))
    for s in sizes:
        assert s <= INLINE_MAX, s
    fl.remove()


def test_rewrites_erase_no_block():
    # The point of the binary record: an inline file is rewritten in its directory's
    # metadata. Only metadata compaction erases (one block every few dozen commits); the
    # JSON record of ~600 bytes took a freshly erased block on every write.
    fl, rv = _fresh()
    inner = fl.dev.inner
    e0, n = inner.erases, 0
    for i in range(30):
        mti, req = _void_req(stan="%06d" % (i + 10))
        rv.store(mti, req, "98", ("000001", "000002"), "void")
        rv.count_attempt()
        rv.set_reason("A0")
        rv.clear()
        n += 4
    erases = inner.erases - e0
    print("MEASURE reversal: %d erases for %d writes/removes (30 voids)" % (erases, n))
    assert erases * 10 <= n, erases
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
    assert PendingReversal(P, KEYS).load() is None and not rv.waiting()
    (f,) = rv.failed()
    assert f.flagged and not f.blocking and f.attempts == MAX_ATTEMPTS
    assert f.fields[2] == PAN and f.fields[38] == "AB12  "
    assert f.path == P + ".f000001000042"  # <path>.f<batch><F11>
    nxt = dict(REQ)
    nxt[11] = "000043"
    rv.store("0100", nxt)
    assert rv.load().fields[11] == "000043" and rv.load().attempts == 0
    e = mptest.raises(ReversalPending, rv.store, "0100", REQ)  # one pending at a time
    assert "000043" in str(e)
    rv.clear()
    assert rv.load() is None
    assert len(rv.failed()) == 1
    rv.clear_failed(f)
    assert rv.failed() == []
    mptest.raises(ReversalError, rv.count_attempt)
    mptest.raises(ReversalError, rv.flag)
    mptest.raises(ReversalError, rv.set_reason, "06")
    fl.remove()


def test_store_over_flagged_moves_it():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    _flag_in_place()  # a cut after flag() marked it, before the move
    nxt = dict(REQ)
    nxt[11] = "000050"
    rv.store("0100", nxt)  # the flagged one goes to the failed list first
    assert rv.load().fields[11] == "000050"
    (f,) = rv.failed()
    assert f.fields == _kept(REQ) and f.flagged
    fl.remove()


def test_refuses_what_it_cannot_store_exactly():
    fl, rv = _fresh()
    mti, req = _preauth_req()
    mptest.raises(ValueError, rv.store, mti, req, kind="sale")  # no silent mapping
    for jv in ("000042", ("000001",), ("00001", "000042"), ("000001", 42), ["A00001", "1"]):
        mptest.raises(ValueError, rv.store, mti, req, journal_voucher=jv)
    mptest.raises(ValueError, rv.store, mti, req, reason="9")
    assert rv.load() is None  # nothing written
    rv.store(mti, req, journal_voucher=["000001", "000042"])  # a list is a pair too
    assert rv.load().journal_voucher == ("000001", "000042")
    mptest.raises(ValueError, rv.set_reason, "A00")
    assert rv.load().reason == "98"
    fl.remove()


def _flag_in_place(path=P):
    data = _bytes(path)
    b = bytearray(data[:-4])
    b[2] |= 1  # flags bit0: flagged
    _put(_recrc(b), path)


def test_flag_cut_short_is_finished_at_load():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    _flag_in_place()  # power cut after marking, before the move
    assert rv.load() is None  # the move is finished, nothing lost
    (f,) = rv.failed()
    assert f.fields == _kept(REQ)
    rv.clear_failed(f)
    # the same through waiting() (the main menu's question)
    rv.store("0100", REQ)
    _flag_in_place()
    assert rv.waiting() is False and not os.listdir("/lfs").count("reversal")
    (f,) = rv.failed()
    rv.clear_failed(f)
    # a cut while the move created the failed file (an empty file) is redone
    rv.store("0100", REQ)
    _flag_in_place()
    _put(b"", P + ".f000001000042")
    assert rv.failed() == []  # empty: not a failed reversal (yet)
    assert rv.load() is None
    (f,) = rv.failed()
    assert f.fields == _kept(REQ)
    fl.remove()


def test_empty_file_is_nothing_stored():
    # a cut while store() created the file: littlefs leaves it empty; the request had
    # not been sent
    fl, rv = _fresh()
    _put(b"")
    assert rv.load() is None and not rv.waiting()
    rv.store("0100", REQ)
    assert rv.load().fields == _kept(REQ)
    fl.remove()


def _damage(off=20, mask=0x04, path=P):
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ mask]))


def test_damaged_is_reported_and_kept():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    _damage()
    e = mptest.raises(ReversalDamaged, rv.load)
    assert "damaged" in str(e)
    mptest.raises(ReversalDamaged, rv.store, "0100", REQ)  # not overwritten silently
    mptest.raises(ReversalDamaged, PendingReversal(P, KEYS).load)  # still there on boot
    mptest.raises(ReversalDamaged, rv.waiting)
    mptest.raises(ReversalDamaged, rv.count_attempt)
    rv.discard_damaged()  # the operator acknowledged it
    assert rv.load() is None and os.stat(P + ".bad")
    rv.store("0100", REQ)
    assert rv.load().fields[2] == PAN
    fl.remove()


def test_any_damaged_byte_is_detected():
    fl, rv = _fresh()
    mti, req = _void_req()
    rv.store(mti, req, "98", ("000001", "000002"), "void")
    good = _bytes()
    n = len(good)
    for off in range(n):
        for mask in (0x01, 0x04, 0x80, 0xFF):
            _put(good)
            _damage(off, mask)
            mptest.raises(ReversalDamaged, rv.load)
            mptest.raises(ReversalDamaged, rv.waiting)
    for bad in (good[:-1], good[:10], good + b"\x00", b"{" + good[1:], b"R2",
                b"{\xff\xfe\n12345678\n", b"\xff" * n):
        _put(bad)
        mptest.raises(ReversalDamaged, rv.load)
    _put(good)
    assert rv.load().fields == _kept(req)
    # a damaged failed reversal names its file
    rv.flag()
    (f,) = rv.failed()
    assert rv.any_failed()
    _damage(30, 0x10, f.path)
    e = mptest.raises(ReversalDamaged, rv.failed)
    assert f.path in str(e), e
    mptest.raises(ReversalDamaged, rv.any_failed)
    fl.remove()


def test_valid_crc_but_bad_contents_is_damage():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    good = _bytes()
    for i, v in ((6, ord("q")),  # unknown kind code
                 (2, 0x40),  # unknown flag bit
                 (12, 0x99)):  # inside the encrypted PAN
        b = bytearray(good[:-4])
        b[i] = v
        _put(_recrc(b))
        mptest.raises(ReversalDamaged, rv.load)
        mptest.raises(ReversalDamaged, rv.waiting)
    b = bytearray(good[:-4])
    b[-1] ^= 0xFF  # the last field's bytes: not ASCII / not BCD any more
    _put(_recrc(b))
    assert "unreadable" in str(mptest.raises(ReversalDamaged, rv.load))
    fl.remove()


def test_other_tmk_is_damage_not_garbage():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    other = PendingReversal(P, Keys(bytes(16)))
    assert "unreadable" in str(mptest.raises(ReversalDamaged, other.load))
    mptest.raises(ReversalDamaged, other.waiting)
    rv.flag()
    mptest.raises(ReversalDamaged, other.failed)
    mptest.raises(ReversalDamaged, other.any_failed)
    fl.remove()


def _enc(v):  # the previous firmware's JSON encoding of a field value
    return {"x": hexlify(v).decode()} if isinstance(v, (bytes, bytearray)) else v


def _legacy(fields, mti="0100", jv=None, kind="preauth", flagged=False, attempts=0,
            reason="98"):
    """The dict the previous firmware wrote with record.write."""
    keep = {}
    for k, v in fields.items():
        if k not in (2, 26, 35, 52, 53, 64):
            keep[str(k)] = _enc(v)
    pan = fields.get(2)
    return {"mti": mti, "fields": keep, "reason": reason, "attempts": attempts, "kind": kind,
            "flagged": flagged, "journal_voucher": jv,
            "pan": hexlify(KEYS.encrypt(pan)).decode() if pan else None}


def test_legacy_json_record_still_loads():
    fl, rv = _fresh()
    mti, req = _void_req()
    req[62] = b"\x01\x02"
    record.write(P, _legacy(req, mti, ["000001", "000002"], "void", attempts=1, reason="A0"))
    assert _bytes()[:1] == b"{" and _size() > INLINE_MAX
    assert rv.waiting()
    p = rv.load()
    assert p.fields == _kept(req) and p.mti == mti and p.kind == "void"
    assert p.journal_voucher == ("000001", "000002") and p.attempts == 1 and p.reason == "A0"
    mptest.raises(ReversalPending, rv.store, mti, req)
    assert rv.count_attempt() == 2  # every write is the new format
    assert _bytes()[:2] == b"R2" and _size() <= INLINE_MAX
    p2 = rv.load()
    assert (p2.fields, p2.journal_voucher, p2.attempts, p2.reason, p2.kind) == (
        p.fields, p.journal_voucher, 2, "A0", "void")
    rv.clear()

    # a legacy pre-auth: set_reason adds F38 to it, then the new format
    mti, req = _preauth_req()
    record.write(P, _legacy(req, mti))
    rv.set_reason("A0", auth_code="XY12")
    p = rv.load()
    want = _kept(req)
    want[38] = "XY12  "  # the codec's F38: an, fixed 6, space padded
    assert p.fields == want and _bytes()[:2] == b"R2"
    rv.clear()

    # a legacy flagged one (a move cut short) is moved at load, in the new format
    record.write(P, _legacy(REQ, flagged=True, attempts=3))
    assert rv.load() is None
    (f,) = rv.failed()
    assert f.fields == _kept(REQ) and f.attempts == 3 and f.flagged
    assert _bytes(f.path)[:2] == b"R2"
    rv.clear_failed(f)

    # a failed reversal the previous firmware moved aside
    record.write(P + ".f000001000042", _legacy(REQ, flagged=True, attempts=3))
    assert rv.any_failed()
    (f,) = rv.failed()
    assert f.fields == _kept(REQ) and f.flagged and f.path == P + ".f000001000042"
    rv.clear_failed(f)
    assert rv.failed() == []

    # damaged legacy records are damage too
    record.write(P, _legacy(REQ))
    _damage(30, 0x01)
    mptest.raises(ReversalDamaged, rv.load)
    d = _legacy(REQ)
    del d["reason"]
    record.write(P, d)
    mptest.raises(ReversalDamaged, rv.load)
    fl.remove()


def test_header_paths_do_not_import_the_codec():
    fl, rv = _fresh()
    rv.store("0100", REQ)
    rv.flag()
    rv.store("0100", REQ)
    saved = {n: sys.modules.pop(n) for n in ("codec.iso8583", "codec.fields")
             if n in sys.modules}
    try:
        assert rv.waiting() and rv.any_failed()
        assert rv.count_attempt() == 1
        rv.set_reason("06")
        assert "codec.iso8583" not in sys.modules and "codec.fields" not in sys.modules
    finally:
        sys.modules.pop("codec.iso8583", None)
        sys.modules.pop("codec.fields", None)
        sys.modules.update(saved)
    p = rv.load()
    assert p.attempts == 1 and p.reason == "06" and p.fields == _kept(REQ)
    (f,) = rv.failed()
    rv.clear_failed(f)
    assert not rv.any_failed()
    fl.remove()


def _sweep(name, prepare, op, check):
    """Cut the power at every program/erase of op (after prepare), then check what a
    restart finds. Returns (cut points, how many left op applied)."""
    fl = Flash(name, blocks=32)
    prepare(PendingReversal(P, KEYS))
    fl.unmount()
    cut, applied = 0, 0
    while True:
        fl.copy_to(image_path(name + "c"))
        c = Flash(name + "c", blocks=32, fresh=False)
        c.remount(cut=cut)
        done = True
        try:
            op(PendingReversal(P, KEYS))
        except OSError:
            done = False
        c.remount()
        applied += check(PendingReversal(P, KEYS), cut)
        c.remove()
        if done:
            break
        cut += 1
    fl.remove()
    return cut + 1, applied


def test_power_cuts():
    mti, req = _void_req()
    jv = ("000001", "000002")

    def store(rv):
        rv.store(mti, req, "98", jv, "void")

    def check_store(rv, cut):
        p = rv.load()
        assert p is None or (p.fields == _kept(req) and p.journal_voucher == jv), cut
        return p is not None

    def check_attempt(n):
        def check(rv, cut):
            p = rv.load()
            assert p.attempts in (n, n + 1) and p.fields == _kept(req), (cut, p.attempts)
            assert p.journal_voucher == jv and p.reason == "98"
            return p.attempts == n + 1
        return check

    def check_flag(rv, cut):
        p = rv.load()  # finishes a move cut short
        failed = rv.failed()
        if p is not None:
            assert failed == [] and p.attempts == 3 and p.fields == _kept(req), cut
            return False
        (f,) = failed
        assert f.flagged and f.attempts == 3 and f.fields == _kept(req), cut
        return True

    points, applied = _sweep("rvs", lambda rv: None, store, check_store)
    print("MEASURE power-cut reversal store: %d cut points, %d applied" % (points, applied))
    assert applied and applied < points
    # count_attempt after 0..40 rewrites: the cut also falls into metadata compactions
    total = 0
    for n in range(41):
        def prep(rv, n=n):
            store(rv)
            for _ in range(n):
                rv.count_attempt()

        points, applied = _sweep("rva", prep, lambda rv: rv.count_attempt(),
                                 check_attempt(n))
        assert applied and applied < points
        total += points
    print("MEASURE power-cut reversal count_attempt: %d cut points" % total)

    def prep_flag(rv):
        store(rv)
        for _ in range(3):
            rv.count_attempt()

    points, applied = _sweep("rvf", prep_flag, lambda rv: rv.flag(), check_flag)
    print("MEASURE power-cut reversal flag: %d cut points, %d applied" % (points, applied))
    assert applied and applied < points


mptest.run(globals())
