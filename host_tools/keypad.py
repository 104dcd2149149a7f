"""An operator at the keypad: the key sequences of the terminal's flows (pre-auth, void,
completion, completion void, settlement, sign-in, 管理), driven through the simulator's
control interface (host_tools.simctl). The one set of them, for the tests, the benchmarks
and the reliability campaigns.

Every script takes the terminal, or an `Operator` over it that holds what a caller wants
of every step: the result screens a transaction ends on (`done`), screens that fail a step
at once instead of at its timeout (`fail`: the heap bisection fails fast), a `probe`
called at each screen waited for, and whether the note a nearly full batch shows after an
approval is acknowledged on the way back to the menu.

    preauth(term, 12345)                       # up to the result screen; returns its text
    op = Operator(term, done=RESULT, fail=FAIL)
    approved(op, void_by_voucher(op, "000002"))

The pre-auth and the completion ask for the cardholder's PIN after the card (the
terminal's default configuration, docs/operating.md): their scripts take `pin`, the test
card's by default, and type it at the PIN screen ("" presses ENTER alone: a card without
PIN). The voids ask for none unless the terminal is configured to (`pin_entry`): their
`pin` is None then, or the PIN to type.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from .screen import Screen
from .simctl import SimTerminal

APPROVE_PAN = "6222021234567890128"  # host simulator's default approval card
OTHER_PAN = "6222021234567890110"  # another Luhn-valid card, approved too
EXPIRY = "2812"
# The host simulator's cardholder PINs: its test cards' (APPROVE_PAN, the wire-format §7
# card 6222021234567890123), and a card that has none.
PIN = "123456"
NO_PIN_PAN = "6222020000000000000"
PIN_PROMPT = "请持卡人输入密码"  # the PIN screen (app strings "pin")
SUPERVISOR = "123456"  # the documented default supervisor password

MENU = re.compile(r"[1-9]\.(预授权|完成撤销|结算|交易查询|重打印|签到|管理)")
MENU_EN = re.compile(r"1\.Pre-auth")  # the main menu in English
# The main menu's digit of each entry (app/terminal.py MENU).
KEYS = {"preauth": "1", "void": "2", "completion": "3", "cvoid": "4", "settle": "5",
        "query": "6", "reprint": "7", "signin": "8", "admin": "9"}
DONE = re.compile(r"交易成功|交易失败|交易超时|连接主机失败|MAC校验错|保存交易失败|主机连接不可信")
UNPRINTED = "上笔交易成功"  # at boot: a slip a power cut kept from printing (operating.md)
NEARLY_FULL = "批次将满"  # after an approval that brings the batch to 90 %
REFUSED_OR_CARD = re.compile(r"请刷卡或输卡号|无此交易|已撤销|已完成|已过期|已冲正|已结算|非预授权")
SETTLED = re.compile(r"结算完成|交易超时|连接主机失败|交易失败|主机连接不可信")


class StepFailed(AssertionError):
    """A screen waited for did not come: the operator's fail pattern showed instead, or
    the wait timed out."""


class Operator:
    """A terminal and how its scripts wait (module docstring). With neither fail nor probe,
    a wait is SimTerminal.wait_for."""

    def __init__(self, term: SimTerminal, *, done: re.Pattern[str] = DONE,
                 fail: re.Pattern[str] | None = None,
                 probe: Callable[[Screen], None] | None = None, timeout: float = 10.0,
                 menu_timeout: float = 20.0, nearly_full: bool = False) -> None:
        self.term = term
        self.done = done
        self.fail = fail
        self.probe = probe
        self.timeout = timeout  # of a wait that names none
        self.menu_timeout = menu_timeout
        self.nearly_full = nearly_full  # acknowledge 批次将满 on the way to the menu

    def wait(self, pattern: str | re.Pattern[str], timeout: float | None = None) -> Screen:
        """The screen once its text contains pattern (a substring or a regex searched
        for); StepFailed (an AssertionError) when the fail pattern shows first or time
        runs out."""
        timeout = self.timeout if timeout is None else timeout
        if self.fail is None and self.probe is None:
            return self.term.wait_for(pattern, timeout)
        want = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        term = self.term
        deadline = time.monotonic() + timeout
        s = term.screen()
        while True:
            if want.search(s.text):
                if self.probe is not None:
                    self.probe(s)
                return s
            if self.fail is not None and self.fail.search(s.text):
                raise StepFailed(f"waiting for {want.pattern!r}, the screen says:\n{s.text}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepFailed(f"no {want.pattern!r} within {timeout} s; screen:\n{s.text}")
            s = term.wait_screen(s.seq, min(left, 2.0))


def operator(t: SimTerminal | Operator) -> Operator:
    """t itself, or the default Operator over the terminal t."""
    return t if isinstance(t, Operator) else Operator(t)


# ---------------------------------------------------------------------- the menu


def at_menu(t: SimTerminal | Operator, timeout: float | None = None) -> Screen:
    """The main menu; the boot's announcement of a slip that never printed, if it comes
    first, is answered 取消 (tests/integration/test_counter.py looks at it itself), and
    with nearly_full the batch's 批次将满 note 确认."""
    op = operator(t)
    timeout = op.menu_timeout if timeout is None else timeout
    extra = f"|{NEARLY_FULL}" if op.nearly_full else ""
    s = op.wait(re.compile(f"{MENU.pattern}|{UNPRINTED}|Last txn OK{extra}"), timeout)
    if op.nearly_full and NEARLY_FULL in s.text:
        op.term.press("ENTER")
        s = op.wait(re.compile(f"{MENU.pattern}|{UNPRINTED}|Last txn OK"), timeout)
    if UNPRINTED in s.text or "Last txn OK" in s.text:
        op.term.press("CANCEL")
        s = op.wait(MENU, timeout)
    return s


