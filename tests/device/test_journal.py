# The transaction log on real littlefs (4096-byte blocks): add/find, follow-ups and their
# links, capacity, voucher wrap, restart, damage, batches, index and hash repair, a
# batch's totals and pruning, power cuts, no PAN on flash, and the block-read figures
# quoted in docs/journal.md (printed, not asserted).
from binascii import unhexlify

import mptest
from lfs_helper import Flash, image_path
from journal import format1, txnlog
from journal.pan import Keys
from journal.txnlog import Journal, JournalError, JournalFull, Record
from journal.reversal import PendingReversal

KEYS = Keys(bytes(range(16)))
PAN = "6225880123456789"
TRACK2 = PAN + "=27121011234567890"
D = "/lfs/j"


def _rec(i, voucher=None, auth=None, amount=None, pan=PAN):
    r = Record(voucher="%06d" % (voucher if voucher is not None else i + 1),
               date="20250301", time="%06d" % (100000 + i % 50000),
               amount=amount if amount is not None else 10000 + i,
               auth_code=auth or "A%05d" % i, rrn="%012d" % (500000000000 + i),
               host_date="0301", expiry="2712", entry_mode="021", card_org="CUP")
    r.set_card(KEYS, pan)
    return r


def _same(a, b):
    for k in ("voucher", "date", "time", "amount", "auth_code", "rrn", "host_date",
              "pan_masked", "pan_len", "pan_hash", "expiry", "entry_mode", "card_org",
              "state", "kind", "orig_batch", "orig_voucher", "orig_host_date",
              "orig_amount", "next_batch", "next_voucher", "void_voucher", "void_date",
              "void_time", "void_rrn", "void_auth"):
        if getattr(a, k) != getattr(b, k):
            raise AssertionError("%s: %r != %r" % (k, getattr(a, k), getattr(b, k)))


def _follow_up(orig, kind, voucher, batch=None, amount=None, rrn="600000000001"):
    """A void / completion (of a pre-auth) or completion void (of a completion), as the
    flows record it."""
    r = Record(kind=kind, voucher="%06d" % voucher, batch=batch or "", date="20250302",
               time="130102", amount=orig.amount if amount is None else amount,
               auth_code=orig.auth_code, rrn=rrn, host_date="0302", expiry="2712",
               entry_mode="021", card_org="CUP", orig_batch=orig.batch,
               orig_voucher=orig.voucher, orig_host_date=orig.host_date,
               orig_amount=orig.amount)
    r.copy_card(orig)
    return r


def _void(j, slot, voucher=100, batch=None):
    orig = j.get(slot, batch)
    v = _follow_up(orig, txnlog.VOID, voucher)
    j.follow(v, orig)
    return v


def test_add_get_find_mark():
    fl = Flash("basic")
    j = Journal(D, KEYS, batch="000007")
    assert j.count() == 0 and j.last() is None and not j.nearly_full()
    for i in range(40):
        r = _rec(i)
        assert j.add(r) == i and r.slot == i and r.batch == "000007"
    got = j.get(5)
    _same(got, _rec(5))
    assert got.pan_masked == "622588******6789" and got.pan_len == 16 and got.slot == 5
    assert got.same_card(KEYS, PAN) and not j.same_card(got, "6225880123456788")
    assert j.find_voucher("000033").slot == 32 and j.find_voucher(41) is None
    assert [r.slot for r in j.find_auth("A00007")] == [7]
    assert next(j.find_auth("A00007", host_date="0302"), None) is None
    assert next(j.find_auth("A00007", amount=10007)).slot == 7
    assert next(j.find_auth("A00007", amount=1), None) is None
    v = _void(j, 3, 100)  # the void is a record of its own (slot 40), linked both ways
    g = j.get(3)
    assert (g.state, g.next_batch, g.next_voucher) == (txnlog.VOIDED, "000007", "000100")
    got = j.find_voucher(100)
    _same(got, v)
    assert (got.kind, got.slot, got.orig_voucher, got.orig_batch) == (
        txnlog.VOID, 40, "000004", "000007")
    _same(j.get(4), _rec(4))  # neighbours untouched
    j.set_state(3, txnlog.OPEN)  # the void was undone: open again, the link cleared
    g = j.get(3)
    assert g.state == txnlog.OPEN and not g.has_next
    j.set_state(9, txnlog.REVERSED)
    assert j.get(9).state == txnlog.REVERSED
    mptest.raises(ValueError, j.set_state, 9, 7)
    assert [r.voucher for r in j.newest(3)] == ["000100", "000040", "000039"]
    assert [r.voucher for r in j.newest(2, before_slot=2)] == ["000002", "000001"]
    assert j.last().voucher == "000100" and j.count() == 41
    mptest.raises(IndexError, j.get, 41)
    fl.remove()


