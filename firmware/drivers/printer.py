# The 58 mm ESC/POS thermal printer on a TTL serial line (9600 baud): paced writes so the
# printer's small receive buffer never overflows, and a paper check that asks the printer
# (DLE EOT 4, falling back to ESC v). The board hands in the UART (anything with write(),
# read(n) and any()); it sends bytes that ui/paper.py laid out in escpos.py commands.
import asyncio
import time

from drivers import escpos


class PrinterError(OSError):
    """The printer cannot take data. An OSError, as the simulator board's, so the app can
    catch either board's printer error."""


# Validity masks of the answer bytes: the bits the ESC/POS manuals fix, so noise or a
# stale byte is not taken for a status. DLE EOT 4: bits 1 and 4 are 1, bits 0 and 7 are 0.
_RT_FIXED_MASK = 0x93
_RT_FIXED = 0x12
# ESC v: bits 4 and 7 are 0.
_V_FIXED_MASK = 0x90

# What the last paper_ok() found, in .status.
OK = "ok"
NEAR_END = "near_end"  # paper low: still prints
PAPER_OUT = "paper_out"
NO_ANSWER = "no_answer"  # answered before, silent now: off or unplugged
UNKNOWN = "unknown"  # has never answered: status line not wired, or not supported


class Printer:
    CHUNK = 64  # bytes per UART write: well under the printer's (>= 1 KB) input buffer
    POLL_MS = 5  # how often a status read looks for the answer
    STALL_MS = 2000  # write() gives up when the UART takes nothing for this long

    def __init__(self, uart, pace_bytes_per_s=900, status_timeout_ms=300, log=None):
        self.uart = uart
        self.pace = pace_bytes_per_s
        self.status_timeout_ms = status_timeout_ms
        self.log = log  # a function taking one str, e.g. hw.log
        self.status = UNKNOWN
        self.answered = False  # the printer has answered a status request since boot
        self._realtime = True  # DLE EOT 4 works (tried first); False: use ESC v
        self._blind_said = False

    def _say(self, msg):
        if self.log is not None:
            self.log("printer: " + msg)

    async def write(self, data):
        """Send data (bytes, bytearray or memoryview) in CHUNK-byte slices, pausing so
        that on average no more than pace bytes a second go out: about what the printer
        prints at 9600 baud, so its buffer does not overflow while it feeds paper."""
        mv = memoryview(data)
        n = len(mv)
        uart = self.uart
        pace = self.pace
        start = time.ticks_ms()
        last = start  # when the UART last took a byte
        sent = 0
        while sent < n:
            end = sent + self.CHUNK
            if end > n:
                end = n
            k = uart.write(mv[sent:end])
            now = time.ticks_ms()
            if k is None:  # machine.UART: a timeout, nothing taken
                k = 0
            if k:
                sent += k
                last = now
            elif time.ticks_diff(now, last) >= self.STALL_MS:
                raise PrinterError("printer not taking data")
            # Pace: the time these sent bytes may take at pace bytes/s, less what passed.
            wait = sent * 1000 // pace - time.ticks_diff(now, start)
            if wait > 0 and (sent < n or not k):
                await asyncio.sleep_ms(wait)
            elif not k:
                await asyncio.sleep_ms(self.POLL_MS)

    async def _ask(self, request):
        """Send a status request and wait up to status_timeout_ms for one answer byte;
        -1 if none came."""
        uart = self.uart
        while uart.any():  # drop stale bytes (a late answer to an earlier request)
            uart.read(uart.any())
        uart.write(request)
        deadline = time.ticks_add(time.ticks_ms(), self.status_timeout_ms)
        while not uart.any():
            if time.ticks_diff(deadline, time.ticks_ms()) <= 0:
                return -1
            await asyncio.sleep_ms(self.POLL_MS)
        b = uart.read(1)
        return b[0] if b else -1

    async def _realtime_status(self):
        b = await self._ask(escpos.STATUS_PAPER_RT)
        if b >= 0 and (b & _RT_FIXED_MASK) == _RT_FIXED:
            return b
        return -1

    async def _v_status(self):
        # ESC v followed by a 0 byte: printers whose ESC v takes a parameter eat it, the
        # rest ignore a NUL; without it, such a printer would swallow the next command's
        # first byte.
        b = await self._ask(escpos.STATUS_PAPER + b"\x00")
        if b >= 0 and not (b & _V_FIXED_MASK):
            return b
        return -1

    async def paper_ok(self):
        """True when the printer can print. Asks with DLE EOT 4 (answered at once even
        while printing); a printer that does not answer it is asked with ESC v. The one
        that answered is asked first next time. Silence from both: False if this printer
        has answered before (it is off or unplugged), True if it never has (a printer with
        no status line wired: print blind, as a real terminal's reprint covers a lost
        slip). .status says which (OK, NEAR_END, PAPER_OUT, NO_ANSWER, UNKNOWN)."""
        order = (True, False) if self._realtime else (False, True)
        for realtime in order:
            b = await (self._realtime_status() if realtime else self._v_status())
            if b < 0:
                continue
            self._realtime = realtime
            self.answered = True
            if escpos.paper_out(b, realtime):
                self.status = PAPER_OUT
                return False
            if escpos.paper_near_end(b, realtime):
                if self.status != NEAR_END:
                    self._say("paper near end")
                self.status = NEAR_END
            else:
                self.status = OK
            return True
        if self.answered:
            self.status = NO_ANSWER
            self._say("no answer to status requests")
            return False
        if not self._blind_said:
            self._blind_said = True
            self._say("no status answer ever: printing blind")
        self.status = UNKNOWN
        return True
