# The kind registry (firmware/kinds.py): the four rows keep the codes that are on flash and
# on the wire; a row that would not fit the flash formats is refused; and a fifth kind made
# of its row and its flow file only (flow_cancel.py) goes through the generic machinery:
# the transaction skeleton, the request, the pending reversal, the journal's record, hash
# and links, the settlement totals and report, the query's names and the slip.
import struct
from binascii import crc32

import config
import kinds
import mptest
from flow_cancel import KIND as CANCEL
import flow_cancel
from lfs_helper import Flash
from app_hw import HW, run_flow
from app import completion, cvoid, preauth, query, receipt, settle, terminal, void
from app.strings import t
from app.terminal import App
from host import messages
from host.session import OK, Result
from journal import txnlog
from journal.pan import Keys
from journal.txnlog import Journal, Record
from crypto.pinblock import PinBlock
from ui import gb
from ui.entry import CANCEL as KEY_CANCEL, ENTER

D = "/lfs"
KEYS = Keys(bytes(range(16)))
PAN = "6225880123456783"  # Luhn-valid: the flow reads it from a swipe
MSG = ("0100", "200000", "99")


def test_the_four_rows_keep_their_codes_on_flash_and_on_the_wire():
    assert kinds.ALL[:4] == [
        # CODE NAME REV MSG, MENU QUERY SLIP OPEN_KEY, SUPERVISOR ORIG MARKS DEBIT HASH_AS,
        # PIN
        (1, "preauth", b"p", ("0100", "030000", "10"),
         "m_preauth", "q_preauth", "r_preauth", "st_open", False, 0, (), False, 0, True),
        (2, "void", b"v", ("0100", "200000", "11"),
         "m_void", "q_void", "r_void", "st_done", True, 1, (kinds.VOIDED,), False, 0, False),
        (3, "completion", b"c", ("0200", "000000", "20"),
         "m_completion", "q_completion", "r_completion", "st_standing",
         False, 1, (kinds.COMPLETED,), True, 0, True),
        (4, "completion_void", b"x", ("0200", "200000", "21"),
         "m_cvoid", "q_cvoid", "r_cvoid", "st_done",
         True, 3, (kinds.VOIDED, kinds.COMPLETION_VOIDED), False, 0, False),
    ], kinds.ALL
    # what no 0400 carries (wire-format.md §3): the PIN's fields, track 2, the MAC
    assert kinds.REVERSAL_DROPS == (26, 35, 52, 53, 64)
    # the kinds whose PIN the configuration may switch are the four rows (config.py does
    # not import kinds.py: host_tools/provision.py runs it under CPython)
    assert config.PIN_KINDS == tuple(k[kinds.NAME] for k in kinds.ALL[:4])
    p, v, c, x = kinds.ALL[:4]
    assert (p, v, c, x) == (kinds.PREAUTH, kinds.VOID, kinds.COMPLETION, kinds.COMPLETION_VOID)
    assert (kinds.OPEN, kinds.VOIDED, kinds.COMPLETED, kinds.COMPLETION_VOIDED,
            kinds.REVERSED, kinds.HASH_BITS) == (1, 2, 3, 4, 5, 2)
    for k in (p, v, c, x):  # the hash on flash: 14 bits of the CRC, then code - 1
        want = (crc32(b"A1B2C3") & 0x3FFF) << 2 | (k[kinds.CODE] - 1)
        assert txnlog.auth_hash(b"A1B2C3", k) == want
    found = (kinds.find(3), kinds.find("void"), kinds.find(b"x"), kinds.find(9))
    assert found == (c, v, x, None) and kinds.find("x") is kinds.find(b"void") is None
    # the names the tests and tools used before are the rows
    assert (txnlog.PREAUTH, messages.PREAUTH_VOID, messages.COMPLETION_VOID) == (p, v, x)
    # each flow names its row, and the main menu lists it under its row's MENU key (the
    # menu writes its keys out for the simulator's tools)
    flows = (preauth.Preauth, void.Void, completion.Completion, cvoid.CompletionVoid)
    assert tuple(f.kind for f in flows) == (p, v, c, x)
    assert terminal.MENU[:4] == tuple((f.kind[kinds.MENU], m.run) for f, m in zip(
        flows, (preauth, void, completion, cvoid))), terminal.MENU


def _row(code=6, name="six", rev=b"6", msg=MSG, orig=1, marks=(), hash_as=4, pin=False,
         n=14):
    return (code, name, rev, msg, "cancelled", "cancelled", "r_reprint", "st_done", True,
            orig, marks, False, hash_as, pin, "one field too many")[:n]


