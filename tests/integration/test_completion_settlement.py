"""Completion, completion void, settlement and the next batch, on the real firmware (unix
port, simulator board), driven through the control interface against the host simulator:
each flow, each local refusal, their reversals, and what reached the host."""

import re

from host_tools.hostsim.ledger import DEFAULT_TID, Ledger
from tests.integration import flows
from tests.integration.flows import APPROVE_PAN, EXPIRY, OTHER_PAN

TERM_TIMEOUTS = {"response_timeout_s": 2, "connect_timeout_s": 2}


def ledger(db):
    led = Ledger(str(db))
    try:
        return {"holds": led.holds(), "completions": led.completions(), "txns": led.txns(),
                "settlements": led.settlements(), "reversals": led.reversals(),
                "batch": led.terminal(DEFAULT_TID).batch}
    finally:
        led.close()


def hold(db, auth):
    (h,) = [h for h in ledger(db)["holds"] if h["auth_code"] == auth]
    return h


def slip_of(term):
    return term.receipts()[-1].text


def fault(db, kind, mti, count=1):
    led = Ledger(str(db))
    try:
        led.add_fault(kind, mti=mti, count=count)
    finally:
        led.close()


def test_preauth_completion_completion_void(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 10000)
    pre_voucher = hold(db, auth)["voucher"]
    text = flows.completion(term, "auth", auth, 11500)  # 115 %: the most allowed
    assert "交易成功" in text and "115.00" in text, text
    cv = flows.approved(term, text)
    slip = slip_of(term)
    assert "预授权完成(请求) COMPLETION" in slip and "RMB 115.00" in slip
    assert re.search(r"原凭证号\(ORIG\. VOUCHER\):\s*" + pre_voucher, slip), slip
    assert re.search(r"授权码\(AUTH NO\.\):\s*" + auth, slip), slip
    led = ledger(db)
    assert hold(db, auth)["state"] == "completed"
    (comp,) = led["completions"]
    assert (comp["amount"], comp["voucher"], comp["state"]) == (11500, cv, "standing")

    text = flows.cvoid(term, cv)
    xv = flows.approved(term, text)
    slip = slip_of(term)
    assert "预授权完成撤销 COMPLETION VOID" in slip and "RMB 115.00" in slip
    assert re.search(r"原凭证号\(ORIG\. VOUCHER\):\s*" + cv, slip), slip
    assert hold(db, auth)["state"] == "completion_voided"
    assert ledger(db)["completions"][0]["state"] == "voided"
    # the request was as wire-format §3 has it: 37 the completion's RRN, 61 its batch,
    # voucher and date (the host found the completion by them: it said 00)
    cvoid_txn = [t for t in ledger(db)["txns"] if t["kind"] == "completion_void"]
    assert [(t["voucher"], t["rc"]) for t in cvoid_txn] == [(xv, "00")]

    # the pre-auth is final now: no void, no second completion
    text = flows.void_by_voucher(term, pre_voucher)
    assert "原交易已完成撤销" in text, text
    term.press("ENTER")
    text = flows.completion(term, "voucher", pre_voucher, 100)
    assert "原交易已完成撤销" in text, text
    term.press("ENTER")
    # and the completion cannot be voided twice
    text = flows.cvoid(term, cv)
    assert "原交易已撤销" in text, text
    term.press("ENTER")
    flows.at_menu(term)
    assert [t["kind"] for t in ledger(db)["txns"]] == ["preauth", "completion",
                                                       "completion_void"]


def test_completion_refusals_send_nothing(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 10000)
    voucher = hold(db, auth)["voucher"]
    text = flows.completion(term, "voucher", voucher, 11501)  # over 115 %
    assert "超过原金额115%" in text and "115.00" in text, text
    term.press("CANCEL")  # the message; then the amount screen again: leave it
    term.wait_for("完成金额")
    term.press("CANCEL")
    text = flows.completion(term, "voucher", "000001", 100)  # the sign-in's: no record
    assert "无此交易" in text, text
    term.press("ENTER")
    text = flows.completion(term, "auth", "ZZZZZ9", 100)
    assert "无此交易" in text, text
    term.press("ENTER")
    flows.at_menu(term)
    assert [t["kind"] for t in ledger(db)["txns"]] == ["preauth"]

    # completed, then: a second completion and a void of the pre-auth are refused
    cv = flows.approved(term, flows.completion(term, "voucher", voucher, 9000))
    text = flows.completion(term, "auth", auth, 100)
    assert "原交易已完成" in text, text
    term.press("ENTER")
    text = flows.void_by_voucher(term, voucher)
    assert "原交易已完成" in text and "请做完成撤销" in text, text  # names the way
    term.press("ENTER")
    # a completion void of something that is not a completion, a completion of one
    text = flows.cvoid(term, voucher)
    assert "非预授权完成交易" in text, text
    term.press("ENTER")
    text = flows.completion(term, "voucher", cv, 100)
    assert "非预授权交易" in text, text
    term.press("ENTER")
    flows.at_menu(term)
    assert [t["kind"] for t in ledger(db)["txns"]] == ["preauth", "completion"]
    assert ledger(db)["completions"][0]["voucher"] == cv

    # a voided pre-auth cannot be completed; a wrong card is refused before sending
    a2 = flows.approved_preauth(term, 2000)
    v2 = hold(db, a2)["voucher"]
    text = flows.completion(term, "voucher", v2, 2000, pan=OTHER_PAN)
    assert "卡号不符" in text, text
    term.press("ENTER")
    flows.approved(term, flows.void_by_voucher(term, v2))
    text = flows.completion(term, "auth", a2, 2000)
    assert "原交易已撤销" in text, text
    term.press("ENTER")


