# The ESP32 board (board/esp32) on the unix port: fake `machine` and `network` modules go
# into sys.modules before the board is imported, so pin set-up, the Hardware it returns,
# the keypad task, watchdog, clock, WiFi at boot and the monitor run without a chip.
import asyncio
import os
import sys
import time

import mptest

_HERE = __file__[: __file__.rfind("/")] if "/" in __file__ else "."
sys.path.insert(0, _HERE + "/../../board/esp32")  # ahead of board/unix's board.py

TMP = mptest.TMP


# --- fake machine ---------------------------------------------------------------------

T2 = "6222021234567890128=2812101"  # a test card's track 2

class FakeMachine:
    pins = {}  # gpio -> Pin
    pressed = set()  # (row, col) of keys held on the fake keypad matrix
    rows = ()
    cols = ()
    i2c_devices = [0x3C]
    i2c_writes = 0
    uart_fails = False  # True: every UART fails to start; or a tuple of the UART ids that do
    uarts = {}  # id -> the UART made last
    wdts = []  # timeouts of every WDT made
    feeds = 0
    resets = 0


class Pin:
    IN = 1
    OUT = 3
    PULL_UP = 2

    def __init__(self, n, mode=-1, pull=-1, value=None):
        self.n = n
        self.mode = mode
        self.pull = pull
        self._v = 0 if value is None else value
        FakeMachine.pins[n] = self

    def value(self, v=None):
        fm = FakeMachine
        if v is not None:
            self._v = 1 if v else 0
            return None
        if self.n in fm.cols:
            c = fm.cols.index(self.n)
            for r in range(len(fm.rows)):
                row = fm.pins.get(fm.rows[r])
                if row is not None and row._v == 0 and (r, c) in fm.pressed:
                    return 0
            return 1
        return self._v


class I2C:
    def __init__(self, id, scl=None, sda=None, freq=None):
        self.freq = freq

    def scan(self):
        return list(FakeMachine.i2c_devices)

    def writeto(self, addr, buf):
        FakeMachine.i2c_writes += 1
        return len(buf)


class UART:
    def __init__(self, id, baudrate=9600, tx=None, rx=None, **kw):
        fails = FakeMachine.uart_fails
        if fails is True or (fails and id in fails):
            raise ValueError("invalid pin")
        self.id, self.baudrate, self.tx, self.rx, self.kw = id, baudrate, tx, rx, kw
        self.out = bytearray()
        self.received = bytearray()  # what the part on the line sent (tests put it here)
        FakeMachine.uarts[id] = self

    def write(self, b):
        self.out += b
        return len(b)

    def any(self):
        return len(self.received)

    def readinto(self, buf):
        n = min(len(buf), len(self.received))
        if not n:
            return None
        buf[:n] = self.received[:n]
        self.received = self.received[n:]
        return n

    def read(self, n=None):
        return None


class WDT:
    def __init__(self, id=0, timeout=5000):
        FakeMachine.wdts.append(timeout)

    def feed(self):
        FakeMachine.feeds += 1


class RTC:
    def __init__(self):
        self.t = (2026, 3, 14, 5, 9, 26, 53, 0)

    def datetime(self, t=None):
        if t is None:
            return self.t
        self.t = tuple(t)


_rtc = RTC()


class machine:
    Pin = Pin
    I2C = I2C
    UART = UART
    WDT = WDT

    @staticmethod
    def RTC():
        return _rtc

    @staticmethod
    def reset():
        FakeMachine.resets += 1


# --- fake network ---------------------------------------------------------------------

class WLAN:
    plan = []  # outcome of each connect(): "ok", "wrong", "noap", "never"
    connects = 0
    instance = None

    def __init__(self, iface):
        self._active = False
        self._up = False
        self._status = network.STAT_IDLE
        WLAN.instance = self

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = on

    def connect(self, ssid, password):
        WLAN.connects += 1
        outcome = WLAN.plan.pop(0) if WLAN.plan else "never"
        self._up = outcome == "ok"
        self._status = {"ok": network.STAT_GOT_IP, "wrong": network.STAT_WRONG_PASSWORD,
                        "noap": network.STAT_NO_AP_FOUND}.get(outcome, network.STAT_CONNECTING)

    def disconnect(self):
        self._up = False

    def isconnected(self):
        return self._up

    def status(self):
        return self._status

    def ifconfig(self):
        return ("192.168.4.23", "255.255.255.0", "192.168.4.1", "192.168.4.1")


