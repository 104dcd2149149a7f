# The drivers on the real parts. Every test needs the ESP32 (pins, I2C, UART) and is a
# SKIP elsewhere, never a failure. PARAMS["loopback"]: a jumper from the printer UART's
# TX to its RX is fitted (printer unplugged), so bytes sent come back. Nobody presses a
# key or swipes a card while they run.
import sys
import time

import boardtest
from boardtest import Skip


def _board():
    boardtest.need_hardware("GPIO, I2C, UART")
    import board

    return board


def test_keypad_idle():
    # Nobody touches the keypad during the test: every column reads high (pull-ups), so a
    # full scan sees no key; a stuck key or a short shows up here.
    b = _board()
    import machine

    from drivers.keypad import Keypad
    from drivers.keyqueue import KeyQueue

    rows = [machine.Pin(n, machine.Pin.OUT, value=1) for n in b.KEYPAD_ROWS]
    cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in b.KEYPAD_COLS]
    kp = Keypad(rows, cols, KeyQueue())
    for _ in range(5):
        mask = kp.scan_once()
        assert mask == 0, "keys down: %s" % kp.names(mask)


def test_display_on_i2c():
    b = _board()
    import machine

    i2c = machine.I2C(b.I2C_ID, scl=machine.Pin(b.I2C_SCL), sda=machine.Pin(b.I2C_SDA),
                      freq=b.I2C_FREQ)
    found = i2c.scan()
    if b.DISPLAY_ADDR not in found:
        raise Skip("no SSD1306 at 0x%02x (found %s)" % (b.DISPLAY_ADDR, found))
    from drivers.ssd1306 import SSD1306_I2C

    d = SSD1306_I2C(128, 64, i2c, addr=b.DISPLAY_ADDR)
    d.fill(0)
    d.text("board test", 0, 0, 1)
    d.show()


def test_printer_uart_loopback():
    b = _board()
    if not boardtest.PARAMS.get("loopback"):
        raise Skip("no TX-RX loopback jumper (pytest --loopback)")
    import machine

    uart = machine.UART(b.PRINTER_UART, baudrate=b.PRINTER_BAUD, tx=b.PRINTER_TX,
                        rx=b.PRINTER_RX)
    while uart.any():
        uart.read()
    msg = b"\x1b@loopback 0123456789\n"
    uart.write(msg)
    got = b""
    t0 = time.ticks_ms()
    while len(got) < len(msg) and time.ticks_diff(time.ticks_ms(), t0) < 1000:
        got += uart.read() or b""
        time.sleep_ms(10)
    assert got == msg, got


def test_card_reader_line_quiet():
    # Nobody swipes during the test: the stripe reader's line stays idle. A floating or
    # miswired RX picks up noise, which at the counter would show as bad reads. Only the
    # count of bytes is said, never what they were.
    b = _board()
    if not b.CARD_READER:
        raise Skip("no card reader fitted (board.CARD_READER)")
    import machine

    uart = machine.UART(b.MSR_UART, baudrate=b.MSR_BAUD, tx=b.MSR_TX, rx=b.MSR_RX,
                        rxbuf=b.MSR_RXBUF, timeout=0)
    buf = bytearray(64)
    n = 0
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < 500:
        n += uart.readinto(buf) or 0
        time.sleep_ms(20)
    for i in range(len(buf)):
        buf[i] = 0
    assert n == 0, "%d bytes on the idle card reader line (RX GPIO %d)" % (n, b.MSR_RX)


def test_platform_reported():
    # Runs everywhere: what the self-tests ran on, for the log.
    print("platform", sys.platform, "mpy", getattr(sys.implementation, "_mpy", 0))


boardtest.run(globals())
