# 预授权: amount, card, confirmation, 0100/030000. On approval the record is in the flash
# journal before the result is shown; then the merchant copy prints, and the cardholder
# copy when the operator asks for it.
from app import receipt
from app.card import read_card
from app.strings import t
from host import messages
from journal import pan
from journal.preauth import Record
from ui import entry
from ui.screen import RIGHT


def _request(app, card, fen):
    st = app.state
    return messages.financial(messages.PREAUTH, app.cfg, st.batch_no, st.take_voucher(),
                              card, fen, app.read_cap)


async def run(app):
    title = t("m_preauth")
    scr, j = app.scr, app.journal
    if j.full():
        await entry.message(scr, title, [t("batch_full"), t("batch_full_hint")])
        return
    fen = await entry.amount(scr, title)
    if fen is None:
        return
    card = await read_card(scr, title, "RMB " + entry.yuan(fen))
    if card is None:
        return
    ok = await entry.confirm(scr, title, [t("l_card") + pan.mask(card["pan"]),
                                          t("l_amount") + entry.yuan(fen), t("confirm_hint")])
    if not ok or not await app.online.ready(title):
        return
    st = app.state
    mti, fields = _request(app, card, fen)
    res = await app.online.send(title, "preauth", mti, fields)
    if not await app.online.explain(title, res):
        return
    resp = res.fields
    auth = (resp.get(38) or "").strip()
    if not auth:  # an approval without an auth code cannot be voided later: undo it
        app.online.keep_reversal(res, "06")
        await entry.message(scr, title, [t("store_fail"), t("will_reverse")])
        return
    y, mo, d, h, mi, s = app.hw.clock.now()
    rec = Record(
        voucher=fields[11], batch=st.batch_no, date="%04d%02d%02d" % (y, mo, d),
        time="%02d%02d%02d" % (h, mi, s), amount=fen, auth_code=auth,
        rrn=resp.get(37, ""), host_date=resp.get(13, "%02d%02d" % (mo, d)),
        expiry=card["expiry"], entry_mode=fields[22], card_org=(resp.get(63) or "CUP")[:3],
    )
    rec.set_card(j.keys, card["pan"])
    try:
        j.add(rec)
    except Exception as e:  # full or flash failure after the host approved: reverse (06)
        app.hw.log("journal add failed:", e)
        app.online.keep_reversal(res, "06")
        await entry.message(scr, title, [t("store_fail"), t("will_reverse")])
        return
    app.reversal.clear()
    del res  # the response is recorded: free it before the receipts
    app.remember_receipt("preauth", rec)
    await entry.message(scr, t("approved"), [t("auth_code") + auth,
                                             ("RMB " + entry.yuan(fen), RIGHT)], 2000)
    await receipt.print_both(app, receipt.from_record(app, rec, "preauth"))
    if j.nearly_full():
        await entry.message(scr, title, [t("batch_nearly_full"), t("batch_full_hint")], 5000)
