# The magnetic stripe reader: a module on a TTL serial line sends each swipe as ASCII,
# track by track between sentinels (track 1 `%...?`, track 2 `;...?`, then track 3), most
# often ending it with CR. This driver finds track 2 in those bytes and puts one event per
# swipe on the key queue: ("SWIPE", "PAN=YYMM...") for a good read, ("SWIPE", None) for a
# read it refuses. Tracks 1 and 3 are skipped, never stored. The track never goes into a
# log line or an exception, and its buffer is wiped after every swipe. The board hands in
# the UART (anything with any() and readinto()); docs/drivers.md has the rules.
import asyncio
import time

from micropython import const

SWIPE = "SWIPE"
TRACK2_MAX = const(37)  # characters between the sentinels (ISO/IEC 7813: 40 with SS, ES, LRC)

# Why a read was refused (CardReader.reason, and the log line): words, never track data.
NO_START = "no start sentinel"
REVERSED = "reversed"  # an end sentinel where a start sentinel belongs
BAD_CHAR = "not a track 2 character"
TOO_LONG = "track 2 too long"
PARTIAL = "partial"  # no end sentinel before the swipe ended
BAD_LRC = "bad LRC"
EMPTY = "empty track 2"
NO_TRACK2 = "no track 2"

# Parser states.
_IDLE = const(0)  # between swipes
_GAP = const(1)  # in a swipe, before track 2: a start sentinel next
_T1 = const(2)  # in track 1: skipped up to its end sentinel
_T1_LRC = const(3)  # track 1's LRC next: skipped
_T2 = const(4)  # in track 2: its characters go into the buffer
_T2_LRC = const(5)  # track 2's LRC next: checked
_REST = const(6)  # track 2 read, good or bad: the rest of the swipe (track 3) is skipped

_STX = const(0x02)
_ETX = const(0x03)
_LF = const(0x0A)
_CR = const(0x0D)
_SS1 = const(0x25)  # % track 1 start sentinel
_SS2 = const(0x3B)  # ; track 2 start sentinel (4-bit code B)
_FS = const(0x3D)  # = field separator (D)
_ES = const(0x3F)  # ? end sentinel (F)


def _wipe(buf, n):
    for i in range(n):
        buf[i] = 0