class network:
    STA_IF = 0
    STAT_IDLE = 1000
    STAT_CONNECTING = 1001
    STAT_GOT_IP = 1010
    STAT_NO_AP_FOUND = 201
    STAT_WRONG_PASSWORD = 202
    STAT_CONNECT_FAIL = 203
    WLAN = WLAN


sys.modules["machine"] = machine
sys.modules["network"] = network

import board  # noqa: E402  (after the fakes)
import esp_clock  # noqa: E402
import esp_wifi  # noqa: E402

FakeMachine.rows = board.KEYPAD_ROWS
FakeMachine.cols = board.KEYPAD_COLS
LOG = []
board.log = lambda *a: LOG.append(" ".join(str(x) for x in a))
esp_wifi.STEP_PAUSE_MS = 1
esp_wifi.Wifi.POLL_MS = 1
esp_wifi.Wifi.CONNECT_TIMEOUT_MS = 40
esp_wifi.Wifi.CHECK_MS = 5
esp_wifi.Wifi.RETRY_MIN_MS = 1
esp_clock.record  # the clock stamps through journal.record (firmware module)


def _fresh():
    FakeMachine.pins = {}
    FakeMachine.pressed = set()
    FakeMachine.i2c_devices = [0x3C]
    FakeMachine.uart_fails = False
    FakeMachine.uarts = {}
    FakeMachine.wdts = []
    FakeMachine.feeds = 0
    WLAN.plan = []
    WLAN.connects = 0
    del LOG[:]
    board.DATA_DIR = TMP + "/pos_esp32_data"


def _rmtree(path):
    try:
        for name in os.listdir(path):
            os.remove(path + "/" + name)
        os.rmdir(path)
    except OSError:
        pass


def _close(coros):
    for c in coros:
        c.close()


def _run_until(coro_fns, done, guard_ms=10000):
    """Run the tasks until done() holds, then cancel them. Nothing here depends on how
    fast the machine is: guard_ms only stops a test that would otherwise hang (a loaded
    machine once ran a 40 ms window with too few watchdog feeds in it)."""
    async def main():
        tasks = [asyncio.create_task(f) for f in coro_fns]
        t0 = time.ticks_ms()
        while not done() and time.ticks_diff(time.ticks_ms(), t0) < guard_ms:
            await asyncio.sleep_ms(1)
        for t in tasks:
            t.cancel()
        await asyncio.sleep_ms(0)

    asyncio.run(main())


# --- the pin map ------------------------------------------------------------------------

def test_pin_map_is_safe_and_unique():
    used = (list(board.KEYPAD_ROWS) + list(board.KEYPAD_COLS)
            + [board.I2C_SDA, board.I2C_SCL, board.PRINTER_TX, board.PRINTER_RX,
               board.LED, board.BUZZER, board.MSR_TX, board.MSR_RX])
    assert len(used) == len(set(used)), used
    for n in used:
        assert n not in (0, 2, 5, 12, 15), "strapping pin %d" % n
        assert not (6 <= n <= 11), "flash pin %d" % n
        assert n not in (1, 3), "UART0 (console) pin %d" % n
    outputs = list(board.KEYPAD_ROWS) + [board.PRINTER_TX, board.LED, board.BUZZER,
                                         board.MSR_TX]
    for n in outputs + list(board.KEYPAD_COLS):
        assert n < 34, "GPIO %d is input-only (no output, no pull-up)" % n
    assert 34 <= board.MSR_RX <= 39  # a UART RX needs neither output nor internal pull-up
    assert board.DISPLAY_ADDR == 0x3C and board.PRINTER_BAUD == 9600
    assert board.MSR_UART == 1 and board.PRINTER_UART == 2 and board.MSR_BAUD == 9600


