# The ESP32 prototype board (docs/hardware.md): the pin map, the flash, and init(), which
# builds the Hardware of firmware/hardware.py from machine objects. This file is the
# only one that knows GPIO numbers; the drivers receive their pins and buses from here.
import os
import sys

NAME = "esp32-proto"
CARD_READER = True  # a magnetic stripe reader on UART1 (False: none fitted, keyed entry only)

CONFIG_PATH = "/config.json"  # written by `make provision`
DATA_DIR = "/data"  # the journal, state, supervisor record (MicroPython mounts littlefs at /)

# Pin map, ESP32-WROOM-32 GPIO numbers (docs/hardware.md has the wiring table). None of
# the strapping pins (0, 2, 5, 12, 15), the flash pins (6-11) or UART0 (1, 3, the USB
# console); the columns need internal pull-ups, so none of the input-only pins 34-39
# except for a UART RX, which needs neither output nor pull-up.
KEYPAD_ROWS = (32, 33, 25, 26)  # outputs, R1..R4: rows "1 2 3 A" .. "* 0 # D"
KEYPAD_COLS = (27, 14, 13, 4)  # inputs with pull-ups, C1..C4: columns "1 4 7 *" .. "A B C D"
I2C_ID = 0  # the ESP32's hardware I2C controller 0, routed to the pins below
I2C_SDA = 21
I2C_SCL = 22
I2C_FREQ = 400000
DISPLAY_ADDR = 0x3C  # SSD1306 128x64 (0x3D on modules with the address jumper moved)
PRINTER_UART = 2
PRINTER_TX = 17  # ESP32 TX -> printer RX
PRINTER_RX = 16  # printer TX -> ESP32 RX (through a divider if the printer talks 5 V)
PRINTER_BAUD = 9600
MSR_UART = 1  # the magnetic stripe reader (docs/drivers.md, "Card reader")
MSR_RX = 34  # reader TX -> ESP32 RX (input-only pin; a divider if the reader talks 5 V)
MSR_TX = 23  # not wired: named so UART1 leaves its default TX, GPIO 10, a flash pin
MSR_BAUD = 9600  # the usual factory setting of TTL reader modules, 8N1
MSR_LRC = False  # True if the module sends the LRC character after each end sentinel
MSR_RXBUF = 512  # the UART's receive buffer (IDF heap): a 3-track swipe is ~230 bytes
LED = 19  # status LED (active high): on = WiFi up, blinking = connecting, off = offline
BUZZER = 18  # active buzzer through an NPN transistor (active high)

# The watchdog resets the board when the asyncio loop stops running for this long (a hung
# task, a blocking call that never returns). 30 s is above the longest legitimate block
# (a DNS lookup on a bad network, ~15 s) and short enough that a stuck terminal is back
# in half a minute. Fed every WDT_FEED_MS by a task; once started it cannot be stopped.
WDT_TIMEOUT_MS = 30000
WDT_FEED_MS = 5000
SERVICE_HOLD_MS = 3600000  # service_hold(): an hour at the REPL for a developer

_hw = None  # the Hardware of this boot (for service_hold from the REPL)


def _frozen_first():
    # In an image with the firmware frozen in, the fonts sit on flash under /ui; a folder
    # on flash shadows a frozen package of the same name (MicroPython packages do not span
    # sys.path entries), so the frozen modules must be searched before the flash.
    p = sys.path
    if ".frozen" in p and "" in p and p.index("") < p.index(".frozen"):
        p.remove(".frozen")
        p.insert(p.index(""), ".frozen")


_frozen_first()


def _isdir(path):
    try:
        return os.stat(path)[0] & 0x4000 != 0
    except OSError:
        return False


def mount_flash(image=None):
    """MicroPython mounted the littlefs partition at / during boot (and would have stopped
    with a message if it did not mount), with the default read size; mount it again with
    the firmware's (journal/record.py LFS_READSIZE: larger caches, half the block reads
    per file lookup; nothing on flash changes). Then make sure the data folder
    exists."""
    os.statvfs("/")  # OSError if there is no filesystem at all
    _remount_root()
    if not _isdir(DATA_DIR):
        os.mkdir(DATA_DIR)  # OSError (shown as FLASH ERROR) if the flash is full or damaged
    return None


def _remount_root():
    try:
        from flashbdev import bdev  # the partition MicroPython's _boot.py mounted at /
    except ImportError:
        return
    if bdev is not None:
        remount(bdev, "/")


def remount(bdev, path):
    """Mount the littlefs on bdev at path again, with the firmware's read size. True if
    it did; a filesystem that is not littlefs v2 stays mounted as it was."""
    import vfs

    from journal.record import LFS_READSIZE

    try:
        fs = vfs.VfsLfs2(bdev, readsize=LFS_READSIZE)
    except OSError as e:
        log("flash: kept the boot mount (%s)" % e)
        return False
    vfs.umount(path)
    try:
        vfs.mount(fs, path)
    except OSError:
        vfs.mount(bdev, path)  # as _boot.py did: the terminal still has its flash
        raise
    return True


