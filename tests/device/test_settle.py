# The settlement's bookkeeping on real littlefs (app/settle.py, journal/settlement.py,
# journal/retention.py): the batch's totals, closing the batch (and finishing a close a
# power cut interrupted), dropping batches past the validity window, and making room when
# flash runs short.
import os

import mptest
from lfs_helper import Flash
from app import settle
from journal import retention, txnlog
from journal.pan import Keys
from journal.settlement import Settlement
from journal.state import TerminalState
from journal.txnlog import Journal, Record

KEYS = Keys(bytes(range(16)))
PAN = "6225880123456789"
D = "/lfs"


class Clock:
    def __init__(self, now):
        self.t = now

    def now(self):
        return self.t


class Hw:
    def __init__(self, now):
        self.clock = Clock(now)
        self.logged = []

    def log(self, *a):
        self.logged.append(" ".join(str(x) for x in a))


class App:
    """The pieces of app.terminal.App the settlement uses, built as it builds them."""

    def __init__(self, now=(2025, 3, 31, 12, 0, 0)):
        self.data_dir = D
        self.hw = Hw(now)
        self.cfg = {"validity_days": 30}
        self.state = TerminalState(D + "/state")
        self.journal = Journal(D + "/journal", KEYS, self.state.batch_no)
        self.settlement = Settlement(D + "/settle")


def _rec(kind, voucher, amount, date, orig=None, auth="A1B2C3"):
    r = Record(kind=kind, voucher="%06d" % voucher, date=date, time="120000",
               amount=amount, auth_code=auth, rrn="%012d" % voucher, host_date=date[4:],
               expiry="2712", entry_mode="021", card_org="CUP")
    if orig is not None:
        r.orig_batch, r.orig_voucher = orig.batch, orig.voucher
        r.orig_host_date, r.orig_amount = orig.host_date, orig.amount
    r.set_card(KEYS, PAN)
    return r


def _batch(app, batch, date, n=2, first=1):
    """n pre-auths in batch (made current), dated date; returns them."""
    app.state.batch_no = batch
    app.state.save()
    app.journal.open_batch(batch)
    out = []
    for i in range(n):
        r = _rec(txnlog.PREAUTH, first + i, 1000 * (i + 1), date, auth="P%05d" % (first + i))
        app.journal.add(r)
        out.append(r)
    return out


def test_totals_count_each_kind_and_the_standing_completions():
    fl = Flash("settle_totals")
    app = App()
    j = app.journal
    p1, p2, p3, p4 = _batch(app, "000001", "20250331", 4)
    j.follow(_rec(txnlog.VOID, 10, p1.amount, "20250331", p1), p1)
    c2 = _rec(txnlog.COMPLETION, 11, 2300, "20250331", p2)  # 115 % of 2000
    j.follow(c2, p2)
    c3 = _rec(txnlog.COMPLETION, 12, 2500, "20250331", p3)
    j.follow(c3, p3)
    j.follow(_rec(txnlog.COMPLETION_VOID, 13, 2500, "20250331", c3), c3)
    t = settle.totals(j, "000001")
    # pre-auths 4 (10,000), voids 1 (1,000), completions 2 (4,800), completion voids 1
    # (2,500); debits: the completion that still stands
    assert t == [4, 10000, 1, 1000, 2, 4800, 1, 2500, 1, 2300], t
    assert j.get(p3).state == txnlog.COMPLETION_VOIDED and p4.state == txnlog.OPEN
    assert settle.totals(j, "000002") == [0] * 10  # no such batch: nothing
    fl.remove()


def test_close_batch_moves_on_once_and_resume_finishes_it():
    fl = Flash("settle_close")
    app = App()
    _batch(app, "000001", "20250331")
    report = {"batch": "000001", "totals": [0] * 10, "flag": "1"}
    # the answer recorded, then the power went: the batch has not moved on
    app.settlement.start("000001", [0] * 10)
    app.settlement.close(report)
    fl.remount()
    app = App()
    assert app.state.batch_no == "000001" and app.settlement.pending()["batch"] == "000001"
    settle.resume(app)  # what the App does at boot
    assert app.state.batch_no == "000002" and app.settlement.pending() is None
    assert app.journal.batch == "000002" and app.journal.count() == 0
    assert app.settlement.last()["batch"] == "000001"
    settle.resume(app)  # nothing pending: nothing moves
    settle.close_batch(app, "000001")  # again (a cut after the state moved): still once
    assert app.state.batch_no == "000002"
    fl.remount()
    assert App().state.batch_no == "000002"
    # a pending settlement without its answer is not closed at boot: settle again
    app = App()
    app.settlement.start("000002", [0] * 10)
    settle.resume(app)
    assert app.state.batch_no == "000002" and app.settlement.pending()["batch"] == "000002"
    assert settle.next_batch("999999") == "000001"
    fl.remove()


def test_closing_drops_the_batches_past_the_validity_window():
    fl = Flash("settle_prune", blocks=512)  # room enough: only the dates decide
    app = App(now=(2025, 3, 31, 12, 0, 0))
    _batch(app, "000001", "20250201", first=1)  # 58 days old: every hold has expired
    _batch(app, "000002", "20250302", first=3)  # 29 days: still usable
    _batch(app, "000003", "20250315", first=5)
    _batch(app, "000004", "20250331", first=7)  # being settled
    assert app.journal.newest_date("000001") == "20250201"
    gone = settle.close_batch(app, "000004")
    assert gone == ["000001"], gone
    assert app.journal.batches() == ["000005", "000004", "000003", "000002"]
    assert app.journal.find_voucher(1) is None and app.journal.find_voucher(3).batch == "000002"
    # a month later every old batch goes but the one just settled (query, reprint)
    app.hw.clock.t = (2025, 5, 15, 12, 0, 0)
    _batch(app, "000005", "20250515", first=9)
    gone = settle.close_batch(app, "000005")
    assert gone == ["000002", "000003", "000004"], gone
    assert app.journal.batches() == ["000006", "000005"]
    assert "settlement: batches dropped from the journal: " in app.hw.logged[-1]
    fl.remove()


def test_make_room_drops_the_oldest_until_a_batch_fits():
    # the journal's retention policy (journal/retention.py), the part close_batch's
    # retain() applies after the dates
    fl = Flash("settle_room", blocks=128)
    app = App()
    j = app.journal
    for k in range(4):  # four batches of 40 records (a sealed chunk each)
        _batch(app, "%06d" % (k + 1), "20250331", 40, first=100 * k + 1)
    free = retention.free_blocks(D)
    assert free is not None and free < 128
    saved = retention.RESERVE_BLOCKS
    try:
        retention.RESERVE_BLOCKS = free  # enough: nothing goes
        assert j.make_room("000003", D) == []
        retention.RESERVE_BLOCKS = free + 3  # short: the oldest go first, never the current
        gone = j.make_room("000001", D)  # nor the batch named (the one settled)
        assert gone and gone[0] == "000002" and "000001" not in gone, gone
        assert "000004" in j.batches()
        assert retention.free_blocks(D) >= free + 3 or len(gone) == 2
        retention.RESERVE_BLOCKS = 10 ** 6  # never enough: all but those two go, no more
        j.make_room("000001", D)
        assert sorted(j.batches()) == ["000001", "000004"]
    finally:
        retention.RESERVE_BLOCKS = saved
    os.stat(D + "/journal/000004")
    fl.remove()


mptest.run(globals())