def test_auth_matches_several_newest_first():
    fl = Flash("auth")
    j = Journal(D, KEYS, batch="000001")
    for i in range(70):  # 3 index windows; "AB12  " padded like F38
        j.add(_rec(i, auth="AB12" if i % 20 == 3 else None))
    assert [r.slot for r in j.find_auth("AB12")] == [63, 43, 23, 3]
    assert [r.slot for r in j.find_auth("AB12  ")] == [63, 43, 23, 3]
    fl.remove()


def test_rejects_bad_fields():
    fl = Flash("fields")
    j = Journal(D, KEYS, batch="000001")
    r = Record(voucher="000001", date="20250301", time="120000", amount=1, auth_code="X1")
    assert "set_card" in str(mptest.raises(ValueError, j.add, r))
    for attr, val in (("voucher", "12345"), ("date", "2025031"), ("amount", 1000000000),
                      ("auth_code", "1234567"), ("entry_mode", "12"), ("expiry", "27a2")):
        r = _rec(0)
        setattr(r, attr, val)
        mptest.raises(ValueError, j.add, r)
    r = _rec(0)
    r.batch = "000002"
    mptest.raises(ValueError, j.add, r)
    r = _rec(0, amount=999999999)  # 9,999,999.99 yuan fits
    j.add(r)
    assert j.get(0).amount == 999999999 and j.count() == 1
    fl.remove()


def test_voucher_wrap_and_gaps():
    fl = Flash("wrap")
    j = Journal(D, KEYS, batch="000003")
    # increasing, not contiguous (sign-ins and voids take numbers), wrapping 999999 -> 1
    vouchers = [999970 + 3 * i for i in range(10)] + [1 + 2 * i for i in range(25)]
    for i, v in enumerate(vouchers):
        j.add(_rec(i, voucher=v))
    for i, v in enumerate(vouchers):
        assert j.find_voucher(v).slot == i, v
    for v in (999971, 999998, 2, 50, 999969, 500000):
        assert j.find_voucher(v) is None, v
    fl.remove()


def test_restart_keeps_everything():
    fl = Flash("restart")
    j = Journal(D, KEYS, batch="000005")
    for i in range(45):
        j.add(_rec(i))
    v = _void(j, 44, 200)
    fl.remount()
    j = Journal(D, KEYS, batch="000005")
    assert j.count() == 46
    for i in range(44):
        _same(j.get(i), _rec(i))
    g = j.get(44)
    assert g.state == txnlog.VOIDED and g.next_voucher == "000200"
    _same(j.get(45), v)
    assert j.find_voucher(45).slot == 44 and j.add(_rec(46, voucher=201)) == 46
    fl.remove()


def _poke(path, offset, xor=0x01):
    f = open(path, "r+b")
    try:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ xor]))
    finally:
        f.close()


def test_damaged_record_reported_others_readable():
    fl = Flash("damage")
    seen = []
    j = Journal(D, KEYS, batch="000001", log=seen.append)
    for i in range(40):
        j.add(_rec(i))
    _poke(D + "/000001/c00", 10 * 128 + 50)  # inside slot 10's record
    e = mptest.raises(JournalError, j.get, 10)
    assert "slot 10" in str(e) and "000001" in str(e), e
    for i in range(40):
        if i != 10:
            _same(j.get(i), _rec(i))
    assert "slot 10" in str(mptest.raises(JournalError, j.find_voucher, 11))
    assert j.find_voucher(12).slot == 11 and j.find_voucher(40).slot == 39
    got = [r.slot for r in j.newest(40)]
    assert 10 not in got and len(got) == 39 and seen and "slot 10" in seen[-1]
    mptest.raises(JournalError, j.set_state, 10, txnlog.REVERSED)
    # a damaged index entry: lookups fall back to the record for that slot
    _poke(D + "/000001/ix", 20 * 16 + 1)
    n = j.errors
    assert j.find_voucher(21).slot == 20 and [r.slot for r in j.find_auth("A00020")] == [20]
    assert j.errors > n
    fl.remount()
    j = Journal(D, KEYS, batch="000001")
    assert j.count() == 40 and j.add(_rec(40)) == 40
    fl.remove()


