# The simulator's magnetic stripe reader: a swipe becomes the bytes a TTL reader module
# sends (`;` track 2 `?`, the LRC when the module is set to send one, CR) on a simulated
# serial line, and the firmware's own driver (drivers/msr.py) reads them as the ESP32
# board's task reads UART1. The control interface's swipe op lands here, so every swipe
# of a test, of `make run` (F2, F4, `swipe`) and of a campaign goes through the driver.
import asyncio
import time

from drivers.msr import CardReader

RAW_MAX = 512  # bytes one swipe may put on the line (a 3-track swipe is ~230)


def module_bytes(track2, lrc):
    """The bytes a reader module sends for a card whose track 2 is track2 (a str, as on
    the stripe; characters a stripe cannot hold are sent as they are, and refused)."""
    data = b";" + track2.encode() + b"?"
    if lrc:
        v = 0
        for c in data:
            v ^= c & 0x0F
        data += bytes((0x30 + v,))
    return data + b"\r"


class Serial:
    """The reader's serial line, as the driver sees a machine.UART: any(), readinto()."""

    def __init__(self):
        self._data = b""
        self._pos = 0

    def put(self, data):
        self._data = self._data[self._pos :] + bytes(data)
        self._pos = 0

    def any(self):
        return len(self._data) - self._pos

    def readinto(self, buf):
        n = min(len(buf), self.any())
        if not n:
            return None
        p = self._pos
        buf[:n] = self._data[p : p + n]
        self._pos = p + n
        if self._pos == len(self._data):
            self._data = b""
            self._pos = 0
        return n


class Reader:
    """The module and its driver. swipe(data) puts the bytes on the line and lets the
    driver read them at once, so a swipe's event is queued before the control interface
    answers (in order with the keys around it); a read left unfinished (no terminator)
    is ended by the driver when the line has been quiet for its IDLE_MS."""

    def __init__(self, keys, lrc, log):
        self.lrc = lrc  # the module sends the LRC after the end sentinel
        self.serial = Serial()
        self.driver = CardReader(self.serial, keys, lrc=lrc, log=log)
        self._watching = False

    def swipe(self, data):
        """Put data on the line; the answer of the control interface's swipe op."""
        d = self.driver
        keys = d.queue
        good, bad, dropped = d.reads, d.bad, keys.dropped
        self.serial.put(data)
        while self.serial.any():
            d.poll(time.ticks_ms())
        pending = d.busy()
        if pending and not self._watching:
            self._watching = True
            asyncio.create_task(self._watch())
        return {"ok": keys.dropped == dropped, "good": d.reads - good, "bad": d.bad - bad,
                "pending": pending}

    async def _watch(self):
        # Only while a read is unfinished: the simulator has no reader task polling all
        # the time; bytes arrive only through swipe(), which reads them itself.
        d = self.driver
        try:
            while d.busy():
                await asyncio.sleep_ms(d.POLL_MS)
                d.poll(time.ticks_ms())
        finally:
            self._watching = False
