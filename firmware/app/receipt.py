# Receipts (签购单) for the 58 mm printer: merchant copy with a signature line, then the
# cardholder copy on request; the 冲正不成功 slip; the settlement report (结算单). A slip is
# a small dict built from the journal (so any receipt can be reprinted) and turned into
# ESC/POS bytes here.
import kinds
from app.strings import t
from ui import entry, paper


def _masked(first6, last4):
    return first6 + "****" + last4


def from_record(app, rec):
    """The slip of a journal record: its type line the SLIP key of its kind's row. (The
    void a format-1 record carries inside it: journal.format1.void_record(rec).)"""
    slip = {
        "type": rec.kind[kinds.SLIP], "card": _masked(rec.pan_masked[:6], rec.pan_masked[-4:]),
        "card_org": rec.card_org, "batch": rec.batch, "voucher": rec.voucher,
        "auth": rec.auth_code, "rrn": rec.rrn, "date": rec.date, "time": rec.time,
        "amount": rec.amount,
    }
    if rec.kind[kinds.ORIG]:
        slip["orig_voucher"] = rec.orig_voucher
    return slip


def _kv_amount(b, label, fen):
    b.line(label)
    b.bold(True)
    b.size(False, True)
    b.line("RMB " + entry.yuan(fen))
    b.size()
    b.bold(False)


def _head(app, b, title, copy=None, reprint=False):
    b.init()
    b.align(paper.CENTER)
    b.size(True, True)
    b.line(title)
    b.size()
    if copy is not None:
        b.line(t("r_merchant_copy") if copy == "merchant" else t("r_cardholder_copy"))
    if reprint:
        b.line(t("r_reprint"))
    b.align(paper.LEFT)
    b.rule()
    cfg = app.cfg
    b.line(t("r_merchant_name"))
    b.line(cfg["merchant_name"])
    b.kv(t("r_mid"), cfg["mid"])
    b.kv(t("r_tid"), cfg["tid"])
    b.kv(t("r_operator"), cfg["operator"])


def _datetime(d, tm):
    return "%s/%s/%s %s:%s:%s" % (d[:4], d[4:6], d[6:8], tm[:2], tm[2:4], tm[4:6])


def render(app, slip, copy, reprint=False):
    """ESC/POS bytes of one copy ("merchant" or "cardholder"): a view of app.workbuf,
    valid until the next receipt or exchange."""
    b = paper.Receipt(app.workbuf)
    _head(app, b, "POS签购单", copy, reprint)
    b.kv(t("r_card"), slip["card"])
    b.kv(t("r_issuer"), slip["card_org"])
    b.line(t("r_type"))
    b.bold(True)
    b.size(False, True)
    # a slip remembered by the previous firmware says "kind": "void" / "preauth"
    b.line(t(slip.get("type") or (kinds.find(slip.get("kind")) or kinds.PREAUTH)[kinds.SLIP]))
    b.size()
    b.bold(False)
    b.kv(t("r_batch"), slip["batch"])
    b.kv(t("r_voucher"), slip["voucher"])
    if slip.get("orig_voucher"):
        b.kv(t("r_orig_voucher"), slip["orig_voucher"])
    b.kv(t("r_auth"), slip["auth"])
    b.kv(t("r_rrn"), slip["rrn"])
    b.kv(t("r_datetime"), _datetime(slip["date"], slip["time"]))
    _kv_amount(b, t("r_amount"), slip["amount"])
    b.rule()
    if copy == "merchant":
        b.line(t("r_signature"))
        b.feed(3)
        b.rule()
        b.line(t("r_agree"))
    b.feed(3)
    b.cut()
    return b.take()


def render_settlement(app, report, reprint=False):
    """The settlement report (结算单): counts and amounts by transaction type (app/
    settle.totals: each kind at its index, the debits last), the debits sent in field 48,
    and the host's verdict."""
    b = paper.Receipt(app.workbuf)
    _head(app, b, t("r_settle_title"), None, reprint)
    b.kv(t("r_batch"), report["batch"])
    b.kv(t("r_datetime"), _datetime(report["date"], report["time"]))
    b.rule()
    b.kv(t("r_settle_count"), t("r_settle_amount"))
    n = report["totals"]
    for i, k in enumerate(kinds.ALL):
        if 2 * i + 2 < len(n):  # else not a kind of the firmware that wrote it (a reprint)
            b.line(t(k[kinds.SLIP]))
            b.kv("  %d" % n[2 * i], entry.yuan(n[2 * i + 1]))
    b.rule()
    b.kv(t("r_debit") % n[-2], entry.yuan(n[-1]))
    b.kv(t("r_credit") % 0, entry.yuan(0))
    b.rule()
    b.line(t("r_settle_verdict"))
    b.bold(True)
    flag = report["flag"]
    b.line(t("r_settle_flag_" + (flag if flag in "12" else "3")))
    b.bold(False)
    b.feed(3)
    b.cut()
    return b.take()


async def _print(app, data):
    """Send bytes to the printer; on no paper (or a printer fault) tell the operator that
    the receipt can be reprinted. True when printed."""
    hw = app.hw
    try:
        ok = await hw.printer.paper_ok()
        if ok:
            app.scr.draw(t("printing"), [])
            await hw.printer.write(data)
            hw.keys.clear()  # typed while it printed: no answer to the next screen
            return True
    except Exception as e:  # the board's printer error: reported, never fatal
        hw.log("printer:", e)
    await entry.error(app.scr, t("paper_out"), [t("paper_hint")], 10000)
    return False


async def print_both(app, slip, reprint=False):
    """Merchant copy, then the cardholder copy if the operator confirms. True when the
    merchant copy printed."""
    if not await _print(app, render(app, slip, "merchant", reprint)):
        return False
    if await entry.confirm(app.scr, t("print_cardholder"), [t("yes_no")]):
        await _print(app, render(app, slip, "cardholder", reprint))
    return True


async def print_settlement(app, report, reprint=False):
    await _print(app, render_settlement(app, report, reprint))


async def print_reversal_failed(app, rev):
    """The 冲正不成功 slip: what could not be reversed, for the operator to follow up."""
    f = rev.fields
    p = f.get(2, "")
    b = paper.Receipt(app.workbuf)
    b.init()
    b.align(paper.CENTER)
    b.bold(True)
    b.line(t("r_rev_failed"))
    b.bold(False)
    b.align(paper.LEFT)
    b.rule()
    b.kv(t("r_mid"), f.get(42, ""))
    b.kv(t("r_tid"), f.get(41, ""))
    b.kv(t("r_card"), _masked(p[:6], p[-4:]))
    b.kv(t("r_type"), t((kinds.find(rev.kind) or kinds.PREAUTH)[kinds.SLIP]))
    b.kv(t("r_batch"), f.get(60, "00000000")[2:8])
    b.kv(t("r_voucher"), f.get(11, ""))
    b.kv(t("r_amount"), "RMB " + entry.yuan(int(f.get(4, "0"))))
    b.kv(t("r_reason"), rev.reason)
    b.kv(t("r_attempts"), "%d" % rev.attempts)
    b.rule()
    b.line(t("r_rev_note"))
    b.feed(3)
    b.cut()
    await _print(app, b.take())