# --- init and the Hardware ---------------------------------------------------------------

def test_init_returns_the_hardware_interface():
    _fresh()
    from drivers.keyqueue import KeyQueue
    from drivers.printer import Printer
    from drivers.ssd1306 import SSD1306_I2C

    hw = board.init()
    assert isinstance(hw.display, SSD1306_I2C)
    assert isinstance(hw.keys, KeyQueue)
    assert isinstance(hw.printer, Printer)
    assert hw.card_reader is True  # the stripe reader on UART1: 60.4 = 2
    assert len(hw.clock.now()) == 6
    for n in board.KEYPAD_ROWS:
        assert FakeMachine.pins[n].mode == Pin.OUT and FakeMachine.pins[n]._v == 1
    for n in board.KEYPAD_COLS:
        p = FakeMachine.pins[n]
        assert p.mode == Pin.IN and p.pull == Pin.PULL_UP
    u = hw.printer.uart
    assert (u.id, u.baudrate, u.tx, u.rx) == (2, 9600, board.PRINTER_TX, board.PRINTER_RX)
    u = FakeMachine.uarts[1]
    assert (u.id, u.baudrate, u.tx, u.rx) == (1, 9600, board.MSR_TX, board.MSR_RX)
    assert u.kw == {"rxbuf": board.MSR_RXBUF, "timeout": 0}  # reads never wait
    assert hw.reader.uart is u and hw.reader.lrc == board.MSR_LRC
    tasks = hw.tasks()
    assert len(tasks) == 5  # keypad scan, card reader, clock stamp, WiFi monitor, watchdog
    _close(tasks)
    hw.log("hello", 1)
    assert LOG[-1] == "hello 1"
    hw.reset()
    assert FakeMachine.resets == 1


def test_the_board_keeps_the_hardware_contract():
    import hardware

    _fresh()
    hw = board.init()
    assert hardware.missing(board, hw) == []
    assert hw.display.lines == []  # the UI's text, kept on the driver's object by the board
    _close(hw.tasks())
    _fresh()  # neither display nor printer: the stand-ins keep it too
    FakeMachine.i2c_devices = []
    FakeMachine.uart_fails = True
    hw = board.init()
    assert hardware.missing(board, hw) == []
    _close(hw.tasks())


def test_missing_display_runs_headless():
    _fresh()
    FakeMachine.i2c_devices = []
    hw = board.init()
    assert hw.display.present is False
    assert any("no SSD1306" in m for m in LOG), LOG
    hw.display.lines = ["PRE-AUTH", "amount"]
    hw.display.text("x", 0, 0, 1)
    hw.display.show()
    assert LOG[-1] == "screen: PRE-AUTH | amount"
    hw.display.show()  # unchanged: not logged again
    assert LOG[-1] == "screen: PRE-AUTH | amount" and LOG[-2] != LOG[-1]
    _close(hw.tasks())


def test_missing_printer_uart_means_no_printing():
    _fresh()
    FakeMachine.uart_fails = True
    hw = board.init()

    async def go():
        assert await hw.printer.paper_ok() is False
        try:
            await hw.printer.write(b"x")
        except board.PrinterError as e:
            return str(e)

    assert "no printer" in asyncio.run(go())
    assert any("printer" in m for m in LOG), LOG
    _close(hw.tasks())


def test_keypad_task_feeds_the_key_queue():
    _fresh()
    hw = board.init()
    tasks = hw.tasks()
    _close(tasks[1:])
    FakeMachine.pressed = {(0, 0)}  # "1"
    _run_until([tasks[0]], lambda: len(hw.keys) >= 1)
    FakeMachine.pressed = {(3, 3)}  # "D" = ENTER
    _run_until([hw.keypad.run()], lambda: len(hw.keys) >= 2)
    got = []
    while len(hw.keys):
        got.append(asyncio.run(hw.keys.get()))
    assert got == ["1", "ENTER"], got


