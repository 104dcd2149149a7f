# The simulator board's parts as one Hardware for device tests that run the App in one
# process (no control interface): what board/unix/sim_hw.py gives main.py, with the log
# and every screen shown kept for the test to read, and the keys pressed by type_when().
import asyncio

from sim_clock import Clock
from sim_display import Display
from sim_keys import KeyQueue
from sim_printer import Printer


class HW:
    card_reader = True

    def __init__(self, folder):
        self.display = Display()
        self.keys = KeyQueue()
        self.printer = Printer(folder + "/printer.bin")
        self.clock = Clock(folder + "/clock_offset")
        self.logged = []  # every log line
        self.screens = []  # every screen shown, its text lines
        show = self.display.show

        def shown():
            self.screens.append(list(self.display.lines))
            show()

        self.display.show = shown

    def log(self, *a):
        self.logged.append(" ".join(str(x) for x in a))

    async def beep(self, ms=80):
        pass


async def type_when(hw, text, *keys):
    """Wait (up to 10 s) for text on the screen, then press keys."""
    for _ in range(1000):
        if any(text in line for line in hw.display.lines):
            for k in keys:
                hw.keys.put(k)
            return
        await asyncio.sleep_ms(10)
    raise AssertionError("%r never shown: %r" % (text, hw.display.lines))
