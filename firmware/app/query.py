# 交易查询 and 重打印: the journal newest first, one record a screen (UP/DOWN), ENTER for
# its details and a reprint; the last receipt or any receipt by voucher number.
from app import receipt
from app.strings import t
from journal.preauth import COMPLETED, OPEN, REVERSED, VOIDED, JournalError
from ui import entry
from ui.screen import RIGHT


def state_name(rec):
    return {OPEN: t("st_open"), VOIDED: t("st_voided"), COMPLETED: t("st_completed"),
            REVERSED: t("st_reversed")}.get(rec.state, t("st_cvoided"))


def details(rec):
    lines = [
        t("l_voucher") + rec.voucher,
        t("l_state") + state_name(rec),
        t("l_card") + rec.pan_masked,
        t("l_amount") + entry.yuan(rec.amount),
        t("auth_code") + rec.auth_code,
        t("l_rrn") + rec.rrn,
        t("l_date") + "%s/%s %s:%s" % (rec.date[4:6], rec.date[6:8], rec.time[:2], rec.time[2:4]),
        t("batch") + rec.batch,
    ]
    if rec.state == VOIDED:
        lines.append(t("m_void") + " " + (rec.void_voucher or ""))
    return lines


async def run(app):
    """Browse the journal without loading it: each step reads one record."""
    title, scr, j = t("m_query"), app.scr, app.journal
    rec = j.last()
    if rec is None:
        await entry.message(scr, title, [t("no_records")], 5000)
        return
    while True:
        scr.draw(title, [t("l_voucher") + rec.voucher, ("RMB " + entry.yuan(rec.amount), RIGHT),
                         state_name(rec) + " " + rec.auth_code])
        ev = await scr.key()
        if ev is None or ev == entry.CANCEL:
            return
        if ev in (entry.DOWN, entry.UP):
            try:
                nxt = j.older(rec) if ev == entry.DOWN else j.newer(rec)
            except JournalError as e:  # a damaged record: say so, stay where we are
                app.hw.log("query:", e)
                await entry.message(scr, title, [t("rec_damaged")], 5000)
                continue
            if nxt is not None:
                rec = nxt
        elif ev == entry.ENTER:
            if await entry.scroll(scr, title, details(rec)):
                await reprint_record(app, rec)


async def reprint_record(app, rec):
    kind = "void" if rec.state == VOIDED else "preauth"
    await receipt.print_both(app, receipt.from_record(app, rec, kind), reprint=True)


async def reprint(app):
    title, scr = t("m_reprint"), app.scr
    how = await entry.menu(scr, title, [t("m_last"), t("m_any")])
    if how is None:
        return
    if how == 0:
        slip = app.last_receipt()
        if slip is None:
            await entry.message(scr, title, [t("no_records")], 5000)
            return
        await receipt.print_both(app, slip, reprint=True)
        return
    v = await entry.digits(scr, title, t("l_voucher"), 1, 6)
    if v is None:
        return
    v = "%06d" % int(v)
    rec = app.journal.find_voucher(v)
    if rec is not None:
        await receipt.print_both(app, receipt.from_record(app, rec, "preauth"), reprint=True)
        return
    for rec in app.journal.newest(app.journal.capacity):  # voids are few: a bounded scan
        if rec.void_voucher == v:
            await receipt.print_both(app, receipt.from_record(app, rec, "void"), reprint=True)
            return
    await entry.message(scr, title, [t("not_found")], 5000)