def test_card_reader_task_turns_uart1_bytes_into_swipes():
    _fresh()
    hw = board.init()
    tasks = hw.tasks()
    _close(tasks[:1] + tasks[2:])
    u = FakeMachine.uarts[1]
    u.received += b"%B6222021234567890128^ZHANG/SAN^2812101000?;" + T2.encode() + b"?;0112?\r"
    _run_until([tasks[1]], lambda: len(hw.keys) >= 1)
    u.received += b";" + T2.encode()[:9] + b"\r"  # a partial read
    u.received += b";" + T2.encode() + b"?"  # no terminator: the quiet line ends it
    _run_until([hw.reader.run()], lambda: len(hw.keys) >= 3)
    got = []
    while len(hw.keys):
        got.append(asyncio.run(hw.keys.get()))
    assert got == [("SWIPE", T2), ("SWIPE", None), ("SWIPE", T2)], got
    assert LOG == ["card reader: bad read (partial)"], LOG  # never the track


def test_reader_uart_failing_leaves_keyed_entry():
    import hardware

    _fresh()
    FakeMachine.uart_fails = (1,)
    hw = board.init()
    assert hw.card_reader is False and hw.reader is None  # 60.4 = 0: keyed entry
    assert [m for m in LOG if "card reader" in m] == [
        "card reader: UART1 did not start (invalid pin): keyed entry only"]
    assert hw.printer.uart is FakeMachine.uarts[2]  # the printer is unaffected
    assert hardware.missing(board, hw) == []
    tasks = hw.tasks()
    assert len(tasks) == 4  # no reader task
    _close(tasks)


def test_watchdog_fed_and_service_mode():
    _fresh()
    hw = board.init()
    hw.feed_ms = 5
    _run_until([hw.feed_watchdog()], lambda: FakeMachine.feeds >= 3)
    assert FakeMachine.wdts == [board.WDT_TIMEOUT_MS]
    assert FakeMachine.feeds >= 3
    assert board.service_hold() is True
    assert FakeMachine.wdts[-1] == board.SERVICE_HOLD_MS and hw.wdt_held
    # CANCEL (*) held at power-on: no watchdog task, and service_hold starts none.
    _fresh()
    FakeMachine.pressed = {(3, 0)}
    hw = board.init()
    tasks = hw.tasks()
    assert len(tasks) == 4
    _close(tasks)
    assert board.service_hold() is False and FakeMachine.wdts == []
    assert hw.display.lines[0] == "SERVICE MODE"


def test_mount_flash_makes_the_data_folder():
    _fresh()
    _rmtree(board.DATA_DIR)
    board.mount_flash()
    assert os.stat(board.DATA_DIR)[0] & 0x4000
    board.mount_flash()  # already there: fine
    os.rmdir(board.DATA_DIR)


def test_remount_with_the_firmware_read_size():
    import vfs
    from blockdev import FileBlockDevice
    from journal.record import LFS_READSIZE

    class Dev(FileBlockDevice):
        sizes = []

        def readblocks(self, block, buf, off=0):
            Dev.sizes.append(len(buf))
            return FileBlockDevice.readblocks(self, block, buf, off)

    image, mnt = TMP + "/remount.img", "/remount_t"
    try:
        os.remove(image)
    except OSError:
        pass
    dev = Dev(image, block_count=32)
    vfs.VfsLfs2.mkfs(dev)
    vfs.mount(dev, mnt)  # as _boot.py mounts: detected, default read size 32
    with open(mnt + "/state", "w") as f:
        f.write("kept")
    Dev.sizes = []
    os.stat(mnt + "/state")
    assert min(Dev.sizes) < LFS_READSIZE  # the default mount reads 32-byte pieces
    assert board.remount(dev, mnt) is True
    Dev.sizes = []
    with open(mnt + "/state") as f:
        assert f.read() == "kept"  # the same filesystem, nothing rewritten
    assert Dev.sizes and all(n % LFS_READSIZE == 0 for n in Dev.sizes), Dev.sizes
    vfs.umount(mnt)

    with open(image, "wb") as f:  # not littlefs: no remount, and nothing unmounted
        f.write(bytes(32 * 4096))
    dev = Dev(image, block_count=32)
    assert board.remount(dev, mnt) is False
    os.remove(image)