def test_a_row_that_does_not_fit_is_refused_and_not_registered():
    n = len(kinds.ALL)
    e = mptest.raises(ValueError, kinds.register, _row(hash_as=0))  # 6: past the 2 bits
    assert "HASH_AS" in str(e) and "2 bits" in str(e), e
    e = mptest.raises(ValueError, kinds.register, _row(hash_as=5))  # shares with a 5
    assert "HASH_AS" in str(e), e
    for bad in ({"code": 1}, {"code": 5}, {"name": "void"}, {"rev": b"p"}, {"rev": b"k"},
                {"code": 0}, {"code": 256}, {"code": "6"}, {"rev": b"66"}, {"rev": "6"},
                {"msg": ("0100", "200000")}, {"orig": 0, "marks": (kinds.VOIDED,)},
                {"orig": 7, "marks": (kinds.VOIDED,)}, {"hash_as": 7}, {"marks": (9,)},
                {"pin": 1}, {"pin": None}, {"n": 13}, {"n": 15}):
        mptest.raises(ValueError, kinds.register, _row(**bad))
    assert len(kinds.ALL) == n and kinds.ALL[-1] is CANCEL
    assert kinds.ALL.index(CANCEL) == 4 and kinds.find(5) is kinds.find(b"k") is CANCEL


def _read(path, off, n):
    f = open(path, "rb")
    try:
        f.seek(off)
        return f.read(n)
    finally:
        f.close()


def test_a_fifth_kind_goes_through_the_transaction_skeleton():
    fl = Flash("kinds_flow")
    hw = HW(D)
    app = App(hw, dict(config.DEFAULTS), D)
    j, batch = app.journal, app.state.batch_no
    date = "%04d%02d%02d" % hw.clock.now()[:3]
    pre = Record(kind=kinds.PREAUTH, voucher=app.state.take_voucher(), date=date,
                 time="120000", amount=12345, auth_code="A1B2C3", rrn="000000000001",
                 host_date=date[4:], expiry="2712", entry_mode="021", card_org="CUP")
    pre.set_card(j.keys, PAN)
    j.add(pre)
    sent = []

    async def ready(title, pik=False):
        return True

    async def exchange(mti, fields, timeout_s=None, mac=True):  # the host approves
        f = dict(fields)
        f[52] = bytes(f[52])  # as it went out: the flow zeroes its buffer afterwards
        sent.append((mti, f, app.reversal.load(), _read(D + "/reversal", 6, 1)))
        return Result(OK, mti="0110", fields={11: fields[11], 13: date[4:], 37: "000000000002",
                                              38: fields[38], 39: "00", 63: "CUP"})

    app.online.ready = ready
    app.session.exchange = exchange
    pik = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")
    app.session.pik, app.session.mak = pik, bytes(8)  # signed in: no sign-in before the PIN
    app.state.need_signin = False

    run_flow(hw, flow_cancel.run(app), (
        (t("sup_pwd"), "1", "2", "3", "4", "5", "6", ENTER),  # the supervisor
        (t("voucher"), "1", ENTER),
        (t("card"), ("SWIPE", PAN + "=2712101")),
        (t("pin"), "9", "7", "5", "3", ENTER),  # its row asks for a PIN
        (t("l_card"), ENTER),  # the summary
        (t("print_cardholder"), KEY_CANCEL)), 3000)  # after 交易成功, 2 s
    # the request: MTI, F3 and 60.1 of its row, the original's F38 and F61
    assert len(sent) == 1, hw.logged
    mti, f, rev, rev_byte = sent[0]
    assert mti == "0100" and f[3] == "200000" and f[60][:8] == "13" + batch, f
    assert f[11] == "000002" and f[4] == "%012d" % 12345 and f[38] == "A1B2C3", f
    assert f[61] == pre.batch + pre.voucher + pre.host_date and f[25] == "06", f
    pb = PinBlock()
    pb.digits[:4] = b"9753"
    block = bytes(pb.make(pik, PAN, 4))
    assert f[22] == "021" and f[52] == block, f  # the block as it went out
    assert (mti, f) == messages.financial(CANCEL, app.cfg, batch, "000002", {
        "pan": PAN, "expiry": "2712", "track2": PAN + "=2712101"}, 12345, app.read_cap, {
        38: "A1B2C3", 61: f[61]}, block)
    assert app.pin.block == bytearray(8)  # zero once the transaction is over
    # its pending reversal while the request was out: the row's byte, its name, none of
    # the PIN's fields
    assert rev_byte == b"k" and rev.kind == "cancel" and rev.journal_voucher == (batch, "000001")
    assert not [k for k in (26, 52, 53) if k in rev.fields], rev.fields
    assert app.reversal.load() is None  # cleared once the record was kept
    # its record (code 5 on flash) and what it did to the pre-auth (its row's marks)
    rec = j.find_voucher("000002")
    assert rec.kind is CANCEL and rec.orig_voucher == "000001" and rec.amount == 12345, rec
    assert _read(D + "/journal/" + batch + "/t/0001", 2, 1) == b"\x05"
    p = j.get(pre)
    assert (p.state, p.next_batch, p.next_voucher) == (kinds.VOIDED, batch, "000002"), p
    # its strings: the title, the query's names, the slip
    assert flow_cancel.Cancel(app).title == t("cancelled") == t(CANCEL[kinds.MENU])
    assert query.name(rec) == t("cancelled") + " 000002"
    assert (query.state_name(rec), query.state_name(p)) == (t("st_done"), t("st_voided"))
    slip = receipt.from_record(app, rec)
    assert slip["type"] == "r_reprint" and slip["orig_voucher"] == "000001", slip
    printed = _read(D + "/printer.bin", 0, 8192)
    assert gb.encode(t("r_reprint")) in printed and gb.encode(t("r_cvoid")) not in printed
    # the settlement: its own slot, after the four; the debits untouched, still last
    sums = settle.totals(j, batch)
    assert sums == [1, 12345, 0, 0, 0, 0, 0, 0, 1, 12345, 0, 0], sums
    assert settle.debits(sums) == (0, 0)
    report = {"batch": batch, "date": date, "time": "120000", "totals": sums, "flag": "1"}
    now = bytes(receipt.render_settlement(app, report))
    assert gb.encode(t("r_reprint")) in now and gb.encode(t("r_debit") % 0) in now
    # a report from before the fifth kind (10 numbers) still reprints, without it
    report["totals"] = [1, 12345, 0, 0, 0, 0, 0, 0, 0, 0]
    old = bytes(receipt.render_settlement(app, report))
    assert gb.encode(t("r_reprint")) not in old and gb.encode(t("r_cvoid")) in old
    assert gb.encode(t("r_debit") % 0) in old
    fl.remove()