class CardReader:
    IDLE_MS = 200  # a swipe in progress ends when the line has been quiet this long
    POLL_MS = 20  # run(): how often the UART is read (9600 baud: about 19 bytes a turn)
    CHUNK = 64  # bytes read from the UART at a time, into one preallocated buffer
    MAX_CHUNKS = 8  # at most this many a turn (512 bytes), so the asyncio loop turns on

    def __init__(self, uart, queue, lrc=False, log=None):
        self.uart = uart
        self.queue = queue
        self.lrc = lrc  # the module sends an LRC character after each end sentinel
        self.log = log  # a function taking one str, e.g. hw.log
        self._buf = bytearray(TRACK2_MAX)
        self._chunk = bytearray(self.CHUNK)
        self._n = 0  # track 2 characters in _buf
        self._x = 0  # XOR of the 4-bit values of track 2 so far, start sentinel included
        self._state = _IDLE
        self._good = False  # this swipe's track 2 is complete and checked
        self._why = None  # this swipe's first fault
        self._last = 0  # ticks of this swipe's last bytes
        self.reads = 0  # good reads
        self.bad = 0  # refused reads
        self.dropped = 0  # events the key queue had no room for
        self.errors = 0  # UART reads that raised (run() carries on)
        self.reason = None  # why the last refused read was refused (one of the words above)

    def _say(self, msg):
        if self.log is not None:
            self.log("card reader: " + msg)

    def busy(self):
        """True while a swipe is under way (bytes came, the swipe has not ended)."""
        return self._state != _IDLE

    def feed(self, data, now=None, n=-1):
        """Parse bytes from the module (bytes, bytearray or memoryview; the first n when
        n >= 0), received at ticks now. Any split of a stream gives the same events."""
        if now is None:
            now = time.ticks_ms()
        if n < 0:
            n = len(data)
        st = self._state
        buf = self._buf
        for i in range(n):
            c = data[i]
            if c == _CR or c == _LF or c == _STX or c == _ETX:
                # The module's end of a swipe (CR, LF; ETX or a new STX where it frames
                # its messages). Nothing under way: nothing to end.
                if st != _IDLE:
                    self._state = st
                    self._end()
                    st = _IDLE
            elif st == _REST:
                pass
            elif st == _T2:
                if c == _ES:
                    if not self._n:
                        st = self._fault(EMPTY)
                    elif self.lrc:
                        self._x ^= 0x0F
                        st = _T2_LRC
                    else:
                        self._good = True
                        st = _REST
                elif 0x30 <= c <= 0x39 or c == _FS:
                    k = self._n
                    if k >= TRACK2_MAX:
                        st = self._fault(TOO_LONG)
                    else:
                        buf[k] = c
                        self._n = k + 1
                        self._x ^= c & 0x0F
                else:
                    st = self._fault(BAD_CHAR)
            elif st == _T1:
                if c == _ES:
                    st = _T1_LRC if self.lrc else _GAP
            elif st == _T2_LRC:
                # 0x30 + the 4-bit value making every bit column of SS..ES + LRC even
                if 0x30 <= c <= 0x3F and (c & 0x0F) == self._x:
                    self._good = True
                    st = _REST
                else:
                    st = self._fault(BAD_LRC)
            elif st == _T1_LRC:
                st = _GAP
            elif c < 0x20 or c >= 0x7F:
                pass  # before a track: a module's framing (ESC) or line noise
            elif c == _SS2:
                st = _T2
                self._x = _SS2 & 0x0F
            elif c == _SS1:
                st = _T1
            elif c == _ES:
                st = self._fault(REVERSED)
            else:
                st = self._fault(NO_START)
        self._state = st
        if st != _IDLE:
            self._last = now

    def _fault(self, reason):
        if self._why is None:
            self._why = reason
        return _REST

    def idle(self, now):
        """End a swipe under way once the line has been quiet IDLE_MS (ticks now): a
        module that sends no terminator, or a read cut short."""
        if self._state != _IDLE and time.ticks_diff(now, self._last) >= self.IDLE_MS:
            self._end()

    def _end(self):
        st = self._state
        n = self._n
        if self._good:
            ev = (SWIPE, str(memoryview(self._buf)[:n], "ascii"))
            self.reads += 1
        else:
            why = self._why
            if why is None:
                why = PARTIAL if st == _T2 else BAD_LRC if st == _T2_LRC else NO_TRACK2
            ev = (SWIPE, None)
            self.bad += 1
            self.reason = why
            self._say("bad read (" + why + ")")
        _wipe(self._buf, n)
        self._n = 0
        self._x = 0
        self._good = False
        self._why = None
        self._state = _IDLE
        if not self.queue.put(ev):
            self.dropped += 1
            self._say("swipe dropped, key queue full")

    def poll(self, now):
        """Read what the UART holds (a bounded amount), parse it, then end a swipe the
        line has gone quiet on. The UART's bytes are read before the quiet is judged, so
        a loop held up meanwhile never cuts a swipe whose bytes wait in the UART. Kept
        this small so that a poll of a quiet line allocates nothing (a function with
        more locals gets its frame from the heap on each call)."""
        if self.uart.any():
            self._read(now)
        self.idle(now)

    def _read(self, now):
        u = self.uart
        chunk = self._chunk
        for _ in range(self.MAX_CHUNKS):
            k = u.readinto(chunk)
            if not k:
                break
            self.feed(chunk, now, k)
            _wipe(chunk, k)
            if not u.any():
                break

    async def run(self):
        """The reader task, started by the board through hw.tasks(). Never ends: a UART
        error is counted in .errors (said once) and reading goes on."""
        ticks = time.ticks_ms
        while True:
            try:
                self.poll(ticks())
            except Exception as e:  # noqa: the reader must outlive a faulty UART read
                self.errors += 1
                if self.errors == 1:
                    self._say("UART read failed (%s)" % type(e).__name__)
            await asyncio.sleep_ms(self.POLL_MS)
