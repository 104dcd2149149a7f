"""An operator at the keypad, for integration tests: key sequences of the real flows,
driven through the simulator's control interface (host_tools.simctl)."""

import re

from host_tools.hostsim.process import admin  # noqa: F401  (flows.admin in the tests)
from host_tools.simctl import SimTerminal

APPROVE_PAN = "6222021234567890128"  # host simulator's default approval card
OTHER_PAN = "6222021234567890110"  # another Luhn-valid card, approved too
EXPIRY = "2812"
SUPERVISOR = "123456"  # the documented default supervisor password

MENU = re.compile(r"[1-9]\.(预授权|完成撤销|结算|交易查询|重打印|签到|管理)")
# The main menu's digit of each entry (app/terminal.py MENU).
KEYS = {"preauth": "1", "void": "2", "completion": "3", "cvoid": "4", "settle": "5",
        "query": "6", "reprint": "7", "signin": "8", "admin": "9"}
DONE = re.compile(r"交易成功|交易失败|交易超时|连接主机失败|MAC校验错|保存交易失败|主机连接不可信")


UNPRINTED = "上笔交易成功"  # at boot: a slip a power cut kept from printing (operating.md)


def at_menu(term: SimTerminal, timeout=20.0):
    """The main menu; the boot's announcement of a slip that never printed, if it comes
    first, is answered 取消 (tests/integration/test_counter.py looks at it itself)."""
    s = term.wait_for(re.compile(f"{MENU.pattern}|{UNPRINTED}|Last txn OK"), timeout)
    if UNPRINTED in s.text or "Last txn OK" in s.text:
        term.press("CANCEL")
        s = term.wait_for(MENU, timeout)
    return s


def finish_receipts(term: SimTerminal, cardholder=True):
    """After an approval: merchant copy prints, then the cardholder-copy question."""
    term.wait_for("打印持卡人存根", 15)
    term.press("ENTER" if cardholder else "CANCEL")
    at_menu(term)


def enter_card(term: SimTerminal, pan: str, expiry=EXPIRY, swipe=True):
    term.wait_for("请刷卡或输卡号")
    if swipe:
        term.swipe(pan, expiry)
    else:
        term.type(pan)
        term.press("ENTER")
        term.wait_for("有效期")
        term.type(expiry)
        term.press("ENTER")


def preauth(term: SimTerminal, amount_fen: int, pan=APPROVE_PAN, swipe=True):
    """A pre-auth up to its result screen; returns that screen's text."""
    at_menu(term)
    term.press("1")
    term.wait_for("请输入金额")
    term.type(str(amount_fen))
    term.press("ENTER")
    enter_card(term, pan, swipe=swipe)
    term.wait_for("确认键继续")
    term.press("ENTER")
    return term.wait_for(DONE, 30).text


def approved_preauth(term: SimTerminal, amount_fen: int, pan=APPROVE_PAN, swipe=True) -> str:
    """A pre-auth that must be approved; returns its auth code."""
    text = preauth(term, amount_fen, pan, swipe)
    m = re.search(r"授权码:(\w{6})", text)
    assert "交易成功" in text and m, text
    term.press("ENTER")
    finish_receipts(term)
    return m.group(1)


def void_start(term: SimTerminal, password=SUPERVISOR):
    """Menu 2 and the supervisor password; returns the next screen."""
    at_menu(term)
    term.press("2")
    term.wait_for("请输入主管密码")
    term.type(password)
    term.press("ENTER")
    return term.wait_for(re.compile(r"按凭证号|密码错误|锁定"))


def void_by_voucher(term: SimTerminal, voucher: str, pan=APPROVE_PAN) -> str:
    """A void chosen by voucher number, up to the result (or a local refusal)."""
    void_start(term)
    term.press("1")
    term.wait_for("原凭证号")
    term.type(voucher)
    term.press("ENTER")
    return _card_and_confirm(term, pan)


REFUSED_OR_CARD = re.compile(r"请刷卡或输卡号|无此交易|已撤销|已完成|已过期|已冲正|已结算|非预授权")


def _card_and_confirm(term: SimTerminal, pan: str) -> str:
    """From 请刷卡或输卡号 (or a refusal) to the result; returns the last screen's text."""
    s = term.wait_for(REFUSED_OR_CARD)
    if "请刷卡" not in s.text:
        return s.text
    term.swipe(pan, EXPIRY)
    s = term.wait_for(re.compile(r"/|卡号不符"))  # the summary shows the date as MM/DD
    if "卡号不符" in s.text:
        return s.text
    term.press("ENTER")
    return term.wait_for(DONE, 30).text