def _rec(kind, voucher, amount, auth, orig=None):
    r = Record(kind=kind, voucher="%06d" % voucher, date="20250331", time="120000",
               amount=amount, auth_code=auth, rrn="%012d" % voucher, host_date="0331",
               expiry="2712", entry_mode="021", card_org="CUP")
    if orig is not None:
        r.orig_batch, r.orig_voucher = orig.batch, orig.voucher
        r.orig_host_date, r.orig_amount = orig.host_date, orig.amount
    r.set_card(KEYS, PAN)
    return r


def _file(path):
    f = open(path, "rb")
    try:
        return f.read()
    finally:
        f.close()


def test_its_records_are_hashed_found_linked_and_counted():
    fl = Flash("kinds_journal")
    j = Journal(D + "/journal", KEYS, "000001")
    pres = []
    for i in range(30):
        pres.append(_rec(kinds.PREAUTH, i + 1, 1000 + i, "P%05d" % i))
        j.add(pres[-1])
    c = _rec(kinds.COMPLETION, 31, 1100, pres[1].auth_code, pres[1])
    j.follow(c, pres[1])
    x = _rec(CANCEL, 32, 1000, pres[0].auth_code, pres[0])  # the pre-auth's code: slot 31,
    j.follow(x, pres[0])  # the chunk's last, sealed with it
    y = _rec(CANCEL, 33, 1002, pres[2].auth_code, pres[2])
    j.add(y)  # a power cut before its original's note: links() finishes it
    assert j.get(pres[2]).state == kinds.OPEN
    j.links(y)
    j.links(y)  # nothing more to do
    for pre, by in ((pres[0], x), (pres[2], y)):
        got = j.get(pre)
        assert (got.state, got.next_voucher) == (kinds.VOIDED, by.voucher), got
    assert j.get(pres[1]).state == kinds.COMPLETED
    # on flash: code 5 in the sealed chunk; in ah the completion void's kind bits
    b = D + "/journal/000001/"
    assert _read(b + "c00", 31 * 128 + 2, 1) == b"\x05"
    h = (crc32(b"P00000") & 0x3FFF) << 2 | 3
    assert struct.unpack("<H", _read(b + "ah", 62, 2))[0] == h
    ah = _file(b + "ah")
    # a search for pre-auths skips it; one for its kind finds it; one for completion voids
    # reads it (the same hash) and drops it on its kind
    assert [r.voucher for r in j.find_auth("P00000")] == ["000001"]
    assert [r.voucher for r in j.find_auth("P00000", kind=CANCEL)] == ["000032"]
    assert [r.voucher for r in j.find_auth("P00002", kind=CANCEL)] == ["000033"]  # the tail
    assert list(j.find_auth("P00000", kind=kinds.COMPLETION_VOID)) == []
    # the hashes rebuilt from the chunk (a batch from before ah, a cut) are the same
    import os

    os.remove(b + "ah")
    j = Journal(D + "/journal", KEYS, "000001")
    assert [r.voucher for r in j.find_auth("P00000", kind=CANCEL)] == ["000032"]
    assert _file(b + "ah") == ah
    assert repr(j.get(31)).startswith("<Record CANCEL 000001/000032")
    # the settlement: 30 pre-auths, a completion (the one debit), 2 of the fifth kind
    assert settle.totals(j, "000001") == [30, 30435, 0, 0, 1, 1100, 0, 0, 2, 2002, 1, 1100]
    fl.remove()


mptest.run(globals())