def log(*args):
    # The USB REPL console (UART0) is the board's log.
    print(" ".join(str(a) for a in args))


def _open_display(machine):
    from esp_hw import NullDisplay

    i2c = machine.I2C(I2C_ID, scl=machine.Pin(I2C_SCL), sda=machine.Pin(I2C_SDA),
                      freq=I2C_FREQ)
    try:
        found = i2c.scan()
    except OSError:
        found = ()
    if DISPLAY_ADDR not in found:
        log("display: no SSD1306 at 0x%02x (SDA %d, SCL %d): running headless, screens "
            "go to this console" % (DISPLAY_ADDR, I2C_SDA, I2C_SCL))
        return NullDisplay(log)
    try:
        from drivers.ssd1306 import SSD1306_I2C

        d = SSD1306_I2C(128, 64, i2c, addr=DISPLAY_ADDR)
        d.lines = []  # the text the UI drew (firmware/hardware.py): kept, not shown
        return d
    except (OSError, ImportError) as e:
        log("display: SSD1306 did not start (%s): running headless" % e)
        return NullDisplay(log)


def _open_printer(machine):
    from esp_hw import NullPrinter

    try:
        from drivers.printer import Printer

        uart = machine.UART(PRINTER_UART, baudrate=PRINTER_BAUD, tx=PRINTER_TX, rx=PRINTER_RX)
        return Printer(uart, log=log)
    except (OSError, ImportError, ValueError) as e:
        log("printer: UART%d did not start (%s): printing disabled" % (PRINTER_UART, e))
        return NullPrinter()


def _open_card_reader(machine, keys):
    if not CARD_READER:
        return None
    try:
        from drivers.msr import CardReader

        # timeout=0: a read takes what has arrived and never waits (the reader task polls)
        uart = machine.UART(MSR_UART, baudrate=MSR_BAUD, tx=MSR_TX, rx=MSR_RX,
                            rxbuf=MSR_RXBUF, timeout=0)
        return CardReader(uart, keys, lrc=MSR_LRC, log=log)
    except (OSError, ImportError, ValueError) as e:
        log("card reader: UART%d did not start (%s): keyed entry only" % (MSR_UART, e))
        return None


from esp_hw import PrinterError  # noqa: F401  (re-exported: board.PrinterError)


def init():
    """The prototype's Hardware. A missing display or printer, or a card reader whose UART
    does not start, is logged, never fatal: the terminal then runs headless (screens
    echoed to the console), without printing, or with keyed card entry only."""
    global _hw
    import machine

    from drivers.keypad import Keypad
    from drivers.keyqueue import KeyQueue
    from esp_clock import RtcClock
    from esp_hw import Hardware
    from esp_wifi import Wifi

    keys = KeyQueue()
    rows = [machine.Pin(n, machine.Pin.OUT, value=1) for n in KEYPAD_ROWS]
    cols = [machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP) for n in KEYPAD_COLS]
    keypad = Keypad(rows, cols, keys)
    led = machine.Pin(LED, machine.Pin.OUT, value=0)
    buzzer = machine.Pin(BUZZER, machine.Pin.OUT, value=0)
    # CANCEL (*) held at power-on: service mode, the watchdog is not started, so a
    # developer can sit at the REPL (mpremote) without the board resetting.
    service = "CANCEL" in keypad.names(keypad.scan_once())
    try:
        import network
    except ImportError:
        network = None
    hw = Hardware(
        display=_open_display(machine),
        keys=keys,
        keypad=keypad,
        printer=_open_printer(machine),
        clock=RtcClock(machine.RTC(), DATA_DIR + "/clock", log),
        wifi=Wifi(network, log, led),
        log=log,
        new_watchdog=None if service else lambda: machine.WDT(timeout=WDT_TIMEOUT_MS),
        reset=machine.reset,
        reader=_open_card_reader(machine, keys),
        buzzer=buzzer,
    )
    hw.feed_ms = WDT_FEED_MS
    if service:
        log("service mode (* held at power-on): watchdog off")
        hw.show(["SERVICE MODE", "watchdog off", "", "REPL: USB serial"])
    _hw = hw
    return hw


def service_hold():
    """From the REPL (`mpremote exec "import board; board.service_hold()"`): stretch the
    watchdog the firmware armed to an hour, so file copies are not cut short by a reset.
    True when stretched; False when no watchdog runs (none is started here) or the port
    cannot change its timeout."""
    if _hw is None or _hw.wdt is None:
        return False
    import machine

    try:
        _hw.wdt = machine.WDT(timeout=SERVICE_HOLD_MS)
    except (OSError, ValueError):
        return False
    _hw.wdt_held = True
    return True
