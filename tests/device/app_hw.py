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


def run_flow(hw, flow, steps, done_ms=5000):
    """Run the coroutine flow (e.g. preauth.run(app)) as a task, answer steps (text,
    keys...) in order as each text shows, then wait (up to done_ms) for it to end."""

    async def main():
        task = asyncio.create_task(flow)
        try:
            for step in steps:
                await type_when(hw, *step)
            for _ in range(done_ms // 10):
                if task.done():
                    break
                await asyncio.sleep_ms(10)
            assert task.done(), hw.display.lines
        finally:
            task.cancel()
            await asyncio.sleep_ms(0)

    asyncio.run(main())
