# The one shape of a financial transaction (pre-auth, void, completion, completion void),
# after the seed article's steps: authorize (the supervisor, 联系负责人), find the original
# and know the conditions (了解取消条件), the amount, the card again (提供证明), confirm,
# send and wait (提交并等待), explain the answer, record, print (注意事项). A flow module
# describes its type as a subclass of Txn: its kind (its row of kinds.py) and the steps
# that are its own; run() walks the rest, the same for every type.
import time

import kinds
from app import receipt
from app.card import read_card
from app.strings import t
from app.supervisor import authorize
from host import messages
from journal import pan
from journal.txnlog import COMPLETED, COMPLETION_VOIDED, REVERSED, VOIDED, Record
from ui import entry
from ui.screen import RIGHT

DAY_S = 86400


def _days(y, mo, d):
    return time.mktime((y, mo, d, 0, 0, 0, 0, 0)) // DAY_S


def age_days(now, yyyymmdd):
    """Whole days from a YYYYMMDD date to now (a clock tuple)."""
    then = _days(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    return _days(now[0], now[1], now[2]) - then


def keyed_date(now, mmdd):
    """The most recent date on or before today with this MMDD, as YYYYMMDD; None if MMDD
    is not a date."""
    mo, d = int(mmdd[:2]), int(mmdd[2:])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    y = now[0] if (mo, d) <= (now[1], now[2]) else now[0] - 1
    if time.localtime(time.mktime((y, mo, d, 12, 0, 0, 0, 0)))[1] != mo:
        return None  # e.g. 0231
    return "%04d%02d%02d" % (y, mo, d)


class Txn:
    """One transaction in the making. A type sets kind, its row of kinds.py: its title
    (the row's menu key), its request, its record and what that does to its original, its
    pending reversal, whether the supervisor must authorize it."""

    kind = None

    def __init__(self, app):
        self.app = app
        self.title = t(self.kind[kinds.MENU])
        self.orig = None  # the original, a journal Record (slot None: keyed by hand)
        self.amount = 0
        self.card = None

    # --- the steps a type makes its own ----------------------------------------------

    async def find_original(self):
        """Find the original and check it may be used; False to stop (said why)."""
        return True

    async def enter_amount(self):
        """The amount of the request; False to stop. Default: the original's."""
        self.amount = self.orig.amount
        return True

    def summary(self):
        """The three lines the operator confirms."""
        o = self.orig
        return [t("l_card") + pan.mask(self.card["pan"]), ("RMB " + entry.yuan(self.amount),
                                                           RIGHT),
                "%s %s/%s" % (o.auth_code.strip(), o.host_date[:2], o.host_date[2:])]

    async def enter_pin(self):
        """The cardholder's PIN (wire-format.md §8) into App.pin's buffer: how many digits,
        0 for a card without PIN, None to stop. The block is made the moment the PIN is
        typed, so the PIK must be there first: the sign-in comes before this screen when
        one is due (Online.signed_in), not after the summary as without a PIN."""
        app = self.app
        if not await app.online.signed_in(self.title, True):
            return None
        return await entry.pin(app.scr, self.title, t("pin"), "RMB " + entry.yuan(self.amount),
                               app.pin.digits)

    def extra(self):
        """Fields the request adds for its original (wire-format.md §3): 38 and 61."""
        o = self.orig
        return {38: o.auth_code.strip(), 61: o.batch + o.voucher + o.host_date}

    def approved(self, rec):
        """The lines of the approval screen."""
        return [self.title, ("RMB " + entry.yuan(rec.amount), RIGHT)]

    # --- shared by the types that have an original -------------------------------------

    async def original_by_voucher(self):
        """A record of this terminal by its voucher number; None (said why) if there is
        none."""
        v = await entry.digits(self.app.scr, self.title, t("voucher"), 1, 6)
        if v is None:
            return None
        rec = self.app.journal.find_voucher("%06d" % int(v))
        if rec is None:
            await entry.error(self.app.scr, self.title, [t("not_found")])
        return rec

    async def preauth_by_auth(self):
        """The newest pre-auth of this terminal with an auth code the operator types."""
        auth = await entry.text(self.app.scr, self.title, t("auth"), 6)
        if auth is None:
            return None
        for rec in self.app.journal.find_auth(auth):
            return rec
        await entry.error(self.app.scr, self.title, [t("not_found")])
        return None

    async def preauth_keyed(self):
        """A pre-auth keyed in by hand: auth code, its date (MMDD), its amount. The
        journal's record when this terminal made it (its checks apply then), else a
        record not in the journal (slot None, batch and voucher 000000: F61 says so)."""
        app, scr = self.app, self.app.scr
        auth = await entry.text(scr, self.title, t("auth"), 6)
        if auth is None:
            return None
        while True:
            mmdd = await entry.digits(scr, self.title, t("orig_date"), 4, 4)
            if mmdd is None:
                return None
            date = keyed_date(app.hw.clock.now(), mmdd)
            if date:
                break
            await entry.error(scr, self.title, [t("bad_date")], 3000)
        fen = await entry.amount(scr, self.title, t("orig_amount"))
        if fen is None:
            return None
        for rec in app.journal.find_auth(auth, host_date=mmdd, amount=fen):
            return rec
        return Record(auth_code=auth, host_date=mmdd, amount=fen, date=date,
                      batch="000000", voucher="000000")

    def preauth_refusal(self, rec):
        """Why a pre-auth cannot be voided or completed (a line, or None): the seed's
        了解取消条件, checked before anything is sent."""
        if rec.kind[kinds.CODE] != self.kind[kinds.ORIG]:  # the pre-auth, for those that ask
            return t("not_preauth")
        if rec.state == VOIDED:
            return t("already_voided")
        if rec.state == COMPLETED:
            return t("already_completed")
        if rec.state == COMPLETION_VOIDED:
            return t("already_cvoided")
        if rec.state == REVERSED:
            return t("already_reversed")
        if age_days(self.app.hw.clock.now(), rec.date) > self.app.cfg["validity_days"]:
            return t("too_old")
        return None

    async def refuse(self, lines, rec=None):
        """Say why the original cannot be used (its voucher number too); False."""
        if rec is not None and rec.slot is not None:
            lines = lines + [t("l_voucher") + rec.voucher]
        await entry.error(self.app.scr, self.title, lines)
        return False

    # --- the record --------------------------------------------------------------------

    def keep(self, fields, resp):
        """Record the approved transaction: its record, then its original's new state
        (Journal.follow). Returns the record; raises when it cannot be kept (the caller
        reverses then: an approval without an auth code can never be followed up)."""
        rec = self.make_record(fields, resp)
        if not rec.auth_code:
            raise ValueError("approved without an auth code")
        o = self.orig
        if o is None:
            self.app.journal.add(rec)
        else:
            self.app.journal.follow(rec, o if o.slot is not None else None)
        return rec

    def make_record(self, fields, resp):
        """The record of the approved transaction: this request and the host's answer."""
        app = self.app
        y, mo, d, h, mi, s = app.hw.clock.now()
        rec = Record(
            kind=self.kind, voucher=fields[11], batch=app.state.batch_no,
            date="%04d%02d%02d" % (y, mo, d), time="%02d%02d%02d" % (h, mi, s),
            amount=self.amount, auth_code=(resp.get(38) or fields.get(38) or "").strip(),
            rrn=resp.get(37, ""), host_date=resp.get(13, "%02d%02d" % (mo, d)),
            expiry=self.card["expiry"], entry_mode=fields[22],
            card_org=(resp.get(63) or "CUP")[:3])
        o = self.orig
        if o is not None:
            rec.orig_batch, rec.orig_voucher = o.batch, o.voucher
            rec.orig_host_date, rec.orig_amount = o.host_date, o.amount
        rec.set_card(app.journal.keys, self.card["pan"])
        return rec


async def run(app, cls):
    """One transaction of type cls, start to end. The PIN's buffers are zero when it ends,
    whichever way: done, refused, cancelled, timed out or an exception."""
    try:
        await _run(app, cls)
    finally:
        app.pin.wipe()


async def _run(app, cls):
    x = cls(app)
    kind, scr, title, j = cls.kind, app.scr, x.title, app.journal
    if kind[kinds.SUPERVISOR] and not await authorize(app, title):
        return
    if j.full():
        await entry.error(scr, title, [t("batch_full"), t("batch_full_hint")])
        return
    if app.settlement.pending() is not None:
        await entry.error(scr, title, [t("settle_pending"), t("settle_again")])
        return
    if not await x.find_original() or not await x.enter_amount():
        return
    card = await read_card(scr, title, "RMB " + entry.yuan(x.amount))
    if card is None:
        return
    o = x.orig
    if o is not None and o.slot is not None and not j.same_card(o, card["pan"]):
        await entry.error(scr, title, [t("wrong_card")])
        return
    x.card = card
    block = None  # field 52: App.pin's buffer, when the cardholder typed a PIN
    if app.cfg["pin_entry"].get(kind[kinds.NAME], kind[kinds.PIN]):
        n = await x.enter_pin()
        if n is None:
            return
        if n:  # the digits are zero once it is made (crypto/pinblock.py)
            block = app.pin.make(app.session.pik, card["pan"], n)
    # The keys are the ones the block was made under: ready() signs in only when one is
    # due, and enter_pin() has just seen none due (nothing in between talks to the host).
    if not await entry.confirm(scr, title, x.summary()) or not await app.online.ready(
            title, block is not None):
        return
    st = app.state
    mti, fields = messages.financial(kind, app.cfg, st.batch_no, st.take_voucher(), card,
                                     x.amount, app.read_cap, None if o is None else x.extra(),
                                     block)
    link = (o.batch, o.voucher) if o is not None and o.slot is not None else None
    res = await app.online.send(title, kind[kinds.NAME], mti, fields, link)
    if not await app.online.explain(title, res):
        return
    try:
        rec = x.keep(fields, res.fields)
    except Exception as e:  # full, a flash failure, a bad answer after the host approved
        app.hw.log("journal:", repr(e))
        app.online.keep_reversal(res, "06")
        await entry.error(scr, title, [t("store_fail"), t("will_reverse")])
        return
    app.reversal.clear()
    del res  # the response is recorded: free it before the receipts
    await entry.message(scr, t("approved"), x.approved(rec), 2000)
    if await receipt.print_both(app, receipt.from_record(app, rec)):
        app.remember_receipt(rec)  # until then, App.unprinted names it (boot, 重打上笔)
    if j.nearly_full():
        await entry.error(scr, title, [t("batch_nearly_full"), t("batch_full_hint")], 5000)