def test_frozen_modules_searched_before_flash():
    saved = list(sys.path)
    sys.path[:] = ["", "/lib", ".frozen"]
    board._frozen_first()
    order = list(sys.path)
    sys.path[:] = saved
    assert order == [".frozen", "", "/lib"], order


# --- the clock ---------------------------------------------------------------------------

class _Rtc(RTC):
    def __init__(self, t):
        self.t = t


def _clock(t, stamp=None):
    path = TMP + "/pos_esp32_clock"
    if stamp is None:
        try:
            os.remove(path)
        except OSError:
            pass
    return esp_clock.RtcClock(_Rtc(t), path, lambda *a: None)


def test_clock_now_and_set():
    c = _clock((2026, 3, 14, 5, 9, 26, 53, 0))
    assert c.now() == (2026, 3, 14, 9, 26, 53)
    c.set(2026, 7, 1, 12, 0, 0)
    assert c.rtc.t == (2026, 7, 1, 2, 12, 0, 0, 0)  # 1 July 2026 is a Wednesday (2)
    mptest.raises(ValueError, c.set, 2026, 2, 30, 0, 0, 0)


def test_sync_from_host_keeps_the_year_and_rolls_over():
    c = _clock((2026, 3, 14, 5, 9, 26, 53, 0))
    assert c.sync_from_host("0314", "092801")
    assert c.now() == (2026, 3, 14, 9, 28, 1)
    c = _clock((2025, 12, 31, 2, 23, 59, 50, 0))  # RTC just before new year, host after
    assert c.sync_from_host("0101", "000005")
    assert c.now() == (2026, 1, 1, 0, 0, 5)
    c = _clock((2026, 1, 1, 3, 0, 0, 2, 0))  # RTC ran ahead over new year
    assert c.sync_from_host("1231", "235959")
    assert c.now() == (2025, 12, 31, 23, 59, 59)
    c = _clock((2027, 6, 1, 1, 0, 0, 0, 0))
    assert not c.sync_from_host("0229", "120000")  # not in 2027; 2028's is 9 months off
    c = _clock((2028, 2, 28, 0, 23, 0, 0, 0))
    assert c.sync_from_host("0229", "120000") and c.now()[:3] == (2028, 2, 29)
    for mmdd, hms in (("1301", "000000"), ("0101", "246000"), ("01x1", "000000"),
                      ("101", "000000"), (None, "000000")):
        c = _clock((2026, 3, 14, 5, 9, 26, 53, 0))
        assert not c.sync_from_host(mmdd, hms), (mmdd, hms)
        assert c.now() == (2026, 3, 14, 9, 26, 53)


def test_lost_rtc_wound_forward_to_the_stamp():
    c = _clock((2026, 5, 2, 5, 10, 0, 0, 0))
    c.stamp()
    c2 = esp_clock.RtcClock(_Rtc((2000, 1, 1, 5, 0, 0, 7, 0)), c.stamp_path, lambda *a: None)
    assert c2.now() == (2026, 5, 2, 10, 0, 0)
    os.remove(c.stamp_path)


class _Ntp:
    def __init__(self, secs=None):
        self.secs = secs
        self.host = None

    def time(self):
        if self.secs is None:
            raise OSError(110)  # ETIMEDOUT: no answer
        return self.secs


def test_ntp_sets_the_clock_to_local_time_or_leaves_it():
    c = _clock((2026, 5, 2, 5, 10, 0, 0, 0))
    ntp = _Ntp(time.mktime((2026, 12, 7, 4, 0, 0, 0, 0)))  # UTC
    assert c.sync_ntp("ntp.example", 480, ntp) and ntp.host == "ntp.example"
    assert c.now() == (2026, 12, 7, 12, 0, 0)  # China: UTC+8
    assert not c.sync_ntp("ntp.example", 480, _Ntp())  # no answer: left as it was
    assert c.now() == (2026, 12, 7, 12, 0, 0)
    assert not c.sync_ntp("ntp.example", 480, _Ntp(0))  # the port's epoch: not believed
    assert not c.sync_ntp("", 480, ntp)  # none configured
    assert c.now() == (2026, 12, 7, 12, 0, 0)


