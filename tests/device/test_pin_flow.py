# The cardholder's PIN in a transaction (wire-format.md §8), through the App and the
# transaction skeleton with the host replaced: the PIN screen comes after the card and
# before the summary, for the kinds the configuration names; the request carries 22.2
# and 26/52/53 as §8 says; a sign-in comes first when there is no PIK; and the PIN stays
# a secret: only stars on the screen, nothing of it (nor of the block) in the log, the
# journal, the pending reversal, the printer or any file, and its buffers zero whichever
# way the transaction ends.
import asyncio
import os

import config
import mptest
from lfs_helper import Flash
from app_hw import HW, run_flow, type_when as _type
from app import preauth
from app.strings import t
from app.terminal import App
from crypto.pinblock import PinBlock
from host.session import OK, Result
from ui.entry import CANCEL, CLEAR, ENTER

D = "/lfs"
PIK = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")  # wire-format.md §7
MAK = bytes.fromhex("1C2D3E4F5A6B7C8D")
PAN = "6222021234567890128"  # the host simulator's test card
TRACK2 = PAN + "=2812101"
PIN = "9753"  # a PIN that no other number of the test contains


def _block(pin, pan=PAN):
    pb = PinBlock()
    pb.digits[: len(pin)] = pin.encode()
    return bytes(pb.make(PIK, pan, len(pin)))


def _app(pin_entry=None, keys=True):
    hw = HW(D)
    cfg = dict(config.DEFAULTS)
    if pin_entry is not None:
        cfg["pin_entry"] = pin_entry
    app = App(hw, cfg, D)
    if keys:  # signed in: the working keys in RAM (session.py), nothing due
        app.session.pik, app.session.mak = PIK, MAK
        app.state.need_signin = False
    app.sent = []

    async def exchange(mti, fields, timeout_s=None, mac=True):  # the host approves
        f = dict(fields)
        if 52 in f:
            f[52] = bytes(f[52])  # as it went out: the flow zeroes its buffer afterwards
        app.sent.append((mti, f, _file(D + "/reversal")))
        return Result(OK, mti="0110", fields={11: fields[11], 13: "0301", 37: "000000000002",
                                              38: "A1B2C3", 39: "00", 63: "CUP"})

    app.session.exchange = exchange
    return hw, app


def _file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _files(top=D):
    """Every file on the flash: (path, bytes)."""
    out = []
    for name, kind, *_ in os.ilistdir(top):
        path = top + "/" + name
        if kind == 0x4000:
            out.extend(_files(path))
        else:
            out.append((path, _file(path)))
    return out


def _run(app, hw, steps):
    """preauth.run with steps (text, keys...) answered in order; returns when it ends."""
    run_flow(hw, preauth.run(app), steps)


AMOUNT = (t("amount"), "1", "2", "3", "4", "5", ENTER)
CARD = (t("card"), ("SWIPE", TRACK2))
SUMMARY = (t("confirm_hint"), ENTER)
SLIPS = (t("print_cardholder"), CANCEL)


def _zero(app):
    pb = app.pin
    return pb.digits == bytearray(12) and pb.clear == bytearray(8) and pb.block == bytearray(8)


def _secret_nowhere(hw, app, block):
    for lines in hw.screens:  # the PIN screen's lines: the prompt, the amount, stars
        if len(lines) > 1 and lines[1] in (t("pin"), t("e_pin_len")):
            assert lines[2] == "RMB 123.45", lines
            assert lines[3] == "_" or lines[3] == "*" * len(lines[3]), lines
        for line in lines:
            assert PIN not in line, lines
    for line in hw.logged:
        assert PIN not in line and block.hex() not in line.lower(), line
    for path, data in _files():  # journal, reversal, state, printer, ...
        assert block not in data, path
        assert PIN.encode() not in data, path
    assert _zero(app), (app.pin.digits, app.pin.clear, app.pin.block)


