"""The pre-auth lifecycle on the real firmware (unix port, simulator board), driven through
the control interface against the host simulator."""

import re
import time

import pytest

from tests.integration import flows
from tests.integration.flows import APPROVE_PAN, OTHER_PAN


def hold_of(db, auth):
    (h,) = [h for h in flows.holds(db) if h["auth_code"] == auth]
    return h


def test_preauth_then_void_releases_the_hold(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 12345)
    h = hold_of(db, auth)
    assert h["state"] == "open" and h["amount"] == 12345 and h["voucher"] == "000002"
    text = flows.void_by_voucher(term, h["voucher"])
    assert "交易成功" in text, text
    term.press("ENTER")
    flows.finish_receipts(term)
    assert hold_of(db, auth)["state"] == "voided"
    slips = [r.text for r in term.receipts()]
    assert len(slips) == 4  # pre-auth and void, merchant and cardholder copies each
    pre_m, pre_c, void_m, void_c = slips
    assert "商户存根 MERCHANT COPY" in pre_m and "持卡人签名" in pre_m
    assert "持卡人存根 CARDHOLDER COPY" in pre_c and "持卡人签名" not in pre_c
    for s in slips:
        assert "622202****0128" in s and APPROVE_PAN not in s
        assert "TERM0001" in s and "898310048990001" in s and "RMB 123.45" in s
    assert "预授权 PRE-AUTH" in pre_m and auth in pre_m
    assert "预授权撤销 PRE-AUTH VOID" in void_m
    assert re.search(r"原凭证号\(ORIG. VOUCHER\):\s*000002", void_m), void_m
    assert re.search(r"凭证号\(VOUCHER NO.\):\s*000003", void_m), void_m


def test_void_refused_locally(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 500)
    voucher = hold_of(db, auth)["voucher"]
    # Another card than the original's.
    assert "卡号不符" in flows.void_by_voucher(term, voucher, pan=OTHER_PAN)
    term.press("ENTER")
    # Not in the journal.
    assert "无此交易" in flows.void_by_voucher(term, "000999")
    term.press("ENTER")
    # Voided once: a second void is refused before anything is sent.
    assert "交易成功" in flows.void_by_voucher(term, voucher)
    term.press("ENTER")
    flows.finish_receipts(term, cardholder=False)
    sent = flows.admin(db, "messages").count("0100")
    assert "原交易已撤销" in flows.void_by_voucher(term, voucher)
    term.press("ENTER")
    assert flows.admin(db, "messages").count("0100") == sent  # nothing went out


def test_void_refused_when_too_old(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 700)
    term.set_clock_offset(31 * 86400)  # validity window: 30 days
    assert "原交易已过期" in flows.void_by_voucher(term, hold_of(db, auth)["voucher"])
    assert hold_of(db, auth)["state"] == "open"


def test_three_wrong_passwords_lock_voids_across_restart(host, term):
    s = flows.void_start(term, password="999999")
    assert "还可尝试2次" in s.text
    term.type("999999")  # asked again on the same screen
    term.press("ENTER")
    term.wait_for("还可尝试1次")
    term.type("999999")
    term.press("ENTER")
    s = term.wait_for("主管功能已锁定")
    term.press("ENTER")
    term.restart(hard=True)  # pulling the plug does not lift the lock
    flows.at_menu(term)
    term.press("2")
    s = term.wait_for("主管功能已锁定")
    assert "分钟后再试" in s.text
    term.press("ENTER")
    term.set_clock_offset(6 * 60)  # after five minutes the right password works again
    s = flows.void_start(term)
    assert "按凭证号" in s.text
    term.press("CANCEL")


@pytest.mark.parametrize("case", ["not_found_25", "wrong_amount_64"])
def test_void_declined_by_host_is_explained(host, term, case):
    db, _ = host
    auth = flows.approved_preauth(term, 8800)
    h = hold_of(db, auth)
    if case == "not_found_25":
        text = flows.void_keyed(term, "ZZ9999", h["host_date"], 8800)
        assert re.search(r"25\s+找不到原始交易", text), text
    else:
        text = flows.void_keyed(term, auth, h["host_date"], 8801)
        assert re.search(r"64\s+原始金额错误", text), text
    term.press("ENTER")
    assert hold_of(db, auth)["state"] == "open"


def test_host_timeout_stores_reversal_sent_before_next_preauth(host, term):
    db, _ = host
    flows.admin(db, "fault", "add", "no_answer", "--mti", "0100", "--count", "1")
    text = flows.preauth(term, 4242)
    assert "交易超时" in text and "已记录冲正" in text
    term.press("ENTER")
    (lost,) = flows.holds(db)  # the host approved it; the terminal never heard
    assert lost["state"] == "open"
    flows.at_menu(term)
    assert "有未完成冲正" in term.screen().text
    auth = flows.approved_preauth(term, 100)
    hs = {h["voucher"]: h for h in flows.holds(db)}
    assert hs[lost["voucher"]]["state"] == "reversed"
    assert hs[hold_of(db, auth)["voucher"]]["state"] == "open"
    revs = flows.admin(db, "reversals")
    assert lost["voucher"] in revs and "98" in revs


def test_hard_kill_between_request_and_response(host, term):
    db, _ = host
    flows.admin(db, "fault", "add", "delay", "--mti", "0100", "--count", "1",
                "--delay", "2")
    flows.at_menu(term)
    term.press("1")
    term.wait_for("请输入金额")
    term.type("3300")
    term.press("ENTER")
    flows.enter_card(term, APPROVE_PAN)
    term.wait_for("确认键继续")
    term.press("ENTER")
    term.wait_for("处理中")
    deadline = time.monotonic() + 10
    while not flows.holds(db):  # the host has the request; its answer is 2 s away
        assert time.monotonic() < deadline, "the request never reached the host"
        time.sleep(0.05)
    term.kill()  # power cut while the request is out
    term.start()
    s = flows.at_menu(term)
    assert "有未完成冲正" in s.text
    (h,) = flows.holds(db)
    assert h["state"] == "open"
    flows.approved_preauth(term, 100)  # the reversal goes out first
    assert {x["voucher"]: x for x in flows.holds(db)}[h["voucher"]]["state"] == "reversed"


def test_restart_between_preauth_and_void_keeps_the_record(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 9900, swipe=False)
    term.restart()
    text = flows.void_by_voucher(term, hold_of(db, auth)["voucher"])
    assert "交易成功" in text, text
    term.press("ENTER")
    flows.finish_receipts(term, cardholder=False)
    assert hold_of(db, auth)["state"] == "voided"


def test_flash_never_holds_the_pan(host, term):
    db, _ = host
    flows.approved_preauth(term, 1000)
    auth = flows.approved_preauth(term, 2000, pan=OTHER_PAN, swipe=False)
    flows.admin(db, "fault", "add", "no_answer", "--mti", "0100", "--count", "1")
    flows.preauth(term, 3000)  # leaves a pending reversal, which must resend F2
    term.press("ENTER")
    flows.at_menu(term)
    assert "有未完成冲正" in term.screen().text
    term.stop()
    image = (term.dir / "flash.img").read_bytes()
    for pan in (APPROVE_PAN, OTHER_PAN):
        assert pan.encode() not in image
        bcd = bytes.fromhex(pan + "0" * (len(pan) % 2))
        assert bcd not in image
        assert bytes.fromhex(pan[:18]) not in image  # BCD, whatever the padding
    assert auth.encode() in image  # the journal is really in this image
