# A stand-in terminal application for tests/host/test_simctl.py (not the real app): it
# boots on the simulator board like firmware/main.py, counts its boots in flash, shows
# the keys pressed, prints a tiny GB18030 receipt on ENTER and reports printer errors
# and swipes on screen, all through the board's Hardware object.
import asyncio

import board

ESC_INIT = b"\x1b@"
CUT = b"\x1dV\x42\x00"
PREAUTH_GB = b"\xd4\xa4\xca\xda\xc8\xa8"  # "预授权" in GB18030


def boots():
    path = board.DATA_DIR + "/boots"
    try:
        with open(path) as f:
            n = int(f.read())
    except (OSError, ValueError):
        n = 0
    n += 1
    with open(path, "w") as f:
        f.write(str(n))
    return n


class Stub:
    def __init__(self, hw, boot_no):
        self.hw = hw
        self.boot_no = boot_no
        self.typed = ""
        self.status = "ready"

    def draw(self):
        d = self.hw.display
        y, mo, dd, h, mi, s = self.hw.clock.now()
        lines = [
            "STUB boot %d" % self.boot_no,
            "keys:" + self.typed[-11:],
            "date %04d-%02d-%02d" % (y, mo, dd),
            self.status[:16],
        ]
        d.fill(0)
        for i, text in enumerate(lines):
            d.text(text, 0, i * 16, 1)
        d.lines = lines
        d.show()

    async def print_receipt(self):
        data = ESC_INIT + b"\x1ba\x01\x1bE\x01" + PREAUTH_GB + b"\x1bE\x00\n"
        data += b"\x1ba\x00KEYS:" + self.typed.encode() + b"\n\x1bd\x03" + CUT
        try:
            await self.hw.printer.write(data)
            self.status = "printed"
        except board.PrinterError as e:
            self.status = "PRINTER ERROR"
            self.hw.log("printer error:", e)

    async def run(self):
        self.draw()
        while True:
            ev = await self.hw.keys.get()
            self.hw.log("key", ev)
            if isinstance(ev, tuple) and ev[0] == "SWIPE":
                # ("SWIPE", None): the card reader refused the read
                self.status = "SWIPE FAILED" if ev[1] is None else "SWIPE " + ev[1][:10]
            elif ev == "ENTER":
                await self.print_receipt()
            elif ev == "CLEAR":
                self.typed = self.typed[:-1]
            elif ev == "CANCEL":
                self.typed = ""
                self.status = "cancelled"
            elif len(ev) == 1:
                self.typed += ev
            else:
                self.status = ev
            self.draw()


async def main():
    board.mount_flash()
    hw = board.init()
    app = Stub(hw, boots())
    for coro in hw.tasks():
        asyncio.create_task(coro)
    hw.log("stub app booted", app.boot_no)
    await app.run()


asyncio.run(main())
