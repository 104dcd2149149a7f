# The magnetic stripe reader driver (drivers/msr.py) on exact byte streams, as a TTL
# module sends them: track 2 alone, with tracks 1 and 3, with and without the LRC, and the
# reads it must refuse (bad sentinels, bad LRC, partial, reversed, foreign characters, too
# long). Every stream is also fed split at every byte boundary and one byte at a time,
# and must give the same events. The clock is a number the tests step; nothing sleeps.
import asyncio
import time

import mptest
from fakebus import UART, EventSink
from drivers import msr
from drivers.msr import CardReader

T2 = "6222021234567890128=2812101"  # the approving test card's track 2
PAN = T2[:19]
IDLE = CardReader.IDLE_MS
T0 = time.ticks_add(0, -3)  # the fake clock starts just before the ticks wrap round


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def lrc2(chars):
    """Track 2's LRC as a module sends it: the XOR of the 4-bit values of every character
    from the start sentinel to the end sentinel, as the character 0x30 + value."""
    v = 0
    for c in chars:
        v ^= ord(c) & 0x0F
    return chr(0x30 + v)


def lrc1(chars):
    """Track 1's (6-bit characters, 0x20 + value)."""
    v = 0
    for c in chars:
        v ^= ord(c) - 0x20
    return chr(0x20 + v)


def track2(t2=T2, lrc=False):
    s = ";" + t2 + "?"
    return s + lrc2(s) if lrc else s


TRACK1 = "%B6222021234567890128^ZHANG/SAN^2812101000000000000?"
TRACK3 = ";011234567890123445=000000000000000000003012812?"  # a ;-started track 3


def track1(lrc=False, t1=TRACK1):
    return t1 + lrc1(t1) if lrc else t1


def track3(lrc=False, t3=TRACK3):
    return t3 + lrc2(t3) if lrc else t3


def b(s):
    return s.encode() if isinstance(s, str) else s


def _reader(lrc=False, log=None):
    sink = EventSink()
    return CardReader(None, sink, lrc=lrc, log=log), sink


def _feed_all(stream, lrc, chunks, log=None):
    """Feed the chunks with the clock standing still, then let the line go quiet."""
    r, sink = _reader(lrc, log)
    now = T0
    for c in chunks:
        r.feed(c, now)
    r.idle(time.ticks_add(now, IDLE))
    return sink.take(), r


def events(stream, lrc=False):
    """The events of stream fed whole; asserts that fed split at every byte boundary, and
    one byte at a time, as a memoryview and as a bytearray, it gives the same."""
    data = b(stream)
    whole, r = _feed_all(data, lrc, [data])
    for k in range(1, len(data)):
        got, _ = _feed_all(data, lrc, [data[:k], memoryview(data)[k:]])
        assert got == whole, "split at %d: %r != %r" % (k, got, whole)
    got, _ = _feed_all(data, lrc, [bytearray(data[i : i + 1]) for i in range(len(data))])
    assert got == whole, "byte by byte: %r != %r" % (got, whole)
    return whole


def bad(stream, reason, lrc=False):
    eq(events(stream, lrc), [("SWIPE", None)])
    _, r = _feed_all(b(stream), lrc, [b(stream)])
    eq(r.reason, reason)
    eq((r.reads, r.bad), (0, 1))


# --- good reads ---------------------------------------------------------------------------

def test_track2_alone():
    eq(events(track2() + "\r"), [("SWIPE", T2)])
    eq(events(track2() + "\r\n"), [("SWIPE", T2)])  # CR LF: one swipe
    eq(events(track2()), [("SWIPE", T2)])  # no terminator: the quiet line ends it


def test_tracks_1_2_3_only_track_2_is_taken():
    eq(events(track1() + track2() + track3() + "\r"), [("SWIPE", T2)])
    eq(events(track1() + track2() + "+0112345678901234=1234?\r"), [("SWIPE", T2)])
    eq(events(track2() + track3() + "\r"), [("SWIPE", T2)])
    eq(events(track1() + track2() + "\r"), [("SWIPE", T2)])
    eq(events("%E?" + track2() + ";E?\r"), [("SWIPE", T2)])  # tracks 1, 3 unreadable