def finish_receipts(t: SimTerminal | Operator, cardholder: bool = True) -> Screen:
    """After an approval: merchant copy prints, then the cardholder-copy question; back at
    the menu."""
    op = operator(t)
    op.wait("打印持卡人存根", 15)
    op.term.press("ENTER" if cardholder else "CANCEL")
    return at_menu(op)


def _supervisor(op: Operator, entry: str, password: str) -> None:
    """A supervisor's entry of the menu and the password typed."""
    at_menu(op)
    op.term.press(KEYS[entry])
    op.wait("请输入主管密码")
    op.term.type(password)
    op.term.press("ENTER")


# --------------------------------------------------------------- card transactions


def enter_pin(t: SimTerminal | Operator, pin: str = PIN,
              point: Callable[[str], None] | None = None) -> None:
    """At the PIN screen, the cardholder types pin and ENTER ("": ENTER alone). With
    point, one digit at a time, each star seen before the next: point(where) is called
    before each digit and after the last (a power-cut campaign cuts there)."""
    op = operator(t)
    op.wait(PIN_PROMPT, 15)
    if point is None:
        if pin:
            op.term.type(pin)
    else:
        for i, digit in enumerate(pin):
            point(f"PIN screen, {i} digits typed")
            op.term.press(digit)
            op.wait(re.compile(rf"(?m)^ *\*{{{i + 1}}} *$"))
        point(f"PIN screen, {len(pin)} digits typed")
    op.term.press("ENTER")


def enter_card(t: SimTerminal | Operator, pan: str, expiry: str = EXPIRY,
               swipe: bool = True, pin: str | None = PIN,
               point: Callable[[str], None] | None = None) -> None:
    """The card of a pre-auth, then its PIN (None: no PIN screen expected; point: see
    enter_pin)."""
    op = operator(t)
    op.wait("请刷卡或输卡号")
    if swipe:
        op.term.swipe(pan, expiry)
    else:
        op.term.type(pan)
        op.term.press("ENTER")
        op.wait("有效期")
        op.term.type(expiry)
        op.term.press("ENTER")
    if pin is not None:
        enter_pin(op, pin, point)


