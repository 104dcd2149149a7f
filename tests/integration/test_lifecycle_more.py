"""More of the pre-auth lifecycle on the real firmware (unix port, simulator board),
driven through the control interface against the host simulator: the printer out of
paper and reprints, reversals that keep failing, a MAC failure, the English UI, the
journal query, a nearly full and a full batch, keyed card entry, the host down."""

import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from host_tools.hostsim.process import running_hostsim
from host_tools.runtime import MP_DIR
from host_tools.simctl import SimTerminal
from tests.integration import flows
from tests.integration.flows import APPROVE_PAN, EXPIRY
from tests.mp import run_mp

FILL = MP_DIR / "fill_journal.py"
DECLINE_51 = "6222020000000000513"  # docs/host-simulator.md: insufficient funds
MASKED_SLIP = "622202****0128"  # APPROVE_PAN as receipts print it
MASKED_SCREEN = "622202*********0128"  # ... and as the display shows it


class Host(NamedTuple):
    db: Path
    port: int
    proc: object


@pytest.fixture
def host(tmp_path):
    with running_hostsim(tmp_path / "host.db") as (proc, port):
        yield Host(tmp_path / "host.db", port, proc)


@pytest.fixture
def term(tmp_path, host):
    t = SimTerminal(tmp_path / "term", config={"port": host.port, "response_timeout_s": 3,
                                                "connect_timeout_s": 2})
    t.start()
    yield t
    t.stop()


def hold_of(db, auth):
    (h,) = [h for h in flows.holds(db) if h["auth_code"] == auth]
    return h


def auth_of(text):
    m = re.search(r"授权码:(\w{6})", text)
    assert "交易成功" in text and m, text
    return m.group(1)


def voucher_on(slip):
    m = re.search(r"凭证号\(VOUCHER NO\.\):\s*(\d{6})", slip)
    assert m, slip
    return m.group(1)


def start_preauth(term, fen, pan=APPROVE_PAN):
    """Menu 1 up to ENTER on the confirmation screen (the request may go out next)."""
    flows.at_menu(term)
    term.press("1")
    term.wait_for("请输入金额")
    term.type(str(fen))
    term.press("ENTER")
    flows.enter_card(term, pan)
    term.wait_for("确认键继续")
    term.press("ENTER")


def reprint_menu(term, how):
    """Menu 4 (重打印), then 1 (重打上笔) or 2 (重打任意笔)."""
    flows.at_menu(term)
    term.press(flows.KEYS["reprint"])
    term.wait_for("重打任意笔")
    term.press(how)


# ------------------------------------------------------------------- 1. paper out


def test_paper_out_keeps_the_preauth_and_reprints_later(host, term):
    term.set_paper(False)
    text = flows.preauth(term, 2345)
    auth = auth_of(text)
    term.press("ENTER")
    s = term.wait_for("打印机缺纸", 15)
    assert "装纸后可重打印" in s.text
    assert term.printed_bytes() == 0 and term.receipts() == []
    term.press("ENTER")
    flows.at_menu(term)
    h = hold_of(host.db, auth)
    assert h["state"] == "open" and h["amount"] == 2345
    # Journalled: the query shows it.
    term.press(flows.KEYS["query"])
    s = term.wait_for("预授权 " + h["voucher"])
    assert auth in s.text and "23.45" in s.text
    term.press("CANCEL")

    term.set_paper(True)
    reprint_menu(term, "1")  # 重打上笔
    flows.finish_receipts(term)
    slips = [r.text for r in term.receipts()]
    assert len(slips) == 2
    for slip in slips:
        assert "重打印 DUPLICATED" in slip and "预授权 PRE-AUTH" in slip
        assert auth in slip and MASKED_SLIP in slip and APPROVE_PAN not in slip
        assert voucher_on(slip) == h["voucher"]
    assert "商户存根" in slips[0] and "持卡人存根" in slips[1]

    # Void it, then reprint the pre-auth and the void by voucher number.
    assert "交易成功" in flows.void_by_voucher(term, h["voucher"])
    term.press("ENTER")
    flows.finish_receipts(term, cardholder=False)
    void_voucher = voucher_on(term.receipts()[-1].text)
    assert void_voucher != h["voucher"]
    for voucher, kind in ((h["voucher"], "预授权 PRE-AUTH"),
                          (void_voucher, "预授权撤销 PRE-AUTH VOID")):
        n = len(term.receipts())
        reprint_menu(term, "2")  # 重打任意笔
        term.wait_for("凭证号:")
        term.type(voucher.lstrip("0"))
        term.press("ENTER")
        flows.finish_receipts(term, cardholder=False)
        (slip,) = [r.text for r in term.receipts()[n:]]
        assert "重打印 DUPLICATED" in slip and kind in slip and "商户存根" in slip
        assert voucher_on(slip) == voucher and MASKED_SLIP in slip and APPROVE_PAN not in slip
    assert re.search(r"原凭证号\(ORIG\. VOUCHER\):\s*" + h["voucher"], slip), slip
    assert hold_of(host.db, auth)["state"] == "voided"


