# Sign-in to the host simulator on the developer's PC through the firmware's message layer
# (host/session.py, as tests/integration/mp_session.py drives it): the board's own
# configuration with PARAMS["host"] / ["port"] put in, a scratch state file under /data
# (the terminal's own state is not touched). On the ESP32 the configured WiFi is joined
# first; without WiFi configuration the test is a SKIP.
import asyncio
import sys
import time

import board
import boardtest
import config
from boardtest import Skip
from host.session import HostSession
from journal.state import TerminalState

DIR = board.DATA_DIR + "/selftest-signin"


def _cfg():
    p = boardtest.PARAMS
    cfg = dict(config.load(board.CONFIG_PATH))
    cfg.update(host=p["host"], port=p["port"], connect_timeout_s=5, response_timeout_s=10)
    return config.validate(cfg)


def _wifi(cfg):
    if sys.platform != "esp32":
        return
    if not cfg.get("wifi_ssid"):
        raise Skip("no wifi_ssid in " + board.CONFIG_PATH)
    import network

    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if not wlan.isconnected():
        wlan.connect(cfg["wifi_ssid"], cfg.get("wifi_password", ""))
        t0 = time.ticks_ms()
        while not wlan.isconnected():
            if time.ticks_diff(time.ticks_ms(), t0) > 20000:
                raise AssertionError("WiFi %r: not connected in 20 s" % cfg["wifi_ssid"])
            time.sleep_ms(200)
    print("wifi", wlan.ifconfig())


def test_sign_in_and_echo():
    board.mount_flash()
    cfg = _cfg()
    _wifi(cfg)
    boardtest.rmtree(DIR)
    import os

    os.mkdir(DIR)
    st = TerminalState(DIR + "/state")
    assert st.need_signin and st.batch_no == "000000"
    sess = HostSession(cfg, st, print)
    ok, res, msg = asyncio.run(sess.sign_in())
    assert ok, "sign-in: %s %r" % (msg, res)
    assert sess.mak is not None and not st.need_signin
    assert len(st.batch_no) == 6 and st.batch_no.isdigit() and st.batch_no != "000000"
    assert st.batch_no in msg, msg
    ok, res = asyncio.run(sess.echo())
    assert ok, "echo: %r" % (res,)
    again = TerminalState(DIR + "/state")  # what is on flash
    assert again.batch_no == st.batch_no and not again.need_signin and again.wrapped_keys
    print("BATCH", st.batch_no)
    boardtest.rmtree(DIR)


boardtest.run(globals())