def preauth(t: SimTerminal | Operator, amount_fen: int, pan: str = APPROVE_PAN,
            swipe: bool = True, pin: str = PIN,
            point: Callable[[str], None] | None = None) -> str:
    """A pre-auth up to its result screen; returns that screen's text. point(where), if
    given, is called at the PIN screen before each digit and after the last, and at the
    summary (the PIN block made, nothing sent yet)."""
    op = operator(t)
    at_menu(op)
    op.term.press(KEYS["preauth"])
    op.wait("请输入金额")
    op.term.type(str(amount_fen))
    op.term.press("ENTER")
    enter_card(op, pan, swipe=swipe, pin=pin, point=point)
    op.wait("确认键继续")
    if point is not None:
        point("summary, the PIN block made, nothing sent")
    op.term.press("ENTER")
    return op.wait(op.done, 30).text


def approved_preauth(t: SimTerminal | Operator, amount_fen: int, pan: str = APPROVE_PAN,
                     swipe: bool = True, pin: str = PIN) -> str:
    """A pre-auth that must be approved, both slips printed; returns its auth code."""
    op = operator(t)
    text = preauth(op, amount_fen, pan, swipe, pin)
    m = re.search(r"授权码:(\w{6})", text)
    assert "交易成功" in text and m, text
    op.term.press("ENTER")
    finish_receipts(op)
    return m.group(1)


def approved(t: SimTerminal | Operator, text: str, cardholder: bool = False) -> str:
    """After an approved transaction's result screen (text): the slips, back at the
    menu. Returns the voucher number on its slip."""
    op = operator(t)
    assert "交易成功" in text, text
    op.term.press("ENTER")
    finish_receipts(op, cardholder)
    slip = op.term.receipts()[-1].text
    m = re.search(r"凭证号\(VOUCHER NO\.\):\s*(\d{6})", slip)
    assert m, slip
    return m.group(1)


def _card_and_confirm(op: Operator, pan: str, pin: str | None) -> str:
    """From 请刷卡或输卡号 (or a refusal) to the result, the PIN typed at its screen (None:
    none expected); returns the last screen's text."""
    s = op.wait(REFUSED_OR_CARD)
    if "请刷卡" not in s.text:
        return s.text
    op.term.swipe(pan, EXPIRY)
    if pin is not None:  # the same-card check comes before the PIN screen
        s = op.wait(re.compile(f"{PIN_PROMPT}|卡号不符"))
        if "卡号不符" in s.text:
            return s.text
        enter_pin(op, pin)
    s = op.wait(re.compile(r"/|卡号不符"))  # the summary shows the date as MM/DD
    if "卡号不符" in s.text:
        return s.text
    op.term.press("ENTER")
    return op.wait(op.done, 30).text


def void_start(t: SimTerminal | Operator, password: str = SUPERVISOR) -> Screen:
    """Menu 2 and the supervisor password; returns the next screen."""
    op = operator(t)
    _supervisor(op, "void", password)
    return op.wait(re.compile(r"按凭证号|密码错误|锁定"))


def void_by_voucher(t: SimTerminal | Operator, voucher: str, pan: str = APPROVE_PAN,
                    pin: str | None = None) -> str:
    """A void chosen by voucher number, up to the result (or a local refusal)."""
    op = operator(t)
    void_start(op)
    op.term.press("1")
    op.wait("原凭证号")
    op.term.type(voucher)
    op.term.press("ENTER")
    return _card_and_confirm(op, pan, pin)