# ------------------------------------------------------ 2. a reversal that keeps failing


def test_reversal_failing_three_times_prints_slip_and_stops_blocking(host, term):
    db = host.db
    flows.admin(db, "fault", "add", "no_answer", "--mti", "0100", "--count", "1")
    text = flows.preauth(term, 4242)
    assert "交易超时" in text and "已记录冲正" in text
    term.press("ENTER")
    assert "有未完成冲正" in flows.at_menu(term).text
    (lost,) = flows.holds(db)
    flows.admin(db, "fault", "add", "no_answer", "--mti", "0400")  # every reversal fails

    for attempt in (1, 2, 3):
        sent = flows.mtis(db)
        start_preauth(term, 100 + attempt)
        s = term.wait_for("冲正不成功", 20)
        # The reversal went first and failed.
        assert flows.mtis(db)[len(sent):] == ["0400"], attempt
        assert len(flows.holds(db)) == 1
        if attempt < 3:
            # ...and the new pre-auth stayed in the terminal: it blocks.
            assert "交易超时" in s.text and "稍后重试" in s.text
            assert not term.receipts()
            term.press("ENTER")
            flows.at_menu(term)
            assert flows.mtis(db)[len(sent):] == ["0400"], attempt
        else:
            # The last attempt: slip printed, reversal set aside, and it stops blocking:
            # the pre-auth at hand goes out.
            assert "冲正未成功记录" in s.text
            term.press("ENTER")
            assert "交易成功" in term.wait_for(flows.DONE, 30).text
            term.press("ENTER")
            flows.finish_receipts(term, cardholder=False)
            assert flows.mtis(db)[len(sent):] == ["0400", "0100"]
            assert "冲正未成功记录" in flows.at_menu(term).text  # the menu title says so

    (slip,) = [r.text for r in term.receipts() if "REVERSAL FAILED" in r.text]
    assert "冲正不成功 REVERSAL FAILED" in slip
    assert re.search(r"凭证号\(VOUCHER NO\.\):\s*" + lost["voucher"], slip), slip
    assert MASKED_SLIP in slip and APPROVE_PAN not in slip
    assert re.search(r"原因\(REASON\):\s*98", slip), slip
    assert re.search(r"尝试次数\(ATTEMPTS\):\s*3", slip), slip
    assert "RMB 42.42" in slip

    # 管理 -> 冲正记录 shows it flagged; the supervisor clears it.
    flows.admin_start(term)
    term.press("4")
    s = term.wait_for("冲正记录")
    assert "凭证号:" + lost["voucher"] in s.text and "冲正未成功记录" in s.text, s.text
    assert "98" in s.text
    term.press("ENTER")
    term.wait_for("已清除")
    term.press("ENTER")
    term.wait_for("语言/Language")
    term.press("4")
    term.wait_for("无冲正记录")
    term.press("ENTER")
    term.wait_for("语言/Language")
    term.press("CANCEL")
    s = flows.at_menu(term)
    assert "有未完成冲正" not in s.text and "预授权终端" in s.text

    # Nothing blocks any more: the next pre-auth goes through, no reversal is sent.
    flows.admin(db, "fault", "clear")
    sent = flows.mtis(db)
    auth = flows.approved_preauth(term, 500)
    assert flows.mtis(db)[len(sent):] == ["0100"]
    assert hold_of(db, auth)["state"] == "open"
    # The host applied each 0400 (faults only spoil answers): the terminal never heard.
    assert hold_of(db, lost["auth_code"])["state"] == "reversed"
    revs = [r for r in flows.admin(db, "reversals").splitlines() if lost["voucher"] in r]
    assert len(revs) == 3, revs


