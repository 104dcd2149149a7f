"""The card reader on the real firmware: swipes reach the app as bytes of a reader module,
read by drivers/msr.py (the simulator board's swipe op, docs/control-interface.md). A
read the driver refuses shows 刷卡失败 with a beep and the terminal waits for another
swipe; the track never reaches the log."""

import re

from tests.integration import flows
from tests.integration.flows import APPROVE_PAN, EXPIRY

TRACK2 = f"{APPROVE_PAN}={EXPIRY}101"
REVERSED = ("?" + TRACK2[::-1] + ";\r").encode()
BAD_READS = {
    "bad LRC": f";{TRACK2}?0\r".encode(),
    "reversed": REVERSED,
    "partial": f";{TRACK2[:11]}".encode(),  # no end sentinel, no terminator: the line goes quiet
    "not a track 2 character": f";{APPROVE_PAN}D{EXPIRY}101?\r".encode(),
}


def test_bad_reads_refused_with_a_beep_then_a_good_swipe_approves(host, term):
    flows.at_menu(term)
    term.press(flows.KEYS["preauth"])
    term.wait_for("请输入金额")
    term.type("100")
    term.press("ENTER")
    term.wait_for("请刷卡或输卡号")
    beeps = term.beeps()
    for reason, raw in BAD_READS.items():
        term.request({"op": "swipe", "raw": raw.hex()})
        term.wait_for("刷卡失败")
        beeps += 1
        assert term.beeps() == beeps, reason
        term.press("ENTER")
        term.wait_for("请刷卡或输卡号")
    # A read the driver takes but whose card the app refuses (Luhn) says the same.
    term.swipe(APPROVE_PAN[:-1] + "9", EXPIRY)
    term.wait_for("刷卡失败")
    assert term.beeps() == beeps + 1
    term.press("ENTER")
    flows.enter_card(term, APPROVE_PAN)  # swiped, through the driver
    term.wait_for("确认键继续")
    term.press("ENTER")
    text = term.wait_for(flows.DONE, 30).text
    assert "交易成功" in text and re.search(r"授权码:\w{6}", text), text
    (hold,) = flows.holds(host[0])  # one request reached the host: the good swipe's
    assert (hold["pan"], hold["expiry"], hold["amount"]) == (APPROVE_PAN, EXPIRY, 100)
    flows.finish_receipts(term)
    log = term.log_text()
    for reason in BAD_READS:
        assert f"card reader: bad read ({reason})" in log, reason
    assert APPROVE_PAN not in log and TRACK2 not in log