def completion(term: SimTerminal, how: str, key: str, amount_fen: int,
               pan=APPROVE_PAN) -> str:
    """预授权完成: the pre-auth by "voucher" number or by "auth" code, the amount; up to
    the result (or a local refusal)."""
    at_menu(term)
    term.press(KEYS["completion"])
    term.wait_for("按凭证号")
    term.press("1" if how == "voucher" else "2")
    term.wait_for("原凭证号" if how == "voucher" else "原授权码")
    term.type(key)
    term.press("ENTER")
    s = term.wait_for(re.compile(r"完成金额|无此交易|已撤销|已完成|已过期|已冲正|非预授权"))
    if "完成金额" not in s.text:
        return s.text
    term.type(str(amount_fen))
    term.press("ENTER")
    s = term.wait_for(re.compile(r"请刷卡或输卡号|超过原金额"))
    if "超过" in s.text:
        return s.text
    return _card_and_confirm(term, pan)


def cvoid(term: SimTerminal, voucher: str, pan=APPROVE_PAN, password=SUPERVISOR) -> str:
    """完成撤销 of the completion with this voucher number, up to the result."""
    at_menu(term)
    term.press(KEYS["cvoid"])
    term.wait_for("请输入主管密码")
    term.type(password)
    term.press("ENTER")
    term.wait_for("原凭证号")
    term.type(voucher)
    term.press("ENTER")
    return _card_and_confirm(term, pan)


def settle(term: SimTerminal, password=SUPERVISOR) -> str:
    """结算 up to its result screen (the report prints after it); returns its text."""
    at_menu(term)
    term.press(KEYS["settle"])
    term.wait_for("请输入主管密码")
    term.type(password)
    term.press("ENTER")
    term.wait_for(re.compile(r"借记\d+笔"), 30)
    term.press("ENTER")
    return term.wait_for(re.compile(r"结算完成|交易超时|连接主机失败|交易失败|主机连接不可信"),
                         30).text


def approved(term: SimTerminal, text: str, cardholder=False) -> str:
    """After an approved follow-up's result screen: receipts, back at the menu. Returns
    the voucher number on its slip."""
    assert "交易成功" in text, text
    term.press("ENTER")
    finish_receipts(term, cardholder)
    m = re.search(r"凭证号\(VOUCHER NO\.\):\s*(\d{6})", term.receipts()[-1].text)
    assert m, term.receipts()[-1].text
    return m.group(1)


def void_keyed(term: SimTerminal, auth: str, mmdd: str, amount_fen: int,
               pan=APPROVE_PAN) -> str:
    void_start(term)
    term.press("2")
    term.wait_for("原授权码")
    term.type(auth)  # letters come from the PC keyboard, digits from the keypad
    term.press("ENTER")
    term.wait_for("原交易日期")
    term.type(mmdd)
    term.press("ENTER")
    term.wait_for("原交易金额")
    term.type(str(amount_fen))
    term.press("ENTER")
    s = term.wait_for(re.compile(r"请刷卡或输卡号|已过期|已撤销"))
    if "请刷卡" not in s.text:
        return s.text
    term.swipe(pan, EXPIRY)
    term.wait_for("/")
    term.press("ENTER")
    return term.wait_for(DONE, 30).text


def holds(db) -> list[dict]:
    """The host's holds, parsed from the admin table."""
    from host_tools.hostsim.ledger import Ledger

    led = Ledger(str(db))
    try:
        return [dict(r) for r in led.holds()]
    finally:
        led.close()


MENU_EN = re.compile(r"1\.Pre-auth")  # the main menu in English


def host_messages(db, direction="in") -> list[dict]:
    """Every message the host logged, oldest first; direction "in" (the terminal's
    requests), "out" (the host's answers) or None for both."""
    from host_tools.hostsim.ledger import Ledger

    led = Ledger(str(db))
    try:
        return [m for m in led.messages(1_000_000)
                if direction is None or m["direction"] == direction]
    finally:
        led.close()


def mtis(db) -> list[str]:
    """MTIs of the terminal's requests, in the order the host got them."""
    return [m["mti"] for m in host_messages(db)]


def admin_start(term: SimTerminal, password=SUPERVISOR, menu=MENU):
    """Menu 6 (管理) and the supervisor password; returns the admin menu screen."""
    term.wait_for(menu, 20)
    term.press(KEYS["admin"])
    term.wait_for(re.compile(r"请输入主管密码|Supervisor pwd"))
    term.type(password)
    term.press("ENTER")
    return term.wait_for("语言/Language")
