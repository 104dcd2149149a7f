# 预授权撤销, following the seed article's steps: reach the person in charge (supervisor
# password), provide proof (the original by voucher number, or auth code + date + amount;
# the card again), know the conditions (checked locally before anything is sent), submit
# and wait (summary, 0100/200000 with F38 and F61, countdown), then the notes (receipts,
# journal marked voided only on 00, a failure explained).
import time

from app import receipt
from app.card import read_card
from app.strings import t
from host import messages
from journal import pan
from journal.preauth import OPEN, VOIDED
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


async def authorize(app, title):
    """The supervisor password, with the lockout. True when the supervisor said yes."""
    sup, scr = app.supervisor, app.scr
    left = sup.locked_for()
    if left:
        await entry.message(scr, title, [t("locked"), t("locked_left") % ((left + 59) // 60)])
        return False
    pwd = await entry.digits(scr, title, t("sup_pwd"), 4, 12, mask=True)
    if pwd is None:
        return False
    if sup.check(pwd):
        return True
    app.hw.log("supervisor password refused; tries left", sup.tries_left())
    if sup.locked_for():
        await entry.message(scr, title, [t("pwd_wrong"), t("locked")], 5000)
    else:
        await entry.message(scr, title, [t("pwd_wrong"), t("pwd_left") % sup.tries_left()], 5000)
    return False


def refusal(app, rec):
    """Why a journal original cannot be voided, or None (the seed's 了解取消条件)."""
    if rec.state == VOIDED:
        return t("already_voided")
    if rec.state != OPEN:
        return t("already_completed")
    if age_days(app.hw.clock.now(), rec.date) > app.cfg["validity_days"]:
        return t("too_old")
    return None


async def _original_from_journal(app, title):
    scr = app.scr
    v = await entry.digits(scr, title, t("voucher"), 1, 6)
    if v is None:
        return None
    rec = app.journal.find_voucher("%06d" % int(v))
    if rec is None:
        await entry.message(scr, title, [t("not_found")])
        return None
    return rec


async def _original_keyed(app, title):
    """Auth code + original date + amount. Returns (rec or None, orig dict) or None."""
    scr = app.scr
    auth = await entry.text(scr, title, t("auth"), 6)
    if auth is None:
        return None
    while True:
        mmdd = await entry.digits(scr, title, t("orig_date"), 4, 4)
        if mmdd is None:
            return None
        date = keyed_date(app.hw.clock.now(), mmdd)
        if date:
            break
        await entry.message(scr, title, [t("bad_date")], 3000)
    fen = await entry.amount(scr, title, t("orig_amount"))
    if fen is None:
        return None
    # Keyed in, but perhaps this terminal made it: then the journal's checks apply.
    for rec in app.journal.find_auth(auth, host_date=mmdd, amount=fen):
        return rec
    if age_days(app.hw.clock.now(), date) > app.cfg["validity_days"]:
        await entry.message(scr, title, [t("too_old")])
        return None
    return {"auth": auth, "host_date": mmdd, "amount": fen, "date": date}


def _request(app, card, orig):
    st = app.state
    f61 = (orig.get("batch", "000000") + orig.get("voucher", "000000") + orig["host_date"])
    return messages.financial(
        messages.PREAUTH_VOID, app.cfg, st.batch_no, st.take_voucher(), card, orig["amount"],
        app.read_cap, {38: orig["auth"], 61: f61},
    )


async def run(app):
    title = t("m_void")
    scr = app.scr
    if not await authorize(app, title):
        return
    how = await entry.menu(scr, title, [t("m_by_voucher"), t("m_by_keyed")])
    if how is None:
        return
    orig = await (_original_from_journal(app, title) if how == 0 else _original_keyed(app, title))
    if orig is None:
        return
    rec = None if isinstance(orig, dict) else orig
    if rec is not None:
        why = refusal(app, rec)
        if why:
            await entry.message(scr, title, [why, t("l_voucher") + rec.voucher])
            return
        orig = {"auth": rec.auth_code, "host_date": rec.host_date, "amount": rec.amount,
                "batch": rec.batch, "voucher": rec.voucher}
    card = await read_card(scr, title, "RMB " + entry.yuan(orig["amount"]))
    if card is None:
        return
    if rec is not None and not app.journal.same_card(rec, card["pan"]):
        await entry.message(scr, title, [t("wrong_card")])
        return
    summary = [
        t("l_card") + pan.mask(card["pan"]),
        ("RMB " + entry.yuan(orig["amount"]), RIGHT),
        "%s %s/%s" % (orig["auth"], orig["host_date"][:2], orig["host_date"][2:]),
    ]
    if not await entry.confirm(scr, title, summary):
        return
    if not await app.online.ready(title):
        return
    mti, fields = _request(app, card, orig)
    link = (rec.batch, rec.voucher) if rec is not None else None
    res = await app.online.send(title, "void", mti, fields, link)
    if not await app.online.explain(title, res):
        return
    resp = res.fields
    y, mo, d, h, mi, s = app.hw.clock.now()
    void = {
        "void_voucher": fields[11], "void_date": "%04d%02d%02d" % (y, mo, d),
        "void_time": "%02d%02d%02d" % (h, mi, s), "void_rrn": resp.get(37, ""),
        "void_auth": (resp.get(38) or "").strip(),
    }
    if rec is not None:
        try:
            app.journal.mark_voided(rec, **void)
        except Exception as e:  # approved but not recorded: reverse it (06)
            app.hw.log("journal mark failed:", e)
            app.online.keep_reversal(res, "06")
            await entry.message(scr, title, [t("store_fail"), t("will_reverse")])
            return
    app.reversal.clear()
    del res  # the response is recorded: free it before the receipts
    slip = receipt.void_slip(app, rec, orig, card, fields, void)
    app.remember_receipt("void", slip if rec is None else rec)
    await entry.message(scr, t("approved"), [t("m_void"), ("RMB " + entry.yuan(orig["amount"]),
                                                          RIGHT)], 2000)
    await receipt.print_both(app, slip)