# -------------------------------------------------------------------- 3. MAC failure


def test_bad_mac_reverses_with_a0_after_signing_in_again(host, term):
    db = host.db
    flows.admin(db, "fault", "add", "bad_mac", "--mti", "0100", "--count", "1")
    text = flows.preauth(term, 5151)
    assert "MAC校验错" in text and "请重新签到" in text, text
    term.press("ENTER")
    assert "有未完成冲正" in flows.at_menu(term).text
    (first,) = flows.holds(db)
    assert first["state"] == "open"  # the host approved; the terminal cannot trust it
    # The stored reversal carries reason A0 (seen in 管理, not sent from there).
    flows.admin_start(term)
    term.press("4")
    s = term.wait_for("冲正记录")
    assert "凭证号:" + first["voucher"] in s.text and "A0" in s.text, s.text
    term.press("CANCEL")
    term.wait_for("语言/Language")
    term.press("CANCEL")

    sent = flows.mtis(db)
    auth = flows.approved_preauth(term, 100)
    assert flows.mtis(db)[len(sent):] == ["0800", "0400", "0100"]
    assert hold_of(db, first["auth_code"])["state"] == "reversed"
    assert hold_of(db, auth)["state"] == "open"
    revs = flows.admin(db, "reversals")
    (row,) = [r for r in revs.splitlines() if first["voucher"] in r]
    assert "A0" in row.split()
    assert "有未完成冲正" not in flows.at_menu(term).text


# ----------------------------------------------------------------------- 4. language


def test_english_survives_restart_and_explains_declines(host, term):
    flows.admin_start(term)
    term.press("1")  # 语言/Language
    s = term.wait_for("Supervisor pwd")
    assert "Admin" in s.text and "语言/Language" in s.text
    term.press("CANCEL")
    s = term.wait_for(flows.MENU_EN)
    assert "PRE-AUTH POS" in s.text and "2.Pre-auth void" in s.text and "3.Completion" in s.text
    term.press("DOWN")
    s = term.wait_for("6.Query")
    assert "4.Compl. void" in s.text and "5.Settlement" in s.text
    term.press("DOWN")
    s = term.wait_for("9.Admin")
    assert "7.Reprint" in s.text and "8.Sign in" in s.text

    term.press("1")
    term.wait_for("Amount:")
    term.type("5100")
    term.press("ENTER")
    term.wait_for("Swipe or key PAN")
    term.swipe(DECLINE_51, EXPIRY)
    term.wait_for("Cardholder PIN")
    term.press("ENTER")  # the card has no PIN
    term.wait_for("ENTER to go on")
    term.press("ENTER")
    s = term.wait_for("Declined", 30)
    assert re.search(r"51 Insufficient\s+funds", s.text), s.text
    assert not re.search(r"[\u4e00-\u9fff]", s.text), s.text  # no Chinese left
    assert flows.holds(host.db) == []
    term.press("ENTER")
    term.wait_for(flows.MENU_EN)

    term.restart()
    s = term.wait_for(flows.MENU_EN, 20)
    assert "PRE-AUTH POS" in s.text

    flows.admin_start(term, menu=flows.MENU_EN)
    term.press("1")
    term.wait_for("修改主管密码")
    term.press("CANCEL")
    s = flows.at_menu(term)
    assert "预授权终端" in s.text and "2.预授权撤销" in s.text