def test_a_preauth_asks_for_the_pin_after_the_card_and_sends_its_block():
    fl = Flash("pin_flow")
    hw, app = _app()
    block = _block(PIN)
    _run(app, hw, [AMOUNT, CARD, (t("pin"),) + tuple(PIN) + (ENTER,), SUMMARY, SLIPS])
    assert len(app.sent) == 1, hw.logged
    mti, f, rev = app.sent[0]
    assert mti == "0100" and f[22] == "021" and f[26] == "12" and f[52] == block, f
    assert f[53] == "2600000000000000" and f[35] == TRACK2.replace("=", "D"), f
    # the pending reversal on flash while the request was out: without the PIN's fields
    assert rev and block not in rev and b"2600000000000000" not in rev
    assert app.reversal.load() is None
    rec = app.journal.find_voucher(f[11])
    assert rec.entry_mode == "021" and rec.amount == 12345, rec
    # the order of the screens: the card, the PIN (with the amount), the summary
    firsts = []
    for lines in hw.screens:
        for key in ("card", "pin", "confirm_hint"):
            if t(key) in lines and key not in firsts:
                firsts.append(key)
    assert firsts == ["card", "pin", "confirm_hint"], firsts
    _secret_nowhere(hw, app, block)
    fl.remove()


def test_enter_without_a_pin_sends_22_2_2_and_no_pin_fields():
    fl = Flash("pin_flow")
    hw, app = _app()
    _run(app, hw, [AMOUNT, CARD, (t("pin"), ENTER), SUMMARY, SLIPS])
    mti, f, _ = app.sent[0]
    assert f[22] == "022" and 26 not in f and 52 not in f and 53 not in f, f
    assert _zero(app)
    fl.remove()


def test_cancel_timeout_or_cancel_at_the_summary_sends_nothing_and_zeroes_the_pin():
    fl = Flash("pin_flow")
    block = _block(PIN)
    for steps in ([AMOUNT, CARD, (t("pin"), "9", "7", "5", CANCEL)],
                  [AMOUNT, CARD, (t("pin"), "9", "7", "5")],  # then no key: left idle
                  [AMOUNT, CARD, (t("pin"),) + tuple(PIN) + (ENTER,),
                   (t("confirm_hint"), CANCEL)]):
        hw, app = _app()
        app.scr.idle_ms = 300  # the PIN screen gives up after min(this, 60 s)
        _run(app, hw, steps)
        assert app.sent == [] and app.reversal.load() is None, app.sent
        _secret_nowhere(hw, app, block)
    fl.remove()


def test_an_error_on_the_way_out_still_zeroes_the_pin():
    fl = Flash("pin_flow")
    hw, app = _app()

    async def broken(mti, fields, timeout_s=None, mac=True):
        raise OSError("the network broke")

    app.session.exchange = broken

    async def main():
        task = asyncio.create_task(preauth.run(app))
        for step in (AMOUNT, CARD, (t("pin"),) + tuple(PIN) + (ENTER,), SUMMARY):
            await _type(hw, *step)
        for _ in range(300):
            if task.done():
                break
            await asyncio.sleep_ms(10)
        try:
            await task
        except OSError:
            return True
        return False

    assert asyncio.run(main()), "the error did not reach the caller (App.report)"
    assert _zero(app)
    fl.remove()


def test_the_configuration_switches_the_pin_off_or_on_per_kind():
    fl = Flash("pin_flow")
    hw, app = _app({"preauth": False})
    _run(app, hw, [AMOUNT, CARD, SUMMARY, SLIPS])
    assert not [s for s in hw.screens if t("pin") in s], "asked for a PIN"
    assert app.sent[0][1][22] == "022"
    fl.remove()


def test_no_pik_signs_in_before_the_pin_screen():
    fl = Flash("pin_flow")
    hw, app = _app(keys=False)
    signed = []

    async def sign_in():  # the host's keys, as session.sign_in installs them
        signed.append([s for s in hw.screens if t("pin") in s])
        app.session.pik, app.session.mak = PIK, MAK
        app.state.need_signin = False
        return True, Result(OK, mti="0810", fields={39: "00"}), "signed in"

    app.session.sign_in = sign_in
    _run(app, hw, [AMOUNT, CARD, (t("pin"),) + tuple(PIN) + (ENTER,), SUMMARY, SLIPS])
    assert signed == [[]], signed  # once, before any PIN screen
    assert app.sent[0][1][52] == _block(PIN)
    fl.remove()