def test_batches_old_readable_and_voidable():
    fl = Flash("batches")
    j = Journal(D, KEYS, batch="000001")
    for i in range(5):
        j.add(_rec(i))
    j.open_batch("000002")
    assert j.count() == 0
    for i in range(5, 8):
        j.add(_rec(i))
    assert j.batches() == ["000002", "000001"] and j.count() == 3
    old = j.find_voucher(2)
    assert old.batch == "000001" and old.slot == 1
    assert j.find_voucher(2, batch="000002") is None
    v = _follow_up(old, txnlog.VOID, 9)  # voided from the new batch
    j.follow(v)  # the original looked up by its link
    assert v.batch == "000002" and v.slot == 3
    assert j.get(1, batch="000001").next_batch == "000002"
    assert j.get(1, batch="000001").state == txnlog.VOIDED
    assert j.get(1).voucher == "000007"  # an int slot means the current batch
    assert [r.voucher for r in j.newest(5)] == ["000009", "000008", "000007", "000006",
                                                "000005"]
    older = list(j.newest(2, before_slot=j.get(2, batch="000001")))
    assert j.find_voucher(9).kind == txnlog.VOID
    assert [(r.batch, r.voucher) for r in older] == [("000001", "000002"),
                                                      ("000001", "000001")]
    assert [r.batch for r in j.find_auth("A00001")] == ["000001"]
    fl.remount()
    j = Journal(D, KEYS, batch="000002")
    assert j.find_voucher(2).state == txnlog.VOIDED
    j.drop_batch("000001")
    assert j.batches() == ["000002"] and j.find_voucher(2) is None
    mptest.raises(ValueError, j.drop_batch, "000002")
    fl.remove()


def _truncate(path, n):
    f = open(path, "rb")
    data = f.read()
    f.close()
    f = open(path, "wb")
    f.write(data[:n])
    f.close()


def test_index_repaired_from_records():
    # the index covers the sealed chunks (32 records each); the rest are tail files
    import os
    fl = Flash("repair")
    j = Journal(D, KEYS, batch="000001")
    for i in range(33):
        j.add(_rec(i))
    assert os.stat(D + "/000001/ix")[6] == 32 * 16
    _truncate(D + "/000001/ix", 31 * 16)  # the index lags by one (chunk 0's last)
    j = Journal(D, KEYS, batch="000001")
    assert j.count() == 33 and j.find_voucher(33).slot == 32
    assert [r.slot for r in j.find_auth("A00031")] == [31]
    assert os.stat(D + "/000001/ix")[6] == 32 * 16
    for i in range(33, 64):
        j.add(_rec(i))
    _truncate(D + "/000001/ix", 32 * 16)  # a cut between chunk 1 and its index entries
    j = Journal(D, KEYS, batch="000001")
    assert os.stat(D + "/000001/ix")[6] == 32 * 16  # opening reads nothing...
    assert j.count() == 64 and j.find_voucher(50).slot == 49  # ... counting repairs
    assert os.stat(D + "/000001/ix")[6] == 64 * 16
    assert [r.slot for r in j.find_auth("A00040")] == [40]
    fl.remove()


