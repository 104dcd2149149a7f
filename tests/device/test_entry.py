# The operator's input screens, driven with queued key events on the simulator's display:
# amounts, multi-tap letters, masking, menus, cancel and idle timeouts.
import asyncio

import mptest
from sim_display import Display
from sim_keys import KeyQueue
from app import strings
from app.card import luhn_ok, parse_track2
from ui import entry
from ui.font import Font
from ui.screen import Screen


class HW:
    def __init__(self):
        self.display = Display()
        self.keys = KeyQueue(64)
        self.beeps = 0

    async def beep(self, ms=80):
        self.beeps += 1


def _run(widget, keys, *args, idle_ms=2000):
    hw = HW()
    scr = Screen(hw, Font(), idle_ms=idle_ms, words=strings.t)
    for k in keys:
        hw.keys.put(k)
    result = asyncio.run(widget(scr, *args))
    return result, hw.display.lines


def test_amount_shows_yuan_and_caps_at_the_maximum():
    r, lines = _run(entry.amount, ["1", "2", "3", "4", "5", "ENTER"], "T")
    assert r == 12345
    r, lines = _run(entry.amount, ["9"] * 12 + ["ENTER"], "T")
    assert r == 999999999, r  # 9,999,999.99 yuan: further digits are ignored
    assert "RMB 9,999,999.99" in lines
    r, _ = _run(entry.amount, ["5", "0", "CLEAR", "ENTER"], "T")
    assert r == 5
    r, _ = _run(entry.amount, ["ENTER", "1", "CANCEL"], "T")  # zero is not an amount
    assert r is None


def test_yuan_format():
    assert entry.yuan(0) == "0.00"
    assert entry.yuan(5) == "0.05"
    assert entry.yuan(123456789) == "1,234,567.89"


def test_password_is_masked():
    r, lines = _run(entry.digits, ["1", "2", "3", "4", "5"], "T", "P", 4, 12, True,
                    idle_ms=300)
    assert r is None  # left idle: gives up
    assert "*****" in lines and "12345" not in "".join(lines)
    r, _ = _run(entry.digits, ["1", "2", "3", "ENTER", "4", "ENTER"], "T", "P", 4, 12, True)
    assert r == "1234"  # ENTER before the minimum length is ignored


def test_multitap_letters_for_an_auth_code():
    # FUNC -> letters; 2 2 -> B; 3 (other key commits B) -> D; pause commits;
    # FUNC -> digits; 1; PC-keyboard letters go straight in.
    keys = ["FUNC", "2", "2", "3", "FUNC", "1", "Z", "9", "ENTER"]
    r, lines = _run(entry.text, keys, "T", "P", 5)
    assert r == "BD1Z9", r
    r, _ = _run(entry.text, keys, "T", "P", 6, idle_ms=300)
    assert r is None  # ENTER before 6 characters is ignored; left idle, it gives up
    r, _ = _run(entry.text, ["FUNC", "7", "7", "7", "7", "7", "FUNC", "0", "Q", "A",
                             "CLEAR", "B", "C", "ENTER"], "T", "P", 5)
    assert r == "P0QBC", r  # 7 tapped five times wraps round to P
    r, _ = _run(entry.text, ["A", "1", "B", "2", "C", "3", "ENTER"], "T", "P", 6)
    assert r == "A1B2C3"


def test_menu_digits_and_pages():
    items = ["a", "b", "c", "d", "e"]
    r, lines = _run(entry.menu, ["5"], "T", items)
    assert r == 4
    r, lines = _run(entry.menu, ["DOWN", "ENTER"], "T", items)
    assert r == 3 and lines[1] == "4.d"
    r, _ = _run(entry.menu, ["9", "CANCEL"], "T", items)
    assert r is None


def test_every_screen_can_be_cancelled_or_left():
    for widget, args in ((entry.amount, ("T",)), (entry.digits, ("T", "P", 1, 6)),
                         (entry.text, ("T", "P", 6)), (entry.menu, ("T", ["x"]))):
        r, _ = _run(widget, ["9", "CANCEL"], *args)
        assert r is None, args
        r, _ = _run(widget, ["9"], *args, idle_ms=200)
        assert r is None, args
    r, _ = _run(entry.confirm, ["1", "CANCEL"], "T", ["x"])
    assert r is False


def test_long_explanations_wrap():
    strings.set_language("zh")
    hw = HW()
    scr = Screen(hw, Font())
    lines = scr.wrap("01 " + strings.rc_text("01"))
    assert len(lines) == 2 and "".join(lines).replace(" ", "") == "01请持卡人与发卡银行联系"
    for line in lines:
        assert Font().width(line) <= 128
    strings.set_language("en")
    assert strings.rc_text("51") == "Insufficient funds"
    assert strings.rc_text("Q7") == "Declined Q7"
    strings.set_language("zh")
    assert strings.rc_text("Q7") == "交易失败 Q7"