# --- WiFi ----------------------------------------------------------------------------------

def _boot_wifi(cfg, plan):
    hw = board.init()
    WLAN.plan = list(plan)
    shown = []
    real_show = hw.show

    def show(lines):
        shown.append(list(lines))
        real_show(lines)

    hw.show = show
    ok = asyncio.run(esp_wifi.connect_at_boot(cfg, hw, fail_pause_ms=5))
    _close(hw.tasks())
    return hw, ok, shown


def test_wifi_connects_on_second_try_with_progress_on_screen():
    _fresh()
    hw, ok, shown = _boot_wifi({"wifi_ssid": "shop-ap", "wifi_password": "secret99"},
                               ["never", "ok"])
    assert ok
    assert shown[0] == ["WiFi connecting", "shop-ap", "try 1 of 3"]
    assert ["WiFi connecting", "shop-ap", "try 2 of 3"] in shown
    assert shown[-1] == ["WiFi OK", "shop-ap", "192.168.4.23"]
    assert hw.wifi.ip() == "192.168.4.23"
    assert FakeMachine.pins[board.LED]._v == 1
    for lines in shown:  # board screens are ASCII (the 8x8 built-in font)
        for line in lines:
            assert all(32 <= ord(ch) < 127 for ch in line), line


def test_wifi_wrong_password_stops_and_says_what_to_do():
    _fresh()
    hw, ok, shown = _boot_wifi({"wifi_ssid": "shop-ap", "wifi_password": "badpass1"},
                               ["wrong", "wrong", "wrong"])
    assert not ok
    assert WLAN.connects == 1  # retrying a wrong password cannot help
    last = shown[-1]
    assert last[0] == "WiFi FAILED" and "wrong password" in last
    assert "Check wifi_password" in last
    assert FakeMachine.pins[board.LED]._v == 0


def test_wifi_not_found_retries_then_gives_up():
    _fresh()
    hw, ok, shown = _boot_wifi({"wifi_ssid": "nowhere", "wifi_password": ""},
                               ["noap", "noap", "noap"])
    assert not ok and WLAN.connects == 3
    assert shown[-1][:3] == ["WiFi FAILED", "nowhere", "network not found"]


def test_wifi_not_configured():
    _fresh()
    hw, ok, shown = _boot_wifi({"wifi_ssid": "", "wifi_password": ""}, [])
    assert not ok and WLAN.connects == 0
    assert shown[-1][0] == "WiFi not set"


def test_hw_connect_joins_wifi_then_sets_the_clock_by_ntp():
    _fresh()
    hw = board.init()
    WLAN.plan = ["ok"]
    sys.modules["ntptime"] = _Ntp(time.mktime((2026, 12, 7, 4, 0, 0, 0, 0)))
    try:
        assert asyncio.run(hw.connect(
            {"wifi_ssid": "a", "wifi_password": "", "ntp_host": "ntp.example",
             "tz_offset_min": 480}))
    finally:
        del sys.modules["ntptime"]
    assert hw.clock.now() == (2026, 12, 7, 12, 0, 0)  # set by NTP once WiFi was up
    _close(hw.tasks())


def test_monitor_reconnects_after_a_drop():
    _fresh()
    hw = board.init()
    WLAN.plan = ["ok"]
    assert asyncio.run(esp_wifi.connect_at_boot({"wifi_ssid": "a", "wifi_password": ""}, hw))

    async def ap_goes_away():
        await asyncio.sleep_ms(30)
        WLAN.plan = ["noap", "ok"]
        WLAN.instance._up = False

    _run_until([hw.wifi.monitor(), ap_goes_away()],
               lambda: hw.wifi.connected() and any("reconnected" in m for m in LOG))
    assert hw.wifi.connected(), LOG
    assert WLAN.connects == 3, LOG
    assert any("connection lost" in m for m in LOG) and any("reconnected" in m for m in LOG)
    _close(hw.tasks())


mptest.run(globals())