def void_keyed(t: SimTerminal | Operator, auth: str, mmdd: str, amount_fen: int,
               pan: str = APPROVE_PAN, pin: str | None = None) -> str:
    """A void of an original keyed in by hand (auth code, date, amount), up to the result
    (or a local refusal)."""
    op = operator(t)
    void_start(op)
    op.term.press("2")
    op.wait("原授权码")
    op.term.type(auth)  # letters come from the PC keyboard, digits from the keypad
    op.term.press("ENTER")
    op.wait("原交易日期")
    op.term.type(mmdd)
    op.term.press("ENTER")
    op.wait("原交易金额")
    op.term.type(str(amount_fen))
    op.term.press("ENTER")
    s = op.wait(re.compile(r"请刷卡或输卡号|已过期|已撤销"))
    if "请刷卡" not in s.text:
        return s.text
    op.term.swipe(pan, EXPIRY)
    if pin is not None:
        enter_pin(op, pin)
    op.wait("/")
    op.term.press("ENTER")
    return op.wait(op.done, 30).text


def completion(t: SimTerminal | Operator, how: str, key: str, amount_fen: int,
               pan: str = APPROVE_PAN, pin: str = PIN) -> str:
    """预授权完成: the pre-auth by "voucher" number or by "auth" code, the amount; up to
    the result (or a local refusal)."""
    op = operator(t)
    at_menu(op)
    op.term.press(KEYS["completion"])
    op.wait("按凭证号")
    op.term.press("1" if how == "voucher" else "2")
    op.wait("原凭证号" if how == "voucher" else "原授权码")
    op.term.type(key)
    op.term.press("ENTER")
    s = op.wait(re.compile(r"完成金额|无此交易|已撤销|已完成|已过期|已冲正|非预授权"))
    if "完成金额" not in s.text:
        return s.text
    op.term.type(str(amount_fen))
    op.term.press("ENTER")
    s = op.wait(re.compile(r"请刷卡或输卡号|超过原金额"))
    if "超过" in s.text:
        return s.text
    return _card_and_confirm(op, pan, pin)


def cvoid(t: SimTerminal | Operator, voucher: str, pan: str = APPROVE_PAN,
          password: str = SUPERVISOR, pin: str | None = None) -> str:
    """完成撤销 of the completion with this voucher number, up to the result."""
    op = operator(t)
    _supervisor(op, "cvoid", password)
    op.wait("原凭证号")
    op.term.type(voucher)
    op.term.press("ENTER")
    return _card_and_confirm(op, pan, pin)


# ------------------------------------------------------------- the other entries


def settle(t: SimTerminal | Operator, password: str = SUPERVISOR) -> str:
    """结算 up to its result screen (the report prints after it); returns its text."""
    op = operator(t)
    _supervisor(op, "settle", password)
    op.wait(re.compile(r"借记\d+笔"), 30)
    op.term.press("ENTER")
    return op.wait(SETTLED, 30).text


def sign_in(t: SimTerminal | Operator) -> str:
    """签到 from the menu, up to its result screen (one of the operator's done screens)."""
    op = operator(t)
    at_menu(op)
    op.term.press(KEYS["signin"])
    return op.wait(op.done, 30).text


def admin_start(t: SimTerminal | Operator, password: str = SUPERVISOR,
                menu: re.Pattern[str] = MENU) -> Screen:
    """Menu 9 (管理) and the supervisor password; returns the admin menu screen."""
    op = operator(t)
    op.wait(menu, 20)
    op.term.press(KEYS["admin"])
    op.wait(re.compile(r"请输入主管密码|Supervisor pwd"))
    op.term.type(password)
    op.term.press("ENTER")
    return op.wait("语言/Language")


def change_password(t: SimTerminal | Operator, new: str, old: str = SUPERVISOR,
                    menu: re.Pattern[str] = MENU) -> Screen:
    """管理 → 修改主管密码, as a supervisor would; returns the 密码已修改 screen."""
    op = operator(t)
    admin_start(op, old, menu)
    op.term.press("2")
    op.wait("请输入新密码")
    op.term.type(new)
    op.term.press("ENTER")
    op.wait("请再输入一次")
    op.term.type(new)
    op.term.press("ENTER")
    return op.wait("密码已修改")
