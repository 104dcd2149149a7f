# The simulator board's card reader (board/unix/sim_msr.py): a swipe becomes the bytes a
# reader module sends, read by the firmware's driver (drivers/msr.py) as on the ESP32;
# and the control interface's swipe op, track 2 or raw bytes, handled in-process.
import asyncio
import io
import json
import time

import mptest
from sim_control import ControlServer
from sim_hw import Hardware
from sim_msr import module_bytes

T2 = "6222021234567890128=2812101"
TMP = mptest.TMP + "/pos_sim_reader"


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def _mkdir(path):
    try:
        import os

        os.mkdir(path)
    except OSError:
        pass


def _hw(lrc=True):
    _mkdir(TMP)
    hw = Hardware(TMP, "unix-sim", True, lrc)
    hw.said = []
    hw.log = lambda *a: hw.said.append(" ".join(str(x) for x in a))
    hw.reader.driver.log = hw.log
    return hw


def _events(hw):
    out = []
    while len(hw.keys):
        out.append(asyncio.run(hw.keys.get()))
    return out


def test_module_bytes_are_what_a_reader_module_sends():
    # LRC: the XOR of the 4-bit values of ; 6 2 2 2 ... 1 ? is 0xC, sent as "<"
    eq(module_bytes(T2, True), b";" + T2.encode() + b"?<\r")
    eq(module_bytes(T2, False), b";" + T2.encode() + b"?\r")


def test_a_swipe_goes_through_the_driver():
    for lrc in (True, False):
        hw = _hw(lrc)
        eq(hw.reader.swipe(module_bytes(T2, lrc)), {"ok": True, "good": 1, "bad": 0,
                                                     "pending": False})
        eq(_events(hw), [("SWIPE", T2)])
        eq(hw.reader.driver.lrc, lrc)
    hw = _hw(True)
    eq(hw.reader.swipe(module_bytes(T2, False)),  # the LRC missing
       {"ok": True, "good": 0, "bad": 1, "pending": False})
    eq(_events(hw), [("SWIPE", None)])
    eq(hw.said, ["card reader: bad read (bad LRC)"])


def test_a_partial_read_ends_when_the_line_goes_quiet():
    hw = _hw()

    async def main():
        ans = hw.reader.swipe(b";" + T2[:8].encode())
        t0 = time.ticks_ms()
        while not len(hw.keys) and time.ticks_diff(time.ticks_ms(), t0) < 10000:
            await asyncio.sleep_ms(5)
        return ans

    eq(asyncio.run(main()), {"ok": True, "good": 0, "bad": 0, "pending": True})
    eq(_events(hw), [("SWIPE", None)])
    eq(hw.said, ["card reader: bad read (partial)"])
    eq(hw.reader.driver.busy(), False)


def _control(hw, req):
    out = io.StringIO()
    ControlServer(hw, "unix-sim", out=out).handle(json.dumps(req))
    return json.loads(out.getvalue())


def _hex(data):
    import binascii

    return binascii.hexlify(data).decode()


def test_swipe_op_track2_and_raw():
    hw = _hw()
    eq(_control(hw, {"op": "swipe", "track2": T2, "id": 4}),
       {"ok": True, "good": 1, "bad": 0, "pending": False, "id": 4})
    eq(_events(hw), [("SWIPE", T2)])
    rev = "".join(T2[i] for i in range(len(T2) - 1, -1, -1))
    for raw in (b"?" + rev.encode() + b";\r", b";" + T2.encode() + b"?0\r",
                b";" + T2.encode() + b"D?<\r"):
        eq(_control(hw, {"op": "swipe", "raw": _hex(raw)}),
           {"ok": True, "good": 0, "bad": 1, "pending": False})
    eq(_control(hw, {"op": "swipe", "raw": _hex(module_bytes(T2, True) * 2)}),
       {"ok": True, "good": 2, "bad": 0, "pending": False})
    eq(_events(hw), [("SWIPE", None)] * 3 + [("SWIPE", T2)] * 2)
    # a track2 string a card cannot hold is sent as the module would, and refused
    for t2 in ("ABCDEFG=1234", T2 + "9" * 20, "%B6222021234567890128^TEST^2812?"):
        eq(_control(hw, {"op": "swipe", "track2": t2})["bad"], 1)
    eq(_control(hw, {"op": "swipe", "track2": "="})["good"], 1)  # app/card.py refuses it
    eq(_events(hw), [("SWIPE", None)] * 3 + [("SWIPE", "=")])
    for line in hw.said:
        assert "6222" not in line and "2812" not in line, line


def test_swipe_op_errors():
    hw = _hw()
    for req, what in (({"op": "swipe"}, "track2"), ({"op": "swipe", "track2": ""}, "track2"),
                      ({"op": "swipe", "track2": 5}, "track2"),
                      ({"op": "swipe", "raw": "3b3"}, "hex"),
                      ({"op": "swipe", "raw": "zz"}, "hex"),
                      ({"op": "swipe", "raw": ""}, "hex"),
                      ({"op": "swipe", "raw": "00" * 513}, "512"),
                      ({"op": "swipe", "track2": "1" * 201}, "200"),
                      ({"op": "swipe", "track2": T2, "raw": "3b"}, "not both")):
        ans = _control(hw, req)
        assert what in ans.get("error", ""), (req, ans)
    eq(_events(hw), [])
    hw.card_reader = False
    assert "no card reader" in _control(hw, {"op": "swipe", "track2": T2})["error"]


def test_a_full_key_queue_is_not_ok():
    hw = _hw()
    for i in range(hw.keys.size):
        hw.keys.put("1")
    eq(_control(hw, {"op": "swipe", "track2": T2})["ok"], False)
    eq(hw.said, ["card reader: swipe dropped, key queue full"])


mptest.run(globals())