def test_completion_keyed_original(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 5000)
    h = hold(db, auth)
    flows.at_menu(term)
    term.press(flows.KEYS["completion"])
    term.wait_for("按凭证号")
    term.press("3")  # 手工输入原交易
    term.wait_for("原授权码")
    term.type(auth)
    term.press("ENTER")
    term.wait_for("原交易日期")
    term.type(h["host_date"])
    term.press("ENTER")
    term.wait_for("原交易金额")
    term.type("5000")
    term.press("ENTER")
    term.wait_for("完成金额")
    term.type("4000")
    term.press("ENTER")
    term.wait_for("请刷卡或输卡号")
    term.swipe(APPROVE_PAN, EXPIRY)
    flows.enter_pin(term)
    term.wait_for("/")
    term.press("ENTER")
    flows.approved(term, term.wait_for(flows.DONE, 30).text)
    # found in the journal: F61 named it (the host checked batch, voucher, date)
    assert hold(db, auth)["state"] == "completed"
    assert re.search(r"原凭证号\(ORIG\. VOUCHER\):\s*" + h["voucher"], slip_of(term))


def test_settlement_balanced_then_the_next_batch(host, term):
    db, _ = host
    a1 = flows.approved_preauth(term, 10000)
    c1 = flows.approved(term, flows.completion(term, "auth", a1, 10000))
    flows.approved(term, flows.cvoid(term, c1))  # completion-voided: final, no debit
    a2 = flows.approved_preauth(term, 20000)
    flows.approved(term, flows.completion(term, "auth", a2, 21000))  # the standing one
    a3 = flows.approved_preauth(term, 30000)  # stays open, into the next batch
    v3 = hold(db, a3)["voucher"]
    a4 = flows.approved_preauth(term, 40000)
    v4 = hold(db, a4)["voucher"]

    text = flows.settle(term)
    assert "结算完成" in text and "对账平" in text and "000002" in text, text
    term.wait_for(flows.MENU, 20)
    report = slip_of(term)
    assert "结算单" in report and "对账平 BALANCED" in report, report
    assert re.search(r"借记 DEBIT 1\s+210\.00", report), report
    assert re.search(r"预授权 PRE-AUTH\n\s+4\s+1,000\.00", report), report
    assert re.search(r"完成撤销 COMPLETION VOID\n\s+1\s+100\.00", report), report
    led = ledger(db)
    (s,) = led["settlements"]
    assert (s["batch"], s["flag"], led["batch"]) == (1, "1", 2)
    assert s["terminal_f48"][:15] == "000000021000001"  # debits: 210.00 yuan, 1

    # the next batch: numbering and journal start empty, the old pre-auths still usable
    a5 = flows.approved_preauth(term, 500)
    assert hold(db, a5)["batch"] == 2
    flows.approved(term, flows.void_by_voucher(term, v3))
    text = flows.completion(term, "voucher", v4, 40000)
    flows.approved(term, text)
    assert hold(db, a3)["state"] == "voided" and hold(db, a4)["state"] == "completed"
    comp = [c for c in ledger(db)["completions"] if c["hold_id"] == hold(db, a4)["id"]]
    assert comp[0]["batch"] == 2  # a debit of the batch it was made in
    # a completion of the settled batch can no longer be voided
    assert "原交易已结算" in flows.cvoid(term, c1)
    term.press("ENTER")
    # the last settlement report reprints
    flows.at_menu(term)
    term.press(flows.KEYS["reprint"])
    term.wait_for("重打结算单")
    term.press("3")
    term.wait_for(flows.MENU, 20)
    assert "结算单" in slip_of(term) and "重打印 DUPLICATED" in slip_of(term)