def test_with_lrc():
    eq(events(track2(lrc=True) + "\r", lrc=True), [("SWIPE", T2)])
    eq(events(track1(True) + track2(lrc=True) + track3(True) + "\r", lrc=True),
       [("SWIPE", T2)])
    eq(events(track2(lrc=True), lrc=True), [("SWIPE", T2)])  # ended by the quiet line


def test_lrc_characters_that_look_like_sentinels():
    # Track 2's LRC can be any of 0x30-0x3F, sentinels included; track 1's any of
    # 0x20-0x5F. With the LRC on, the character after an end sentinel is always the LRC.
    seen = set()
    for i in range(1000):
        t2 = "62220212345678%05d=2812101" % i
        c = lrc2(";" + t2 + "?")
        if c in "?;:<=>" and c not in seen:
            seen.add(c)
            eq(events(track2(t2, lrc=True) + "\r", lrc=True), [("SWIPE", t2)])
    eq(len(seen), 6)
    for target in "%;?":  # a name character chosen to give track 1 that LRC
        for name in ("LI/SI", "WANG/WU", "CHEN/YI"):
            head = "%B6222021234567890128^" + name
            tail = "^2812101?"
            f = chr(0x20 + ((ord(target) - 0x20) ^ (ord(lrc1(head + tail)) - 0x20)))
            if f in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /":
                break
        t1 = head + f + tail
        eq(lrc1(t1), target)
        eq(events(track1(True, t1) + track2(lrc=True) + "\r", lrc=True), [("SWIPE", T2)])


def test_longest_track2_and_shortest():
    t2 = PAN + "=" + "2812101" + "1234567890"  # 37 characters, the most track 2 holds
    eq(len(t2), 37)
    eq(events(track2(t2) + "\r"), [("SWIPE", t2)])
    eq(events(track2(t2, lrc=True) + "\r", lrc=True), [("SWIPE", t2)])
    eq(events(";1?\r"), [("SWIPE", "1")])  # not a card: app/card.parse_track2 says so


def test_module_framing_and_line_noise_are_ignored():
    eq(events("\x02" + track2() + "\r\x03"), [("SWIPE", T2)])  # STX ... CR ETX
    eq(events("\x02\x1b" + track1() + track2() + "\x03"), [("SWIPE", T2)])  # STX ESC, ETX
    eq(events(b"\x00\xff\r\n\x00"), [])  # noise and terminators between swipes: nothing
    eq(events(b"\x00" + b(track2()) + b"\r\x00\xff"), [("SWIPE", T2)])


def test_two_swipes_back_to_back():
    s = track2() + "\r" + track2("4761340000000019=30121010000") + "\r"
    eq(events(s), [("SWIPE", T2), ("SWIPE", "4761340000000019=30121010000")])
    s = track2() + "\r" + ";62220A12?\r" + track1() + track2() + "\r"
    eq(events(s), [("SWIPE", T2), ("SWIPE", None), ("SWIPE", T2)])
    # Without terminators, a quiet line between them separates them.
    r, sink = _reader()
    r.feed(b(track2()), T0)
    r.idle(time.ticks_add(T0, IDLE - 1))
    eq(sink.take(), [])  # not quiet for long enough yet
    r.idle(time.ticks_add(T0, IDLE))
    eq(sink.take(), [("SWIPE", T2)])
    t1 = time.ticks_add(T0, 5 * IDLE)
    r.feed(b(";4761340000000019=3012"), t1)
    r.feed(b("101?"), time.ticks_add(t1, IDLE - 1))  # bytes keep the line busy
    r.idle(time.ticks_add(t1, 2 * IDLE - 2))
    eq(sink.take(), [])
    r.idle(time.ticks_add(t1, 2 * IDLE - 1))
    eq(sink.take(), [("SWIPE", "4761340000000019=3012101")])
    eq((r.reads, r.bad), (2, 0))