def test_tail_notes_and_seal():
    # records of the chunk being filled are tail files; a state change is a note that
    # survives the seal; empty files (creations a cut interrupted) count as nothing
    import os
    fl = Flash("tail")
    j = Journal(D, KEYS, batch="000001")
    for i in range(5):
        j.add(_rec(i))
    assert sorted(t[0] for t in os.ilistdir(D + "/000001/t")) == [
        "0000", "0001", "0002", "0003", "0004", "h"]  # h: their auth-code hashes
    assert os.stat(D + "/000001/t/h")[6] == 10
    j.set_state(2, txnlog.REVERSED)
    for i in range(5, 32):
        j.add(_rec(i))
    assert list(os.ilistdir(D + "/000001/t")) == []  # sealed: tail files and t/h gone
    assert os.stat(D + "/000001/c00")[6] == 4096 and os.stat(D + "/000001/ah")[6] == 64
    assert j.get(2).state == txnlog.REVERSED and j.find_voucher(3).state == txnlog.REVERSED
    _same(j.get(31), _rec(31))
    j.add(_rec(32))
    assert os.stat(D + "/000001/t/h")[6] == 2
    open(D + "/000001/t/0033", "wb").close()  # a cut while creating slot 33's file
    os.mkdir(D + "/000001/n01")
    open(D + "/000001/n01/00", "wb").close()  # ... and slot 32's first note
    fl.remount()
    j = Journal(D, KEYS, batch="000001")
    assert j.count() == 33 and j.get(32).state == txnlog.OPEN
    assert j.add(_rec(33)) == 33
    _same(j.get(33), _rec(33))
    j.set_state(32, txnlog.COMPLETED)
    j.set_state(2, txnlog.OPEN)  # undone: back to open
    fl.remount()
    j = Journal(D, KEYS, batch="000001")
    assert j.get(32).state == txnlog.COMPLETED
    _same(j.get(2), _rec(2))
    fl.remove()


def test_format1_layout_still_read_and_extended():
    # a batch written by the previous firmware: records appended to a partly filled
    # chunk file, an index entry for each, no tail directory, state changes in place
    import os
    import struct
    from binascii import crc32
    fl = Flash("fmt1")
    os.mkdir(D)
    os.mkdir(D + "/000001")
    buf = bytearray(128)
    c, ix = open(D + "/000001/c00", "wb"), open(D + "/000001/ix", "wb")
    for i in range(10):
        r = _rec(i)
        r.batch = "000001"
        if i == 4:
            r.state = txnlog.VOIDED
            r.void_voucher, r.void_date, r.void_time = "000200", "20250302", "101010"
        _pack1(r, buf)
        c.write(buf)
        e = bytearray(16)
        struct.pack_into("<II6sH", e, 0, i + 1, r.amount, r.auth_code.encode(), 0)
        struct.pack_into("<H", e, 14, crc32(e[:14]) & 0xFFFF)
        ix.write(e)
    c.close()
    ix.close()
    j = Journal(D, KEYS, batch="000001")
    assert j.count() == 10 and j.get(4).state == txnlog.VOIDED
    assert j.find_voucher(7).slot == 6 and [r.slot for r in j.find_auth("A00009")] == [9]
    for i in range(10, 40):
        j.add(_rec(i))
    assert os.stat(D + "/000001/c00")[6] == 4096 and os.stat(D + "/000001/ix")[6] == 32 * 16
    assert os.stat(D + "/000001/ah")[6] == 32 * 2  # hashed from the format-1 records too
    for i in range(40):
        if i != 4:
            _same(j.get(i), _rec(i))
    old = j.find_voucher(5)  # format 1: the void inside the record, read as it was
    assert (old.kind, old.void_voucher, old.void_date) == (txnlog.PREAUTH, "000200",
                                                           "20250302")
    # ... and as the app sees it (journal/format1.py): a VOID record of its own, whose
    # slip is the one the previous firmware's void printed
    assert format1.voided(old) and format1.voided(old, "000200")
    assert not format1.voided(old, "000201") and not format1.voided(j.get(3))
    assert format1.void_record(j.get(3)) is None
    v = format1.void_record(old)
    assert (v.kind, v.voucher, v.orig_voucher, v.amount, v.pan_masked) == (
        txnlog.VOID, "000200", "000005", old.amount, old.pan_masked)
    from app import receipt
    assert receipt.from_record(None, v) == {
        "type": "r_void", "card": "622588****6789", "card_org": "CUP", "batch": "000001",
        "voucher": "000200", "auth": old.auth_code, "rrn": "", "date": "20250302",
        "time": "101010", "amount": old.amount, "orig_voucher": "000005"}
    f = format1.find_void(j, "000200")
    assert (f.voucher, f.orig_voucher) == ("000200", "000005")
    assert format1.find_void(j, "000201") is None
    assert j.find_voucher(40).slot == 39 and [r.slot for r in j.find_auth("A00003")] == [3]
    _void(j, 3, 300)  # a format-1 pre-auth voided now: its note is format 2
    assert j.get(3).state == txnlog.VOIDED and j.get(3).next_voucher == "000300"
    fl.remove()