def test_settlement_without_an_answer_stays_pending(host, term):
    db, _ = host
    a = flows.approved_preauth(term, 10000)
    flows.approved(term, flows.completion(term, "auth", a, 10000))
    fault(db, "no_answer", "0500")
    text = flows.settle(term)
    assert "交易超时" in text and "请重新结算" in text, text
    term.press("ENTER")
    s = flows.at_menu(term)
    assert "结算未完成" in s.text
    term.press(flows.KEYS["preauth"])  # nothing financial until the batch is closed
    s = term.wait_for("请重新结算")
    term.press("ENTER")
    term.restart(hard=True)  # a power cut: the terminal still knows
    assert "结算未完成" in flows.at_menu(term).text
    # the host settled it already (it answered too late): settling again repeats its
    # answer and the batch closes once
    assert [s["batch"] for s in ledger(db)["settlements"]] == [1]
    text = flows.settle(term)
    assert "结算完成" in text and "000002" in text, text
    term.wait_for(flows.MENU, 20)
    led = ledger(db)
    assert led["batch"] == 2 and [s["batch"] for s in led["settlements"]] == [1, 1]
    assert "结算未完成" not in flows.at_menu(term).text
    assert hold(db, flows.approved_preauth(term, 100))["batch"] == 2


def test_pending_settlement_settles_its_own_batch_after_a_sign_in(host, term):
    """The host settled batch 1 but its answer was lost; a sign-in then moves the
    terminal to batch 2. Settling again must close batch 1 (the one pending), not 2."""
    db, _ = host
    a = flows.approved_preauth(term, 10000)
    flows.approved(term, flows.completion(term, "auth", a, 10000))
    fault(db, "no_answer", "0500")
    assert "交易超时" in flows.settle(term)
    term.press("ENTER")
    flows.at_menu(term)
    term.press(flows.KEYS["signin"])
    term.wait_for("签到成功", 15)
    term.press("ENTER")
    assert "结算未完成" in flows.at_menu(term).text
    text = flows.settle(term)
    assert "结算完成" in text and "000002" in text, text
    term.wait_for(flows.MENU, 20)
    led = ledger(db)
    assert [s["batch"] for s in led["settlements"]] == [1, 1] and led["batch"] == 2
    assert "结算未完成" not in flows.at_menu(term).text
    assert hold(db, flows.approved_preauth(term, 100))["batch"] == 2


def test_settlement_drops_batches_past_the_validity_window(host, term):
    """A batch whose newest record is older than the validity window (30 days) goes from
    flash at the next settlement, and the screen says which; the batch just settled
    stays (query, reprint)."""
    db, _ = host
    a1 = flows.approved_preauth(term, 10000)
    v1 = hold(db, a1)["voucher"]
    assert "结算完成" in flows.settle(term)
    term.wait_for(flows.MENU, 20)
    term.set_clock_offset(31 * 86400)  # a month later
    a2 = flows.approved_preauth(term, 20000)
    assert "结算完成" in flows.settle(term)
    term.press("ENTER")
    s = term.wait_for("已删除旧批次", 15)
    assert "000001" in s.text, s.text
    term.press("ENTER")
    term.wait_for(flows.MENU, 20)
    assert "无此交易" in flows.void_by_voucher(term, v1)  # batch 1 is gone from flash
    term.press("ENTER")
    flows.approved(term, flows.completion(term, "auth", a2, 20000))  # batch 2 stays
    assert hold(db, a2)["state"] == "completed"


def test_completion_reversals(host, term):
    db, _ = host
    a = flows.approved_preauth(term, 10000)
    fault(db, "no_answer", "0200")
    text = flows.completion(term, "auth", a, 9000)
    assert "交易超时" in text and "已记录冲正" in text, text
    term.press("ENTER")
    assert hold(db, a)["state"] == "completed"  # the host did it; the terminal cannot know
    assert "有未完成冲正" in flows.at_menu(term).text
    # the next transaction sends the reversal first: the host undoes the completion
    text = flows.completion(term, "auth", a, 9500)
    assert "交易成功" in text, text
    flows.approved(term, text)
    led = ledger(db)
    assert [(r["proc"], r["reason"], r["outcome"]) for r in led["reversals"]] == [
        ("000000", "98", "completion reversed, hold re-opened")]
    assert [c["state"] for c in led["completions"]] == ["reversed", "standing"]
    assert [c["amount"] for c in led["completions"]] == [9000, 9500]

    # a completion void answered with a bad MAC: reversed with reason A0
    c = [t for t in led["txns"] if t["kind"] == "completion"][-1]["voucher"]
    fault(db, "bad_mac", "0200")
    text = flows.cvoid(term, c)
    assert "MAC校验错" in text, text
    term.press("ENTER")
    flows.at_menu(term)
    flows.approved_preauth(term, 100)  # sign-in, the reversal, then this one
    led = ledger(db)
    assert led["reversals"][-1]["reason"] == "A0" and led["reversals"][-1]["proc"] == "200000"
    assert led["completions"][-1]["state"] == "standing"  # the void was undone


def test_english(host, term):
    flows.admin_start(term)
    term.press("1")  # 语言/Language
    term.wait_for("Supervisor pwd")
    term.press("CANCEL")
    s = term.wait_for(flows.MENU_EN)
    assert "3.Completion" in s.text
    term.press("DOWN")
    s = term.wait_for("5.Settlement")
    assert "4.Compl. void" in s.text
    term.press("3")
    s = term.wait_for("By auth code")
    assert "Completion" in s.text
    term.press("CANCEL")
    term.wait_for(flows.MENU_EN)