# --- bad reads ----------------------------------------------------------------------------

def test_bad_start_sentinel():
    bad(":" + T2 + "?\r", msr.NO_START)
    bad(T2 + "?\r", msr.NO_START)  # the start sentinel lost
    bad("+" + T2 + "?\r", msr.NO_START)  # a track 3 and no track 2
    bad(track1() + "\r", msr.NO_TRACK2)  # track 1 only
    bad(track1(), msr.NO_TRACK2)


def test_bad_end_sentinel():
    bad(";" + T2 + ">\r", msr.BAD_CHAR)
    bad(";" + T2 + ";\r", msr.BAD_CHAR)
    bad(";" + T2 + "\r", msr.PARTIAL)


def test_partial_read():
    bad(";" + T2[:12] + "\r", msr.PARTIAL)  # the module gave up: terminator
    bad(";" + T2[:12], msr.PARTIAL)  # the line went quiet
    bad(track1() + ";" + T2[:12], msr.PARTIAL)
    bad(";", msr.PARTIAL)
    bad(track1()[:20] + "\r", msr.NO_TRACK2)
    bad(track2(lrc=False) + "\r", msr.BAD_LRC, lrc=True)  # the LRC missing
    bad(track2(lrc=False), msr.BAD_LRC, lrc=True)


def test_bad_lrc():
    good = track2(lrc=True)
    wrong = chr(0x30 + ((ord(good[-1]) - 0x30) ^ 0x01))
    bad(good[:-1] + wrong + "\r", msr.BAD_LRC, lrc=True)
    bad(good[:-1] + "A\r", msr.BAD_LRC, lrc=True)  # not even an LRC character
    # a changed digit (a misread) with the original LRC
    bad(";6222021234567890129=2812101?" + good[-1] + "\r", msr.BAD_LRC, lrc=True)


def test_reversed_read():
    rev = "".join(T2[i] for i in range(len(T2) - 1, -1, -1))
    bad("?" + rev + ";\r", msr.REVERSED)
    bad(track1() + "?" + rev + ";\r", msr.REVERSED)
    bad(lrc2(";" + T2 + "?") + "?" + rev + ";\r", msr.NO_START, lrc=True)


def test_characters_not_of_track_2():
    bad(";6222A21234567890128=2812101?\r", msr.BAD_CHAR)
    bad(";6222021234567890128D2812101?\r", msr.BAD_CHAR)  # D: not what a reader sends
    for c in ":<>;% \x00\x1b\xff":
        bad(b";62220212" + b(c) + b"34567890128=2812101?\r", msr.BAD_CHAR)
    # STX inside a track: the module started a new message; what came before is partial
    eq(events(";62220212345\x02" + track2() + "\r"), [("SWIPE", None), ("SWIPE", T2)])


def test_over_long_track():
    bad(track2(PAN + "=" + "2812101" + "12345678901") + "\r", msr.TOO_LONG)  # 38
    bad(";" + "1" * 200 + "?\r", msr.TOO_LONG)
    bad(";" + "1" * 200, msr.TOO_LONG)


def test_empty_track2():
    bad(";?\r", msr.EMPTY)
    bad(";?" + lrc2(";?") + "\r", msr.EMPTY, lrc=True)


# --- what is kept and what is said ----------------------------------------------------------

BAD_READS = (
    (";" + T2 + "\r", False), (";" + T2 + "A?\r", False), (T2 + "?\r", False),
    ("?" + T2 + ";\r", False), (";" + T2 + "9" * 20 + "?\r", False),
    (";" + T2 + "?0\r", True), (";" + T2, False), (track1() + "\r", False),
)


