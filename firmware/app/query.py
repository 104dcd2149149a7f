# 交易查询 and 重打印: the journal newest first, every kind of transaction, one a screen
# (UP/DOWN), ENTER for its details and then a reprint, of its own slip or of the one that
# followed it (or came before), the operator choosing by name and voucher number; the
# last receipt, any receipt by voucher number, or the last settlement report.
import kinds
from app import receipt
from app.strings import t
from journal import format1
from journal.txnlog import OPEN, JournalError
from ui import entry
from ui.screen import RIGHT, WIDTH

# The short name of each state, in state order (strings keys). An OPEN record shows its
# kind's OPEN_KEY instead (pre-auth open, completion standing, the others done), and a
# kind's short name is its QUERY key (kinds.py).
STATE_KEYS = ("st_open", "st_voided", "st_completed", "st_cvoided", "st_reversed")


def state_name(rec):
    if format1.voided(rec):  # a format-1 pre-auth record: the void inside
        return t("st_voided")
    if rec.state == OPEN:
        return t(rec.kind[kinds.OPEN_KEY])
    return t(STATE_KEYS[rec.state - 1])


def name(rec):
    """Its kind and voucher number, e.g. 预授权 000002."""
    return t(rec.kind[kinds.QUERY]) + " " + rec.voucher


def lines(scr, rec):
    """The three lines of a record in the list: its kind and voucher, its amount, its
    state and auth code (the code left out when it does not fit)."""
    state = state_name(rec)
    with_auth = state + " " + rec.auth_code.strip()
    return [name(rec), ("RMB " + entry.yuan(rec.amount), RIGHT),
            with_auth if scr.font.width(with_auth) <= WIDTH else state]


def details(rec):
    lines = [
        t(rec.kind[kinds.QUERY]) + " " + t("l_voucher") + rec.voucher,
        t("l_state") + state_name(rec),
        t("l_card") + rec.pan_masked,
        t("l_amount") + entry.yuan(rec.amount),
        t("auth_code") + rec.auth_code,
        t("l_rrn") + rec.rrn,
        t("l_date") + "%s/%s %s:%s" % (rec.date[4:6], rec.date[6:8], rec.time[:2], rec.time[2:4]),
        t("batch") + rec.batch,
    ]
    if rec.has_orig:
        lines.append(t("l_orig") + rec.orig_voucher)
    if rec.has_next:
        lines.append(t("l_next") + rec.next_voucher)
    v = format1.void_record(rec)
    if v is not None:
        lines.append(t(kinds.VOID[kinds.MENU]) + " " + v.voucher)
    return lines


async def run(app):
    """Browse the journal without loading it: each step reads one record."""
    title, scr, j = t("m_query"), app.scr, app.journal
    rec = j.last()
    if rec is None:
        await entry.message(scr, title, [t("no_records")], 5000)
        return
    while True:
        scr.draw(title, lines(scr, rec))
        ev = await scr.key()
        if ev is None or ev == entry.CANCEL:
            return
        if ev in (entry.DOWN, entry.UP):
            try:
                nxt = j.older(rec) if ev == entry.DOWN else j.newer(rec)
            except JournalError as e:  # a damaged record: say so, stay where we are
                app.hw.log("query:", e)
                await entry.error(scr, title, [t("rec_damaged")], 5000)
                continue
            if nxt is not None:
                rec = nxt
        elif ev == entry.ENTER:
            if await entry.scroll(scr, title, details(rec)):
                await reprint_of(app, rec)


async def reprint_of(app, rec):
    """Reprint a slip of rec's story: its own, its follow-up's or its original's. The
    operator chooses by name (预授权 000002, 撤销 000003), so what prints is what was
    asked for."""
    recs = [rec]
    links = []
    if rec.has_next:
        links.append((rec.next_batch, rec.next_voucher))
    if rec.has_orig:
        links.append((rec.orig_batch, rec.orig_voucher))
    for batch, voucher in links:
        try:
            other = app.journal.find_voucher(voucher, batch)
        except JournalError as e:
            app.hw.log("query:", e)
            other = None
        if other is not None:
            recs.append(other)
    other = format1.void_record(rec)  # a format-1 pre-auth: its void inside it
    if other is not None:
        recs.append(other)
    which = await entry.menu(app.scr, t("m_reprint"), [name(r) for r in recs])
    if which is None:
        return
    await receipt.print_both(app, receipt.from_record(app, recs[which]), reprint=True)


async def reprint(app):
    title, scr = t("m_reprint"), app.scr
    how = await entry.menu(scr, title, [t("m_last"), t("m_any"), t("m_settle_report")])
    if how is None:
        return
    if how == 2:
        report = app.settlement.last()
        if report is None:
            await entry.message(scr, title, [t("no_settlement")], 5000)
            return
        await receipt.print_settlement(app, report, reprint=True)
        return
    if how == 0:
        rec = app.unprinted()  # the newest transaction, if its slip never printed
        slip = app.last_receipt() if rec is None else receipt.from_record(app, rec)
        if slip is None:
            await entry.message(scr, title, [t("no_records")], 5000)
            return
        if await receipt.print_both(app, slip, reprint=True) and rec is not None:
            app.remember_receipt(rec)  # out now: the last receipt
        return
    v = await entry.digits(scr, title, t("l_voucher"), 1, 6)
    if v is None:
        return
    v = "%06d" % int(v)
    rec = app.journal.find_voucher(v)
    if rec is not None:
        await receipt.print_both(app, receipt.from_record(app, rec), reprint=True)
        return
    rec = format1.find_void(app.journal, v)  # a format-1 void: inside its pre-auth
    if rec is not None:
        await receipt.print_both(app, receipt.from_record(app, rec), reprint=True)
        return
    await entry.error(scr, title, [t("not_found")], 5000)