# -------------------------------------------------------------------------- 5. query


def test_query_newest_first_details_and_reprint(host, term):
    a1 = flows.approved_preauth(term, 1111)
    a2 = flows.approved_preauth(term, 2222)
    v1, v2 = hold_of(host.db, a1)["voucher"], hold_of(host.db, a2)["voucher"]
    assert "交易成功" in flows.void_by_voucher(term, v1)
    term.press("ENTER")
    flows.finish_receipts(term, cardholder=False)
    void_voucher = voucher_on(term.receipts()[-1].text)

    flows.at_menu(term)
    term.press(flows.KEYS["query"])
    s = term.wait_for("撤销 " + void_voucher)  # the newest first: the void, a record too
    assert "11.11" in s.text and "成功" in s.text and a1 in s.text
    term.press("DOWN")
    s = term.wait_for("预授权 " + v2)
    assert "22.22" in s.text and "有效" in s.text and a2 in s.text
    term.press("DOWN")
    s = term.wait_for("预授权 " + v1)
    assert "11.11" in s.text and "已撤销" in s.text and a1 in s.text
    term.press("UP")
    term.wait_for("预授权 " + v2)
    term.press("DOWN")
    term.wait_for("预授权 " + v1)

    term.press("ENTER")
    s = term.wait_for("状态:")
    seen = [s.text]
    for _ in range(7):  # ten detail lines, three at a time
        term.press("DOWN")
        s = term.wait_screen(s.seq)
        seen.append(s.text)
    details = "\n".join(seen)
    assert "凭证号:" + v1 in details and "状态:已撤销" in details
    assert "卡号:" + MASKED_SCREEN in details and APPROVE_PAN not in details
    assert "金额:11.11" in details and "授权码:" + a1 in details
    assert "后续凭证号:" + void_voucher in seen[-1]  # what voided it

    n = len(term.receipts())
    term.press("ENTER")  # reprint: which slip? the pre-auth's own, or its void's
    s = term.wait_for("重打印")
    assert f"1.预授权 {v1}" in s.text and f"2.撤销 {void_voucher}" in s.text, s.text
    term.press("1")
    term.wait_for("打印持卡人存根")
    term.press("CANCEL")
    term.wait_for("预授权 " + v1)  # back in the list, on the same record
    (slip,) = [r.text for r in term.receipts()[n:]]
    assert "重打印 DUPLICATED" in slip and "预授权 PRE-AUTH" in slip
    assert voucher_on(slip) == v1 and MASKED_SLIP in slip and "原凭证号" not in slip

    for _ in range(2):
        term.press("UP")
    term.wait_for("撤销 " + void_voucher)
    term.press("ENTER")
    s = term.wait_for("状态:")
    assert "撤销 凭证号:" + void_voucher in s.text
    term.press("ENTER")
    s = term.wait_for("重打印")
    assert f"1.撤销 {void_voucher}" in s.text and f"2.预授权 {v1}" in s.text, s.text
    term.press("1")  # the void's slip
    term.wait_for("打印持卡人存根")
    term.press("CANCEL")
    term.wait_for("撤销 " + void_voucher)
    slip = term.receipts()[-1].text
    assert "重打印 DUPLICATED" in slip and "预授权撤销 PRE-AUTH VOID" in slip
    assert voucher_on(slip) == void_voucher and MASKED_SLIP in slip
    assert re.search(r"原凭证号\(ORIG\. VOUCHER\):\s*" + v1, slip), slip
    term.press("CANCEL")
    flows.at_menu(term)


# ------------------------------------------------------------- 6. batch nearly full / full