def test_the_track_is_never_logged_and_the_buffer_is_wiped():
    said = []
    for stream, lrc in BAD_READS:
        got, r = _feed_all(b(stream), lrc, [b(stream)], log=said.append)
        eq(got, [("SWIPE", None)])
        eq(bytes(r._buf), bytes(len(r._buf)))  # nothing of the track left behind
    got, r = _feed_all(b(track2()), False, [b(track2() + "\r")], log=said.append)
    eq(got, [("SWIPE", T2)])
    eq(bytes(r._buf), bytes(len(r._buf)))
    eq(len(said), len(BAD_READS))  # one line per bad read, none for a good one
    for line in said:
        assert line.startswith("card reader: bad read"), line
        for k in range(len(T2) - 3):  # no run of 4 track characters in any line
            assert T2[k : k + 4] not in line, line
        for k in range(len(PAN) - 3):
            assert PAN[k : k + 4] not in line, line


def test_a_full_key_queue_drops_the_swipe_and_says_so():
    class Full:
        def put(self, ev):
            return False

    said = []
    r = CardReader(None, Full(), log=said.append)
    r.feed(b(track2() + "\r"), T0)
    eq(r.dropped, 1)
    eq(said, ["card reader: swipe dropped, key queue full"])


# --- the UART side ------------------------------------------------------------------------

def test_poll_reads_the_uart_in_chunks():
    u = UART()
    sink = EventSink()
    r = CardReader(u, sink)
    swipe = b(track1() + track2() + track3() + "\r")
    u.feed(swipe * 2)  # more than CHUNK bytes waiting
    assert len(swipe * 2) > 2 * CardReader.CHUNK
    r.poll(T0)
    eq(sink.take(), [("SWIPE", T2), ("SWIPE", T2)])
    eq(u.any(), 0)
    u.feed(b(";" + T2[:5]))
    r.poll(T0)
    r.poll(time.ticks_add(T0, IDLE - 1))
    eq(sink.take(), [])
    r.poll(time.ticks_add(T0, IDLE))
    eq(sink.take(), [("SWIPE", None)])
    eq(r.busy(), False)


def test_poll_leaves_the_rest_for_the_next_turn():
    u = UART()
    sink = EventSink()
    r = CardReader(u, sink)
    u.feed(b("\x00" * (CardReader.CHUNK * CardReader.MAX_CHUNKS + 1) + track2() + "\r"))
    r.poll(T0)  # a poll reads a bounded amount, so the asyncio loop keeps turning
    eq(sink.take(), [])
    r.poll(T0)
    eq(sink.take(), [("SWIPE", T2)])


def test_polling_a_quiet_line_allocates_nothing():
    import gc

    import micropython

    class Quiet:  # a machine.UART with nothing received: any() is 0
        def any(self):
            return 0

    r = CardReader(Quiet(), EventSink())
    r.feed(b";62220", T0)  # a swipe under way, not yet quiet for IDLE_MS
    gc.collect()
    gc.disable()
    try:
        t0 = micropython.mem_total()
        for i in range(50):
            r.poll(T0)
        total = micropython.mem_total() - t0
    finally:
        gc.enable()
    print("heap per poll of a quiet line: mem_total %d B" % (total // 50))
    eq(total, 0)  # the reader task polls 50 times a second on the ESP32
    eq(r.busy(), True)


def test_run_task_turns_uart_bytes_into_a_swipe_and_survives_errors():
    class Flaky(UART):
        fail = 2

        def any(self):
            if Flaky.fail:
                Flaky.fail -= 1
                raise OSError(5)
            return UART.any(self)

    u = Flaky()
    said = []
    sink = EventSink()
    r = CardReader(u, sink, log=said.append)
    u.feed(b(track2()))  # no terminator: the run task's poll sees the line go quiet

    async def main():
        task = asyncio.create_task(r.run())
        t0 = time.ticks_ms()
        while not sink.events and time.ticks_diff(time.ticks_ms(), t0) < 10000:
            await asyncio.sleep_ms(1)
        task.cancel()
        await asyncio.sleep_ms(0)

    asyncio.run(main())
    eq(sink.take(), [("SWIPE", T2)])
    eq(r.errors, 2)
    eq(said, ["card reader: UART read failed (OSError)"])  # said once, not per poll


mptest.run(globals())