def _pack1(r, buf):
    """A record as the previous firmware wrote it (format 1, the void inside)."""
    import struct
    from binascii import crc32

    pm = r.pan_masked

    def t(v, n):
        return (v + " " * n)[:n].encode()

    struct.pack_into(
        format1.FMT, buf, 0, format1.MAGIC, r.state, r.pan_len, r.amount, t(r.voucher, 6),
        t(r.batch, 6), t(r.date, 8), t(r.time, 6), t(r.auth_code, 6), t(r.rrn, 12),
        t(r.host_date, 4), (pm[:6] + pm[-4:]).encode(), r.pan_hash, t(r.expiry, 4),
        t(r.entry_mode, 3), t(r.card_org, 3), t(r.void_voucher, 6), t(r.void_date, 8),
        t(r.void_time, 6), t(r.void_rrn, 12), t(r.void_auth, 6), b"  ")
    struct.pack_into("<I", buf, 124, crc32(memoryview(buf)[:124]))


def _sweep(label, base_n, op_name, op, check):
    fl = Flash("cutbase", blocks=64)
    j = Journal(D, KEYS, batch="000001")
    for i in range(base_n):
        j.add(_rec(i))
    fl.unmount()
    applied = {True: 0, False: 0}
    cut = 0
    while True:
        fl.copy_to(image_path("cut"))
        c = Flash("cut", blocks=64, fresh=False)
        c.remount(cut=cut)
        j = Journal(D, KEYS, batch="000001")
        done = True
        try:
            op(j)
        except OSError:
            done = False
        c.remount()
        j = Journal(D, KEYS, batch="000001")
        applied[check(j, cut)] += 1
        c.remove()
        if done:
            break
        cut += 1
    fl.remove()
    print("MEASURE power-cut %s (%s): %d cut points, %d left it applied, %d not"
          % (op_name, label, cut + 1, applied[True], applied[False]))
    assert applied[True] and applied[False]


def _check_add(base_n):
    def check(j, cut):
        n = j.count()
        assert n in (base_n, base_n + 1), (cut, n)
        for i in range(n):
            _same(j.get(i), _rec(i))
        if n > base_n:
            assert j.find_voucher(base_n + 1).slot == base_n
        assert j.find_voucher(base_n).slot == base_n - 1
        assert j.add(_rec(n)) == n  # the journal stays usable after the cut
        _same(j.get(n), _rec(n))
        return n > base_n
    return check


def test_power_cut_add():
    # 31 and 63: the add seals a chunk (chunk file, rename, index append, tail files
    # removed); 32 and 40: a tail file of the next chunk
    for base_n in (31, 63, 32, 40):
        _sweep("%d records" % base_n, base_n, "add", lambda j, n=base_n: j.add(_rec(n)),
               _check_add(base_n))


def test_power_cut_follow_up():
    # a void: its own record (a tail file; for slot 31's void, the seal of chunk 0 too),
    # then the original's note (slot 5: a sealed chunk's record, with the chunk's notes
    # directory; slot 35: a tail file's). A cut between the two leaves the void recorded
    # and the original OPEN: links() (what the app calls when it finds the void) mends it.
    for slot, base_n, label in ((5, 40, "slot 5 of 40"), (35, 40, "slot 35 of 40"),
                                (3, 31, "slot 3 of 31, the void seals chunk 0")):
        def op(j, slot=slot):
            _void(j, slot, 100)

        def check(j, cut, slot=slot, base_n=base_n):
            n = j.count()
            assert n in (base_n, base_n + 1), (cut, n)
            for i in range(base_n):
                if i != slot:
                    _same(j.get(i), _rec(i))
            g = j.get(slot)
            if n == base_n:
                _same(g, _rec(slot))  # nothing of the void
                return False
            v = j.get(base_n)
            assert v.kind == txnlog.VOID and v.orig_voucher == g.voucher, cut
            if g.state == txnlog.OPEN:
                _same(g, _rec(slot))  # cut between the two writes
                j.links(v)
                g = j.get(slot)
            assert (g.state, g.next_voucher) == (txnlog.VOIDED, "000100"), cut
            return True

        _sweep(label, base_n, "follow (void)", op, check)


