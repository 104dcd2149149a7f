"""The keypad scripts (host_tools/keypad.py) against a stand-in terminal that shows the
screens of a flow in order: which keys each script presses at which screen, the
cardholder's PIN at the PIN screen of the pre-auth and the completion above all."""

import re
from types import SimpleNamespace

import pytest

from host_tools import keypad


class Term:
    """Shows the given screens one after another: a wait takes the first screen from the
    current one on that matches (AssertionError if none does, as SimTerminal.wait_for);
    what the script does is logged, each key, text and swipe with the screen it was on."""

    def __init__(self, screens):
        self.screens = list(screens)
        self.at = 0
        self.log = []

    def wait_for(self, pattern, timeout=10.0):
        want = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        for i in range(self.at, len(self.screens)):
            if want.search(self.screens[i]):
                self.at = i
                return SimpleNamespace(text=self.screens[i], seq=i)
        raise AssertionError(f"{want.pattern!r} never shown after {self.screens[self.at]!r}")

    def _did(self, what):
        self.log.append((self.screens[self.at].split("\n")[0], what))

    def press(self, *keys):
        for k in keys:
            self._did(k)

    def type(self, text):
        self._did(text)

    def swipe(self, pan, expiry):
        self._did(f"swipe {pan}")

    def receipts(self):
        return [SimpleNamespace(text="凭证号(VOUCHER NO.): 000007")]


MENU = "预授权终端 1/3\n1.预授权"
CARD = "请刷卡或输卡号"
PIN = "请持卡人输入密码\nRMB 123.45\n_"
DONE = "交易成功\n授权码:98NCQ0"


def test_a_preauth_types_the_cards_pin_at_the_pin_screen():
    term = Term([MENU, "请输入金额", CARD, PIN, "卡号:622202\n确认键继续", DONE])
    assert keypad.preauth(term, 12345) == DONE
    assert term.log == [("预授权终端 1/3", "1"), ("请输入金额", "12345"), ("请输入金额", "ENTER"),
                        (CARD, f"swipe {keypad.APPROVE_PAN}"),
                        ("请持卡人输入密码", "123456"), ("请持卡人输入密码", "ENTER"),
                        ("卡号:622202", "ENTER")]
    assert keypad.PIN == "123456"


def test_no_pin_is_enter_alone():
    term = Term([MENU, "请输入金额", CARD, PIN, "卡号:622202\n确认键继续", DONE])
    keypad.preauth(term, 100, keypad.NO_PIN_PAN, pin="")
    assert ("请持卡人输入密码", "ENTER") in term.log
    assert not [w for s, w in term.log if s == "请持卡人输入密码" and w != "ENTER"], term.log


def test_a_preauth_without_the_pin_screen_fails_at_it():
    term = Term([MENU, "请输入金额", CARD, "卡号:622202\n确认键继续", DONE])
    with pytest.raises(AssertionError, match="请持卡人输入密码"):
        keypad.preauth(term, 100)


def test_a_completion_types_the_pin_and_a_void_does_not():
    term = Term([MENU, "1.按凭证号", "原凭证号", "请输入完成金额", CARD, PIN, "98NCQ0 11/26",
                 DONE])
    assert keypad.completion(term, "voucher", "7", 5000, pin="8888") == DONE
    assert [w for _, w in term.log] == ["3", "1", "7", "ENTER", "5000", "ENTER",
                                        f"swipe {keypad.APPROVE_PAN}", "8888", "ENTER",
                                        "ENTER"]
    term = Term([MENU, "请输入主管密码", "1.按凭证号", "原凭证号", CARD, "98NCQ0 11/26", DONE])
    assert keypad.void_by_voucher(term, "7") == DONE
    assert "请持卡人输入密码" not in [s for s, _ in term.log]
    # a terminal configured to ask for it on voids too (pin_entry): the same script, a pin
    term = Term([MENU, "请输入主管密码", "1.按凭证号", "原凭证号", CARD, PIN, "98NCQ0 11/26",
                 DONE])
    assert keypad.void_by_voucher(term, "7", pin="123456") == DONE
    assert ("请持卡人输入密码", "123456") in term.log


def test_the_wrong_card_stops_before_the_pin():
    term = Term([MENU, "1.按凭证号", "原凭证号", "请输入完成金额", CARD, "卡号不符"])
    assert keypad.completion(term, "voucher", "7", 5000) == "卡号不符"
