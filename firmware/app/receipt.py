# Receipts (签购单) for the 58 mm printer: merchant copy with a signature line, then the
# cardholder copy on request; the 冲正不成功 slip. A slip is a small dict built from the
# journal (so any receipt can be reprinted) and turned into ESC/POS bytes here.
from app.strings import t
from drivers import escpos
from ui import entry


def _masked(first6, last4):
    return first6 + "****" + last4


def from_record(app, rec, kind):
    """The slip of a journal record: its pre-auth, or (kind "void") its void."""
    slip = {
        "kind": kind, "card": _masked(rec.pan_masked[:6], rec.pan_masked[-4:]),
        "card_org": rec.card_org, "batch": rec.batch, "voucher": rec.voucher,
        "auth": rec.auth_code, "rrn": rec.rrn, "date": rec.date, "time": rec.time,
        "amount": rec.amount,
    }
    if kind == "void":
        slip.update({"orig_voucher": rec.voucher, "voucher": rec.void_voucher,
                     "auth": rec.void_auth or rec.auth_code, "rrn": rec.void_rrn,
                     "date": rec.void_date, "time": rec.void_time})
    return slip


def void_slip(app, rec, orig, card, fields, void):
    """The slip of a void just approved (its original may not be in the journal)."""
    if rec is not None:
        rec.void_voucher = void["void_voucher"]
        rec.void_auth, rec.void_rrn = void["void_auth"], void["void_rrn"]
        rec.void_date, rec.void_time = void["void_date"], void["void_time"]
        return from_record(app, rec, "void")
    p = card["pan"]
    return {
        "kind": "void", "card": _masked(p[:6], p[-4:]), "card_org": "CUP",
        "batch": fields[60][2:8], "voucher": fields[11], "orig_voucher": "000000",
        "auth": void["void_auth"] or orig["auth"], "rrn": void["void_rrn"],
        "date": void["void_date"], "time": void["void_time"], "amount": orig["amount"],
    }


def render(app, slip, copy, reprint=False):
    """ESC/POS bytes of one copy ("merchant" or "cardholder"): a view of app.workbuf,
    valid until the next receipt or exchange."""
    cfg = app.cfg
    b = escpos.Receipt(app.workbuf)
    b.init()
    b.align(escpos.CENTER)
    b.size(True, True)
    b.line("POS签购单")
    b.size()
    b.line(t("r_merchant_copy") if copy == "merchant" else t("r_cardholder_copy"))
    if reprint:
        b.line(t("r_reprint"))
    b.align(escpos.LEFT)
    b.rule()
    b.line(t("r_merchant_name"))
    b.line(cfg["merchant_name"])
    b.kv(t("r_mid"), cfg["mid"])
    b.kv(t("r_tid"), cfg["tid"])
    b.kv(t("r_operator"), cfg["operator"])
    b.kv(t("r_card"), slip["card"])
    b.kv(t("r_issuer"), slip["card_org"])
    b.line(t("r_type"))
    b.bold(True)
    b.size(False, True)
    b.line(t("r_void") if slip["kind"] == "void" else t("r_preauth"))
    b.size()
    b.bold(False)
    b.kv(t("r_batch"), slip["batch"])
    b.kv(t("r_voucher"), slip["voucher"])
    if slip["kind"] == "void":
        b.kv(t("r_orig_voucher"), slip["orig_voucher"])
    b.kv(t("r_auth"), slip["auth"])
    b.kv(t("r_rrn"), slip["rrn"])
    d, tm = slip["date"], slip["time"]
    b.kv(t("r_datetime"), "%s/%s/%s %s:%s:%s" % (d[:4], d[4:6], d[6:8], tm[:2], tm[2:4], tm[4:6]))
    b.line(t("r_amount"))
    b.bold(True)
    b.size(False, True)
    b.line("RMB " + entry.yuan(slip["amount"]))
    b.size()
    b.bold(False)
    b.rule()
    if copy == "merchant":
        b.line(t("r_signature"))
        b.feed(3)
        b.rule()
        b.line(t("r_agree"))
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
            return True
    except Exception as e:  # the board's printer error: reported, never fatal
        hw.log("printer:", e)
    await entry.message(app.scr, t("paper_out"), [t("paper_hint")], 10000)
    return False


async def print_both(app, slip, reprint=False):
    """Merchant copy, then the cardholder copy if the operator confirms."""
    if not await _print(app, render(app, slip, "merchant", reprint)):
        return
    if await entry.confirm(app.scr, t("print_cardholder"), [t("yes_no")]):
        await _print(app, render(app, slip, "cardholder", reprint))


async def print_reversal_failed(app, rev):
    """The 冲正不成功 slip: what could not be reversed, for the operator to follow up."""
    f = rev.fields
    p = f.get(2, "")
    b = escpos.Receipt(app.workbuf)
    b.init()
    b.align(escpos.CENTER)
    b.bold(True)
    b.line(t("r_rev_failed"))
    b.bold(False)
    b.align(escpos.LEFT)
    b.rule()
    b.kv(t("r_mid"), f.get(42, ""))
    b.kv(t("r_tid"), f.get(41, ""))
    b.kv(t("r_card"), _masked(p[:6], p[-4:]))
    b.kv(t("r_type"), t("r_void") if f.get(3) == "200000" else t("r_preauth"))
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