FLOOD_KEYS = (["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] * 4 + [CLEAR] * 2
              + [chr(c) for c in range(ord("A"), ord("Z") + 1, 5)]
              + ["UP", "DOWN", "FUNC", ("SWIPE", TRACK2), ("SWIPE", None)])


def _pin_screens(hw):
    """Checks every PIN screen drawn since the last call: the prompt or the refusal, the
    amount, at most 12 stars and no digit typed. Returns the star counts."""
    stars = []
    for lines in hw.screens:
        if len(lines) < 4 or lines[1] not in (t("pin"), t("e_pin_len")):
            continue
        assert lines[2] == "RMB 123.45", lines
        shown = lines[3]
        assert shown == "_" or shown == "*" * len(shown), lines
        n = 0 if shown == "_" else len(shown)
        assert n <= 12, lines
        # the second line is one of two fixed texts (the refusal says 4-12), the title
        # the kind's name: no digit the cardholder typed can show anywhere
        assert not [c for c in lines[0] + shown if "0" <= c <= "9"], lines
        stars.append(n)
    hw.screens[:] = []
    return stars


def test_a_flood_of_keys_at_the_pin_screen():
    """Far more key events than the key queue holds (digits, CLEAR, letters, UP/DOWN,
    FUNC, swipes good and bad) at the PIN screen: no crash, never more than 12 stars nor
    a digit on the screen, a 13th digit refused, the PIN's buffer never beyond its 12
    bytes; the cardholder then gives up (CANCEL): nothing sent, the buffers zero."""
    fl = Flash("pin_flow")
    seed = int.from_bytes(os.urandom(4), "little") | 1
    print("flood seed", seed)
    hw, app = _app()
    size = len(app.pin.digits)
    assert size == 12 and hw.keys.size < 100  # the flood is many times the queue
    state = [seed]

    def rnd(n):  # xorshift32: a reproducible stream from the printed seed
        x = state[0]
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        state[0] = x
        return x % n

    async def main():
        task = asyncio.create_task(preauth.run(app))
        try:
            for step in (AMOUNT, CARD):
                await _type(hw, *step)
            await _type(hw, t("pin"))
            dropped0, put, most = hw.keys.dropped, 0, 0
            for _ in range(60):  # bursts past the queue's bound, then a moment to read
                for _ in range(rnd(3 * hw.keys.size)):
                    hw.keys.put(FLOOD_KEYS[rnd(len(FLOOD_KEYS))])
                    put += 1
                await asyncio.sleep_ms(rnd(3))
                assert not task.done(), hw.display.lines  # still at the PIN screen
                assert len(app.pin.digits) == size
                most = max([most] + _pin_screens(hw))
            while len(hw.keys):
                await asyncio.sleep_ms(5)
            assert put > 10 * hw.keys.size and hw.keys.dropped > dropped0, (put,)
            # then exactly: CLEAR, 12 digits, a 13th refused
            for k in [CLEAR] + ["7"] * 12 + ["8"]:
                hw.keys.put(k)
                await asyncio.sleep_ms(5)
            await asyncio.sleep_ms(20)
            lines = hw.display.lines
            assert lines[1] == t("e_pin_len") and lines[3] == "*" * 12, lines
            assert bytes(app.pin.digits) == b"7" * 12, "the 13th digit was taken"
            most = max([most] + _pin_screens(hw))
            hw.keys.put(CANCEL)
            for _ in range(300):
                if task.done():
                    break
                await asyncio.sleep_ms(10)
            assert task.done(), hw.display.lines
            return most
        finally:
            task.cancel()
            await asyncio.sleep_ms(0)

    most = asyncio.run(main())
    assert most == 12, most
    assert app.sent == [] and app.reversal.load() is None, app.sent
    assert _zero(app), (app.pin.digits, app.pin.clear, app.pin.block)
    fl.remove()


mptest.run(globals())
