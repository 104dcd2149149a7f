# The virtual board: the unix port on a pseudo-terminal with a littlefs image as its
# whole filesystem (host_tools/virtual_board.py), driven with mpremote like the ESP32.
# Same file layout as the ESP32 board (littlefs at /, data under /data, configuration at
# /config.json); the hardware is simulated in RAM and headless: stdout is the REPL, so
# there is no control interface. The display's text goes to the log instead, one line per
# show(), and the last Hardware object stays reachable as board._hw for inspection from
# the REPL after main.py was interrupted.
import framebuf
import os
import sys
import time

from drivers.keyqueue import KeyQueue

NAME = "virtual"
CARD_READER = False  # no reader (the prototype has one on UART1): keyed entry only

CONFIG_PATH = "/config.json"
DATA_DIR = "/data"

WIDTH = 128
HEIGHT = 64
LOG_LINES = 32  # the last log lines kept in RAM (hw.logs)
PRINT_TAIL = 2048  # the last bytes "printed" kept in RAM (hw.printer.tail)

_hw = None  # the Hardware of this boot, once init() ran (as on the esp32 board)


def mount_flash(image=None):
    """The image is mounted at / before anything runs; make sure the data folder exists."""
    try:
        os.mkdir(DATA_DIR)
    except OSError:
        pass
    return None


class Display(framebuf.FrameBuffer):
    """The 128x64 panel, MONO_VLSB like the SSD1306. show() snapshots the text lines and
    writes them to the log, the only way to see a headless screen."""

    def __init__(self, log):
        self.buf = bytearray(WIDTH * HEIGHT // 8)
        super().__init__(self.buf, WIDTH, HEIGHT, framebuf.MONO_VLSB)
        self.width = WIDTH
        self.height = HEIGHT
        self.lines = []
        self.shown_lines = []
        self.seq = 0
        self._log = log

    def show(self):
        self.shown_lines = [str(s) for s in self.lines]
        self.seq += 1
        self._log("DISPLAY:", " | ".join(self.shown_lines))


class Printer:
    """Keeps the ESC/POS bytes in RAM (a byte count and a tail): no paper, no flash wear."""

    def __init__(self):
        self.paper = True
        self.printed = 0
        self.tail = b""

    async def paper_ok(self):
        return self.paper

    async def write(self, data):
        if not self.paper:
            raise OSError("paper out")
        self.printed += len(data)
        self.tail = (self.tail + bytes(data))[-PRINT_TAIL:]


class Clock:
    """The host's time plus an offset kept in RAM (set() moves it)."""

    def __init__(self):
        self.offset = 0

    def now(self):
        return tuple(time.localtime(int(time.time()) + self.offset)[:6])

    def set(self, y, mo, d, h, mi, s):
        self.offset = time.mktime((y, mo, d, h, mi, s, 0, 0)) - int(time.time())

    def sync_from_host(self, mmdd, hhmmss):
        """Not taken: the PC's time is better (firmware/hardware.py)."""
        return False


class Hardware:
    """The contract of firmware/hardware.py, in RAM."""

    def __init__(self):
        self.logs = []
        self.display = Display(self.log)
        self.keys = KeyQueue()
        self.printer = Printer()
        self.clock = Clock()
        self.card_reader = CARD_READER
        self.beeps = 0  # no buzzer: counted (board._hw.beeps from the REPL)

    async def beep(self, ms=80):
        self.beeps += 1

    async def connect(self, cfg):
        # The PC's network, already up: nothing to join.
        return True

    def log(self, *args):
        line = " ".join(str(a) for a in args)
        self.logs.append(line)
        if len(self.logs) > LOG_LINES:
            self.logs.pop(0)
        sys.stdout.write(line + "\n")

    def reset(self):
        # host_tools/virtual_board.py provides machine.reset (the process ends and is
        # started again, like a board rebooting).
        import machine

        machine.reset()

    def tasks(self):
        return []


def init():
    global _hw
    _hw = Hardware()
    return _hw
