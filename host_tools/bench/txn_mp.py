# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython helper of `make bench` (flash_mp.py, scaling_mp.py, cpu_mp.py import it): the
# terminal's flash as board/unix mounts it, its storage objects built as app/terminal.py
# builds them, and one transaction of each kind (pre-auth, void, completion, completion
# void) and a settlement doing exactly the flash work app/txn.py, app/settle.py and
# app/online.py do, in their order, with the host's answer simulated. Not a test double:
# every call below is the firmware's own (the flows' Txn classes keep the records).
import os
import sys
import time

# sys.path[0] is host_tools/bench, which holds the CPython codec.py of `make bench`: move it
# to the end so that `codec` is the firmware's package and the *_mp.py helpers still import.
if sys.path and sys.path[0].endswith("bench"):
    sys.path.append(sys.path.pop(0))

import config  # noqa: E402
import kinds  # noqa: E402
from app import receipt, settle  # noqa: E402
from app.completion import Completion  # noqa: E402
from app.cvoid import CompletionVoid  # noqa: E402
from app.preauth import Preauth  # noqa: E402
from app.supervisor import DEFAULT_PASSWORD, Supervisor  # noqa: E402
from app.void import Void  # noqa: E402
from host import messages  # noqa: E402
from journal import record  # noqa: E402
from journal.pan import Keys  # noqa: E402
from journal.reversal import PendingReversal  # noqa: E402
from journal.settlement import Settlement  # noqa: E402
from journal.state import TerminalState  # noqa: E402
from journal.txnlog import Journal  # noqa: E402

import board  # noqa: E402  (board/unix)

DATA = board.DATA_DIR
PAN = "6222021234567890128"
EXPIRY = "2812"
CARD = {"pan": PAN, "expiry": EXPIRY, "track2": PAN + "=" + EXPIRY + "1010000000"}
READ_CAP = "2"  # the simulator board has a card reader (app/terminal.py)


class Clock:
    def now(self):
        return time.localtime()[:6]


class Hw:
    clock = Clock()

    def log(self, *a):
        pass


class Terminal:
    """The storage half of app.terminal.App: same paths, same constructors, same order
    (the supervisor record is opened on first use, as the App does)."""

    def __init__(self, cfg=None):
        self.cfg = cfg or dict(config.DEFAULTS)
        self.hw = Hw()
        self.data_dir = DATA
        self.state = TerminalState(DATA + "/state")
        keys = Keys(bytes.fromhex(self.cfg["tmk"]))
        self.journal = Journal(DATA + "/journal", keys, self.state.batch_no, log=self.hw.log)
        self.reversal = PendingReversal(DATA + "/reversal", keys)
        self.settlement = Settlement(DATA + "/settle")
        self.supervisor = Supervisor(DATA + "/supervisor", self.hw.clock)

    def remember_receipt(self, rec):  # App.remember_receipt (once the slip printed)
        record.write(self.data_dir + "/last_receipt",
                     {"batch": rec.batch, "voucher": int(rec.voucher)})

    def menu_title_reads(self):
        """What App.menu_title() reads before the main menu is drawn."""
        self.reversal.waiting()
        self.reversal.any_failed()


class Meter:
    """Block-device counter deltas per named step, summed over many transactions."""

    def __init__(self, bdev):
        self.bdev = bdev
        self.steps = {}
        self.order = []  # step names in the order first met (MicroPython dicts are unordered)
        self.last = self.snap()

    def snap(self):
        b = self.bdev
        return (b.reads, b.programs, b.erases, b.bytes_programmed)

    def mark(self, name):
        now = self.snap()
        acc = self.steps.get(name)
        if acc is None:
            acc = self.steps[name] = [0, 0, 0, 0]
            self.order.append(name)
        for i in range(4):
            acc[i] += now[i] - self.last[i]
        self.last = now


class _NoMeter:
    def mark(self, name):
        pass


NO_METER = _NoMeter()


def fresh_flash(image):
    """A blank 2 MiB image, formatted and mounted at /flash by board.mount_flash (the
    board's own VfsLfs2 settings). Returns the block device."""
    try:
        os.remove(image)
    except OSError:
        pass
    return board.mount_flash(image)


def remount(image):
    """Power off and on: unmount, a new block device on the same image, mount."""
    import vfs

    vfs.umount(DATA)
    return board.mount_flash(image)


def signed_in(batch="000001"):
    """The state a first sign-in leaves (keys are not needed for flash work)."""
    st = TerminalState(DATA + "/state")
    st.batch_no = batch
    st.need_signin = False
    st.signed_in_at = "0101120000"
    st.save()
    return Terminal()