def fill_journal(term, total, monkeypatch):
    """With the terminal stopped, add synthetic records until its batch holds total."""
    assert not term.running
    monkeypatch.setenv("POS_SIM_DIR", str(term.dir))
    out = run_mp(FILL, total, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["count"] == total and res["batch"] == "000001", res
    return res


def test_batch_nearly_full_then_full(host, term, monkeypatch):
    db = host.db
    flows.at_menu(term)  # signed in: batch 000001, voucher 000001 taken
    term.stop()
    fill_journal(term, 1349, monkeypatch)
    term.start()
    text = flows.preauth(term, 1350)
    auth = auth_of(text)
    term.press("ENTER")
    term.wait_for("打印持卡人存根", 15)
    term.press("CANCEL")
    s = term.wait_for("批次将满")  # the 1,350th record: 90 %
    assert "请先结算" in s.text
    term.press("ENTER")
    flows.at_menu(term)
    h = hold_of(db, auth)
    assert h["state"] == "open" and h["voucher"] == f"{2 + 1349:06d}"
    assert voucher_on(term.receipts()[-1].text) == h["voucher"]

    term.stop()
    res = fill_journal(term, 1500, monkeypatch)
    assert res["added"] == 150
    term.start()
    sent = flows.host_messages(db)
    flows.at_menu(term)
    term.press("1")
    s = term.wait_for("批次已满")  # refused before the amount is even asked for
    assert "请先结算" in s.text
    term.press("ENTER")
    flows.at_menu(term)
    assert flows.host_messages(db) == sent
    assert len(flows.holds(db)) == 1

    # settlement closes the full batch (its synthetic records move no money: the one
    # real pre-auth stays open, no debit); the next batch takes pre-auths at once
    text = flows.settle(term)
    assert "结算完成" in text and "对账平" in text and "000002" in text, text
    term.wait_for(flows.MENU, 30)
    auth2 = flows.approved_preauth(term, 200)
    assert hold_of(db, auth2)["batch"] == 2
    # and the 1,350th, in the settled batch, is still completed by its auth code
    text = flows.completion(term, "auth", auth, 1350)
    flows.approved(term, text)
    assert hold_of(db, auth)["state"] == "completed"


# ------------------------------------------------------------------ 7. keyed card entry


def test_keyed_entry_errors_and_cancel_send_nothing(host, term):
    db = host.db
    flows.at_menu(term)
    sent = flows.host_messages(db)
    term.press("1")
    term.wait_for("请输入金额")
    term.type("100")
    term.press("ENTER")
    term.wait_for("请刷卡或输卡号")
    term.type(APPROVE_PAN[:-1] + "9")  # last digit off: fails Luhn
    term.press("ENTER")
    term.wait_for("卡号错误")
    term.press("ENTER")
    term.wait_for(re.compile(r"请输入卡号:\n_"))  # asked again, empty
    term.type(APPROVE_PAN)
    term.press("ENTER")
    term.wait_for("有效期")
    term.type("2813")  # month 13
    term.press("ENTER")
    term.wait_for("有效期错误")
    term.press("ENTER")
    term.wait_for(re.compile(r"有效期\(YYMM\):\n_"))
    term.type(EXPIRY)
    term.press("ENTER")
    flows.enter_pin(term)
    s = term.wait_for("确认键继续")
    assert "卡号:" + MASKED_SCREEN in s.text and "金额:1.00" in s.text
    term.press("CANCEL")  # on the confirmation screen
    flows.at_menu(term)

    term.press("1")
    term.wait_for("请输入金额")
    term.type("200")
    term.press("ENTER")
    term.wait_for("请刷卡或输卡号")
    term.press("CANCEL")  # on the card screen
    s = flows.at_menu(term)
    assert "有未完成冲正" not in s.text
    assert flows.host_messages(db) == sent
    assert flows.holds(db) == []


# --------------------------------------------------------------- 8. host down at connect


def test_host_down_nothing_sent_no_reversal(host, term):
    flows.at_menu(term)  # signed in while the host was up
    host.proc.terminate()
    host.proc.wait(5)
    text = flows.preauth(term, 700)
    assert "连接主机失败" in text and "交易未发送" in text, text
    term.press("ENTER")
    s = flows.at_menu(term)
    assert "有未完成冲正" not in s.text and "预授权终端" in s.text
    assert flows.holds(host.db) == []
    term.press(flows.KEYS["query"])
    term.wait_for("无交易记录")
    term.press("ENTER")
    flows.at_menu(term)
