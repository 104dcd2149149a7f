"""At the counter: what a new operator tripped over (issue: keys during a wait, a power
cut right after an approval, a wrong supervisor password, refusals without a word, the
reprint of a voided pre-auth, the menu's hidden pages), on the real firmware through the
control interface against the host simulator."""

import re
import time

from host_tools.hostsim.ledger import Ledger
from host_tools.simctl import SimTerminal
from tests.integration import flows

TERM_TIMEOUTS = {"response_timeout_s": 3, "connect_timeout_s": 2}


def _fault(db, kind, **kw):
    led = Ledger(str(db))
    try:
        led.add_fault(kind, **kw)
    finally:
        led.close()


def _to_summary(term, amount_fen=100):
    flows.at_menu(term)
    term.press("1")
    term.wait_for("请输入金额")
    term.type(str(amount_fen))
    term.press("ENTER")
    flows.enter_card(term, flows.APPROVE_PAN)
    term.wait_for("确认键继续")


def _stays(term, text, seconds=1.5):
    """The screen shows text now and still does after `seconds` (nothing took it away)."""
    s = term.wait_for(text, 15)
    time.sleep(seconds)
    again = term.screen()
    assert text in again.text, f"{text!r} went away:\n{again.text}"
    return s


# ---- 1. keys pressed while the terminal waits for the host


def test_keys_pressed_while_waiting_do_not_dismiss_the_no_answer_screen(host, term):
    db, _ = host
    _fault(db, "no_answer", mti="0100", count=1)
    _to_summary(term)
    term.press("ENTER")
    term.wait_for("处理中请稍候")
    term.press("CANCEL")
    term.press("CANCEL")  # the wait cannot be cancelled: these must go nowhere
    s = _stays(term, "交易超时", 2.0)
    assert "已记录冲正" in s.text
    term.press("ENTER")  # acknowledged: now the menu
    flows.at_menu(term)


def test_keys_pressed_while_waiting_do_not_cut_the_approval_short(host, term):
    db, _ = host
    _fault(db, "delay", mti="0100", count=1, delay=1.5)
    _to_summary(term)
    term.press("ENTER")
    term.wait_for("处理中请稍候")
    term.press("CANCEL")
    term.press("CANCEL")
    term.wait_for("交易成功", 15)
    # neither Esc answered the cardholder-copy question that follows the merchant copy
    _stays(term, "打印持卡人存根", 1.5)
    term.press("ENTER")
    flows.at_menu(term)
    assert len(term.receipts()) == 2  # merchant and cardholder copies


# ---- 2. a power cut right after an approval


def test_a_power_cut_before_the_slip_printed_is_announced_at_boot(host, term):
    auth_seen = flows.preauth(term, 4321)  # approved; the approval screen is up
    assert "交易成功" in auth_seen
    term.kill()  # the plug is pulled before the slip prints
    assert term.receipts() == []
    term.start()
    s = term.wait_for("上笔交易成功", 20)
    assert "签购单未打印" in s.text and "预授权 000002" in s.text, s.text
    assert term.beeps() >= 1
    term.press("ENTER")  # print it
    term.wait_for("打印持卡人存根", 15)
    term.press("CANCEL")
    flows.at_menu(term)
    (slip,) = term.receipts()
    assert "000002" in slip.text and "43.21" in slip.text and "重打印" in slip.text
    term.restart(hard=True)  # printed now: nothing more to announce
    s = flows.at_menu(term)
    assert "上笔交易成功" not in s.text


def test_a_printed_slip_is_not_announced_after_a_power_cut(host, term):
    flows.approved_preauth(term, 100)
    term.restart(hard=True)
    s = flows.at_menu(term)
    assert "上笔交易成功" not in s.text and term.beeps() == 0


# ---- 3. a wrong supervisor password