def _now():
    y, mo, d, h, mi, s = time.localtime()[:6]
    return "%04d%02d%02d" % (y, mo, d), "%02d%02d%02d" % (h, mi, s), "%02d%02d" % (mo, d)


def _answer(t, fields, auth=None):
    """What an approving host answers, as the flows read it (38 echoed or given)."""
    _, _, mmdd = _now()
    resp = {37: "%012d" % (100000000000 + int(fields[11])), 13: mmdd, 39: "00", 63: "CUP"}
    if auth or fields.get(38):
        resp[38] = auth or fields[38]
    return resp


def _exchange(t, x, m, link=None, auth=None):
    """txn.run from the confirmation on, the host approving: the voucher, the request,
    its reversal stored, the answer kept (Txn.keep), the reversal cleared, the last
    receipt remembered. Returns the record."""
    j, st = t.journal, t.state
    if j.full():
        raise RuntimeError("batch full")
    if t.reversal.load() is not None:  # online.ready -> flush_reversal
        raise RuntimeError("a reversal is pending")
    m.mark("checks (full, pending reversal)")
    voucher = st.take_voucher()
    m.mark("state: take_voucher")
    o = x.orig
    mti, fields = messages.financial(x.kind, t.cfg, st.batch_no, voucher, x.card, x.amount,
                                     READ_CAP, None if o is None else x.extra())
    t.reversal.store(mti, fields, "98", link, x.kind[kinds.NAME])  # online.send
    m.mark("reversal.store")
    rec = x.keep(fields, _answer(t, fields, auth))
    m.mark("journal")
    t.reversal.clear()
    m.mark("reversal.clear")
    receipt.from_record(t, rec)  # as the flow builds its slip, then prints it
    t.remember_receipt(rec)
    m.mark("last_receipt")
    j.nearly_full()
    m.mark("checks (full, pending reversal)")
    return rec


def _txn(cls, t, orig=None, amount=None):
    x = cls(t)
    x.orig, x.card = orig, CARD
    x.amount = amount if amount is not None else orig.amount
    return x


def preauth(t, fen, auth, m=NO_METER):
    """app/preauth.py after the operator's Enter on the confirmation, host approving.
    Returns the journal Record."""
    return _exchange(t, _txn(Preauth, t, amount=fen), m, auth=auth)


def _original(t, voucher, m):
    rec = t.journal.find_voucher(voucher)
    if rec is None or not t.journal.same_card(rec, CARD["pan"]):
        raise RuntimeError("no original %s (or another card): %r" % (voucher, rec))
    m.mark("find_voucher")
    return rec


def _supervisor(t, m):
    sup = t.supervisor
    if sup.locked_for() or not sup.check(DEFAULT_PASSWORD):
        raise RuntimeError("supervisor refused")
    m.mark("supervisor check")


def void(t, voucher, m=NO_METER):
    """app/void.py by voucher number after the supervisor password, host approving."""
    _supervisor(t, m)
    rec = _original(t, voucher, m)
    x = _txn(Void, t, rec)
    if x.preauth_refusal(rec):
        raise RuntimeError("cannot void %s: %r" % (voucher, rec))
    return _exchange(t, x, m, (rec.batch, rec.voucher))


def completion(t, voucher, fen, m=NO_METER):
    """app/completion.py by voucher number, host approving."""
    rec = _original(t, voucher, m)
    x = _txn(Completion, t, rec, fen)
    if x.preauth_refusal(rec):
        raise RuntimeError("cannot complete %s: %r" % (voucher, rec))
    return _exchange(t, x, m, (rec.batch, rec.voucher))


def completion_void(t, voucher, m=NO_METER):
    """app/cvoid.py by the completion's voucher number, host approving."""
    _supervisor(t, m)
    rec = _original(t, voucher, m)
    return _exchange(t, _txn(CompletionVoid, t, rec), m, (rec.batch, rec.voucher))


def settlement(t, m=NO_METER):
    """app/settle.py, host answering balanced: totals, the settlement in flight, the
    report, the next batch (close_batch, pruning included). Returns the totals."""
    batch = t.state.batch_no
    sums = settle.totals(t.journal, batch)
    m.mark("settle: totals")
    t.state.take_voucher()
    t.settlement.start(batch, sums)
    m.mark("settle: in flight")
    date, tm, _ = _now()
    t.settlement.close({"batch": batch, "date": date, "time": tm, "totals": sums,
                        "flag": "1", "rrn": "000000000000"})
    settle.close_batch(t, batch)
    m.mark("settle: close_batch")
    return sums