def _pin(keys, idle_ms=2000):
    """The PIN screen with keys queued: (its result, the buffer, every screen it drew,
    the beeps)."""
    hw = HW()
    drawn = []
    show = hw.display.show

    def record():
        drawn.append(list(hw.display.lines))
        show()

    hw.display.show = record
    scr = Screen(hw, Font(), idle_ms=idle_ms, words=strings.t)
    for k in keys:
        hw.keys.put(k)
    buf = bytearray(12)
    r = asyncio.run(entry.pin(scr, "T", strings.t("pin"), "RMB 123.45", buf))
    return r, buf, drawn, hw.beeps


def _only_stars(drawn):
    for lines in drawn:
        assert lines[2] == "RMB 123.45", lines  # the amount stays on the screen
        assert lines[3] == "_" or lines[3] == "*" * len(lines[3]), lines
        assert lines[1] in (strings.t("pin"), strings.t("e_pin_len")), lines


def test_the_pin_goes_into_the_buffer_and_the_screen_shows_stars():
    r, buf, drawn, beeps = _pin(["1", "2", "3", "4", "5", "6", "ENTER"])
    assert r == 6 and buf == bytearray(b"123456\x00\x00\x00\x00\x00\x00") and not beeps
    _only_stars(drawn)
    assert [d[3] for d in drawn] == ["_", "*", "**", "***", "****", "*****", "******"]
    assert drawn[0][1] == strings.t("pin")


def test_pin_clear_erases_every_digit():
    r, buf, drawn, _ = _pin(["1", "2", "3", "CLEAR", "8", "8", "8", "8", "ENTER"])
    assert r == 4 and buf == bytearray(b"8888" + bytes(8))
    assert [d[3] for d in drawn][3:5] == ["***", "_"]
    _only_stars(drawn)


def test_enter_without_a_digit_is_a_card_without_pin():
    r, buf, _, beeps = _pin(["ENTER"])
    assert r == 0 and buf == bytearray(12) and not beeps


def test_a_short_pin_is_refused_and_typed_again():
    r, buf, drawn, beeps = _pin(["1", "2", "3", "ENTER", "4", "5", "6", "7", "ENTER"])
    assert r == 4 and buf == bytearray(b"4567" + bytes(8)) and beeps == 1
    refused = drawn[4]
    assert refused[1] == strings.t("e_pin_len") and refused[3] == "_", refused
    assert drawn[5][1] == strings.t("pin")  # the next key: the prompt again
    _only_stars(drawn)


def test_a_thirteenth_digit_is_not_taken():
    r, buf, drawn, beeps = _pin(list("1234567890123") + ["ENTER"])
    assert r == 12 and buf == bytearray(b"123456789012") and beeps == 1
    assert drawn[-1][1] == strings.t("e_pin_len") and drawn[-1][3] == "*" * 12
    _only_stars(drawn)


def test_cancel_or_no_key_leaves_the_pin_screen_with_the_buffer_zero():
    r, buf, drawn, _ = _pin(["1", "2", "3", "4", "CANCEL"])
    assert r is None and buf == bytearray(12)
    _only_stars(drawn)
    r, buf, _, _ = _pin(["1", "2", "3", "4"], idle_ms=200)  # no key: as long as idle_ms
    assert r is None and buf == bytearray(12)
    assert entry.PIN_IDLE_MS == 60000  # no more than that on a real terminal


def test_pin_words_and_answers_in_both_languages():
    # wire-format.md §6: 55 and 75; the PIN screen's prompt and refusal fit a line
    font = Font()
    for lang, want in (("zh", ("密码错误", "密码错误次数超限", "请持卡人输入密码")),
                       ("en", ("Incorrect PIN", "PIN tries exceeded", "Cardholder PIN"))):
        strings.set_language(lang)
        assert (strings.rc_text("55"), strings.rc_text("75"), strings.t("pin")) == want
        for key in ("pin", "e_pin_len"):
            assert font.width(strings.t(key)) <= 128, (lang, key)
    strings.set_language("zh")


def test_card_rules():
    assert luhn_ok("6222021234567890128") and not luhn_ok("6222021234567890123")
    c = parse_track2("6222021234567890128=2812101")
    assert c == {"pan": "6222021234567890128", "expiry": "2812",
                 "track2": "6222021234567890128=2812101"}
    assert parse_track2("6222021234567890128D2812101")["expiry"] == "2812"
    assert parse_track2("6222021234567890123=2812101") is None  # Luhn
    assert parse_track2("6222021234567890128=2813101") is None  # month 13
    assert parse_track2("garbage") is None
    assert parse_track2("6" * 40 + "=2812") is None


mptest.run(globals())