def test_capacity_1500():
    fl = Flash("cap", blocks=512)
    j = Journal(D, KEYS, batch="000001")
    assert j.capacity == 1500
    for i in range(1500):
        j.add(_rec(i))
        if i == 1348:
            assert not j.nearly_full()
        if i == 1349:
            assert j.nearly_full() and not j.full()
    assert j.full() and j.count() == 1500
    e = mptest.raises(JournalFull, j.add, _rec(1500))
    assert "1500" in str(e)
    assert j.count() == 1500
    small = Journal("/lfs/small", KEYS, batch="000001", capacity=3)
    for i in range(3):
        small.add(_rec(i))
    mptest.raises(JournalFull, small.add, _rec(3))
    fl.remove()


def _reads(fl, fn):
    d = fl.dev
    r0, b0 = d.reads, d.bytes_read
    out = fn()
    return out, d.reads - r0, d.bytes_read - b0


def test_measure_boot_and_lookups():
    for n in (15, 1500):
        fl = Flash("measure", blocks=512)
        j = Journal(D, KEYS, batch="000001")
        for i in range(n):
            j.add(_rec(i))
        fl.remount()
        j, reads, nbytes = _reads(fl, lambda: Journal(D, KEYS, batch="000001"))
        print("MEASURE boot with %d records: %d block reads (%d bytes)" % (n, reads, nbytes))
        assert reads == 0  # opening the journal reads nothing: counting waits for a use
        c, reads, nbytes = _reads(fl, j.count)
        print("MEASURE first count with %d records: %d block reads (%d bytes)"
              % (n, reads, nbytes))
        assert c == n
        mid = n // 2
        r, reads, nbytes = _reads(fl, lambda: j.find_voucher(mid + 1))
        assert r.slot == mid
        print("MEASURE find_voucher (%d records, middle): %d reads (%d bytes)"
              % (n, reads, nbytes))
        r, reads, nbytes = _reads(fl, lambda: next(j.find_auth("A%05d" % (n - 1))))
        print("MEASURE find_auth first match, newest (%d): %d reads (%d bytes)"
              % (n, reads, nbytes))
        r, reads, nbytes = _reads(fl, lambda: list(j.find_auth("A%05d" % 0)))
        assert len(r) == 1
        print("MEASURE find_auth all matches, whole index (%d): %d reads (%d bytes)"
              % (n, reads, nbytes))
        r, reads, nbytes = _reads(fl, lambda: j._scan_voucher("000001", 0, n, 0))
        print("MEASURE linear scan of every record, for comparison (%d): %d reads (%d bytes)"
              % (n, reads, nbytes))
        r, reads, nbytes = _reads(fl, lambda: j.get(mid))
        print("MEASURE get(slot) (%d): %d reads (%d bytes)" % (n, reads, nbytes))
        d = fl.dev
        p0, e0 = d.inner.programs, d.inner.erases
        j.set_state(mid, txnlog.VOIDED)
        print("MEASURE a state change (a note) (%d): %d programs, %d erases"
              % (n, d.inner.programs - p0, d.inner.erases - e0))
        p0, e0 = d.inner.programs, d.inner.erases
        if n < 1500:
            j.add(_rec(n))
            print("MEASURE add (a tail file and t/h) (%d): %d programs, %d erases"
                  % (n, d.inner.programs - p0, d.inner.erases - e0))
        fl.remove()


def _bcd(digits):
    if len(digits) % 2:
        digits += "0"
    return unhexlify(digits)


def test_no_pan_or_track_on_flash():
    fl = Flash("nopan")
    j = Journal(D, KEYS, batch="000001")
    for i in range(40):
        j.add(_rec(i))
    _void(j, 1, 100)
    rv = PendingReversal("/lfs/reversal", KEYS)
    rv.store("0100", {2: PAN, 3: "030000", 4: "000000010000", 11: "000041", 14: "2712",
                      22: "021", 35: TRACK2.replace("=", "D"), 60: "10000001000020"})
    rv.count_attempt()
    fl.unmount()
    fl2 = Flash("nopan", fresh=False)
    for needle in (PAN.encode(), _bcd(PAN), TRACK2.encode(), TRACK2.replace("=", "D").encode(),
                   _bcd(TRACK2.replace("=", "D")), PAN[6:12].encode()):
        assert not fl2.raw_contains(needle), needle
    assert fl2.raw_contains(b"6225886789")  # the masked form is there (so the scan works)
    fl2.remove()


mptest.run(globals())
