# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython helper of `make bench` (flash_mp.py, scaling_mp.py, cpu_mp.py import it): the
# terminal's flash as board/unix mounts it, its storage objects built as app/terminal.py
# builds them, and one pre-auth / one void doing exactly the flash work app/preauth.py,
# app/void.py and app/online.py do, in their order, with the host's answer simulated.
# Not a test double: every call below is the firmware's own.
import os
import sys
import time

# sys.path[0] is host_tools/bench, which holds the CPython codec.py of `make bench`: move it
# to the end so that `codec` is the firmware's package and the *_mp.py helpers still import.
if sys.path and sys.path[0].endswith("bench"):
    sys.path.append(sys.path.pop(0))

import config  # noqa: E402
from app import receipt  # noqa: E402
from app import void as void_flow  # noqa: E402
from app.supervisor import DEFAULT_PASSWORD, Supervisor  # noqa: E402
from host import messages  # noqa: E402
from journal import record  # noqa: E402
from journal.pan import Keys  # noqa: E402
from journal.preauth import OPEN, Journal, Record  # noqa: E402
from journal.reversal import PendingReversal  # noqa: E402
from journal.state import TerminalState  # noqa: E402

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
        self._supervisor = None

    @property
    def supervisor(self):
        if self._supervisor is None:
            self._supervisor = Supervisor(DATA + "/supervisor", self.hw.clock)
        return self._supervisor

    def remember_receipt(self, kind, rec_or_slip):  # App.remember_receipt
        keep = rec_or_slip if isinstance(rec_or_slip, dict) else {
            "kind": kind, "batch": rec_or_slip.batch, "slot": rec_or_slip.slot}
        record.write(self.data_dir + "/last_receipt", keep)

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


def preauth(t, fen, auth, m=NO_METER):
    """app/preauth.run after the operator's Enter on the confirmation, host approving.
    Returns the journal Record."""
    j, st = t.journal, t.state
    if j.full():
        raise RuntimeError("batch full")
    if t.reversal.load() is not None:  # online.ready -> flush_reversal
        raise RuntimeError("a reversal is pending")
    m.mark("checks (full, pending reversal)")
    voucher = st.take_voucher()
    m.mark("state: take_voucher")
    mti, fields = messages.financial(messages.PREAUTH, t.cfg, st.batch_no, voucher, CARD, fen,
                                     READ_CAP)
    t.reversal.store(mti, fields, "98", None, "preauth")  # online.send
    m.mark("reversal.store")
    date, tm, mmdd = _now()
    rec = Record(voucher=fields[11], batch=st.batch_no, date=date, time=tm, amount=fen,
                 auth_code=auth, rrn="%012d" % (100000000000 + int(voucher)), host_date=mmdd,
                 expiry=CARD["expiry"], entry_mode=fields[22], card_org="CUP")
    rec.set_card(j.keys, CARD["pan"])
    j.add(rec)
    m.mark("journal.add")
    t.reversal.clear()
    m.mark("reversal.clear")
    t.remember_receipt("preauth", rec)
    m.mark("last_receipt")
    j.nearly_full()
    m.mark("checks (full, pending reversal)")
    return rec


def void(t, voucher, m=NO_METER):
    """app/void.run by voucher number after the supervisor password, host approving."""
    j, st, sup = t.journal, t.state, t.supervisor
    if sup.locked_for() or not sup.check(DEFAULT_PASSWORD):
        raise RuntimeError("supervisor refused")
    m.mark("supervisor check")
    rec = j.find_voucher(voucher)
    if rec is None or rec.state != OPEN or void_flow.refusal(t, rec):
        raise RuntimeError("cannot void %s: %r" % (voucher, rec))
    if not j.same_card(rec, CARD["pan"]):
        raise RuntimeError("wrong card")
    m.mark("find_voucher")
    if t.reversal.load() is not None:
        raise RuntimeError("a reversal is pending")
    m.mark("checks (full, pending reversal)")
    orig = {"auth": rec.auth_code, "host_date": rec.host_date, "amount": rec.amount,
            "batch": rec.batch, "voucher": rec.voucher}
    f61 = orig["batch"] + orig["voucher"] + orig["host_date"]
    stan = st.take_voucher()
    m.mark("state: take_voucher")
    mti, fields = messages.financial(messages.PREAUTH_VOID, t.cfg, st.batch_no, stan, CARD,
                                     orig["amount"], READ_CAP, {38: orig["auth"], 61: f61})
    t.reversal.store(mti, fields, "98", (rec.batch, rec.voucher), "void")
    m.mark("reversal.store")
    date, tm, _ = _now()
    v = {"void_voucher": fields[11], "void_date": date, "void_time": tm,
         "void_rrn": "%012d" % (200000000000 + int(stan)), "void_auth": ""}
    j.mark_voided(rec, **v)
    m.mark("journal.mark_voided")
    t.reversal.clear()
    m.mark("reversal.clear")
    receipt.void_slip(t, rec, orig, CARD, fields, v)  # as app/void.py builds it
    t.remember_receipt("void", rec)
    m.mark("last_receipt")
    return rec