def test_a_wrong_password_is_asked_again_on_the_same_screen(host, term):
    s = flows.void_start(term, password="999999")
    assert "预授权撤销" in s.text and "密码错误" in s.text and "还可尝试2次" in s.text, s.text
    assert term.beeps() == 1
    term.type("123456")  # the next digits are the next try, not a menu choice
    term.press("ENTER")
    s = term.wait_for("按凭证号")
    term.press("CANCEL")


def test_one_try_left_in_english(tmp_path, host):
    _, port = host
    term = SimTerminal(tmp_path / "en", config={"port": port, "language": "en",
                                                 **TERM_TIMEOUTS})
    term.start()
    try:
        term.wait_for(flows.MENU_EN, 20)
        term.press("2")
        term.wait_for("Supervisor pwd")
        for left in ("2 tries left", "1 try left"):
            term.type("999999")
            term.press("ENTER")
            s = term.wait_for(left)
            assert "Wrong password" in s.text
        term.type("999999")
        term.press("ENTER")
        s = term.wait_for("Sup. pwd locked")
    finally:
        term.stop()


# ---- 4. refusals that said nothing


def test_an_amount_of_zero_is_refused_out_loud(host, term):
    flows.at_menu(term)
    term.press("1")
    term.wait_for("请输入金额")
    term.press("ENTER")
    s = term.wait_for("金额不能为0")
    assert "请输入金额" in s.text and term.beeps() == 1
    term.type("5")  # the input goes on
    s = term.wait_for("0.05")
    assert "金额不能为0" not in s.text
    term.press("CANCEL")


def test_a_short_auth_code_is_refused_and_the_screen_stays(host, term):
    flows.at_menu(term)
    term.press(flows.KEYS["completion"])
    term.wait_for("按授权码")
    term.press("2")
    term.wait_for("原授权码")
    term.type("12345")
    term.press("ENTER")
    s = term.wait_for("须6位")
    assert "原授权码" in s.text and "12345" in s.text and term.beeps() == 1
    term.type("6")
    term.press("ENTER")
    term.wait_for("无此交易")  # six characters: taken, and looked up (no such pre-auth)
    term.press("ENTER")


def test_a_two_digit_new_password_is_refused(host, term):
    flows.admin_start(term)
    term.press("2")
    term.wait_for("请输入新密码")
    term.type("12")
    term.press("ENTER")
    s = term.wait_for("至少4位")
    assert "请输入新密码" in s.text and term.beeps() == 1
    term.press("CANCEL")


# ---- 5. smaller things


def test_reprint_from_query_names_what_prints(host, term):
    db, _ = host
    auth = flows.approved_preauth(term, 2500)
    voucher = [h for h in flows.holds(db) if h["auth_code"] == auth][0]["voucher"]
    assert "交易成功" in flows.void_by_voucher(term, voucher)
    term.press("ENTER")
    flows.finish_receipts(term, cardholder=False)
    before = len(term.receipts())
    flows.at_menu(term)
    term.press(flows.KEYS["query"])
    term.wait_for("撤销 000003")
    term.press("DOWN")  # the voided pre-auth
    term.wait_for("预授权 000002")
    term.press("ENTER")
    term.wait_for("凭证号")
    term.press("ENTER")
    s = term.wait_for("重打印")
    assert "1.预授权 000002" in s.text and "2.撤销 000003" in s.text, s.text
    term.press("1")
    term.wait_for("打印持卡人存根", 15)
    term.press("CANCEL")
    slip = term.receipts()[before].text
    assert "预授权 PRE-AUTH" in slip and "000002" in slip and "预授权撤销" not in slip


def test_the_menu_says_there_are_more_pages(host, term):
    s = flows.at_menu(term)
    assert re.search(r"预授权终端 1/3", s.text), s.text
    term.press("DOWN")
    s = term.wait_for("2/3")
    assert "4.完成撤销" in s.text
    term.press("UP")


def test_the_lock_screen_says_the_supervisor_is_locked(host, term):
    flows.void_start(term, password="999999")
    for _ in range(2):
        term.type("999999")
        term.press("ENTER")
    s = term.wait_for("主管功能已锁定")
    assert "撤销功能" not in s.text
