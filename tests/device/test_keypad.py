# The 4x4 keypad driver on a fake matrix (tests/device/fakebus.py): row driving, debounce,
# one event per press, long press, ghost rejection, the key map, and heap use per scan.
# Time is stepped by the test (Keypad.step(now)); nothing sleeps.
import asyncio
import gc

import micropython
import time
import mptest
from fakebus import EventSink, Matrix
from drivers.keypad import KEYMAP, Keypad
from drivers.keyqueue import KeyQueue

DB = Keypad.DEBOUNCE_MS
SCAN = Keypad.SCAN_MS
LONG = Keypad.LONG_PRESS_MS


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def _kp(record=False, on_up=None):
    m = Matrix(record=record)
    q = EventSink()
    kp = Keypad(m.rows, m.cols, q, on_up=on_up)
    return m, q, kp


class Clock:
    """Steps a keypad every SCAN_MS from t=0 (plus an offset to test ticks wrap-around)."""

    def __init__(self, kp, start=0):
        self.kp = kp
        self.now = start

    def run(self, ms):
        for _ in range(ms // SCAN):
            self.now = time.ticks_add(self.now, SCAN)
            self.kp.step(self.now)


def test_keymap_complete():
    eq(len(KEYMAP), 16)
    names = set(KEYMAP.values())
    eq(len(names), 16)
    for n in "0123456789":
        assert n in names, n
    for n in ("UP", "DOWN", "CLEAR", "CANCEL", "FUNC", "ENTER"):
        assert n in names, n
    eq([KEYMAP[(r, 3)] for r in range(4)], ["UP", "DOWN", "CLEAR", "ENTER"])
    eq([KEYMAP[(3, c)] for c in range(4)], ["CANCEL", "0", "FUNC", "ENTER"])
    # every key of the matrix reports its own name
    m, q, kp = _kp()
    clk = Clock(kp)
    for r in range(4):
        for c in range(4):
            m.press(r, c)
            clk.run(DB + 2 * SCAN)
            m.release(r, c)
            clk.run(DB + 2 * SCAN)
            eq(q.take(), [KEYMAP[(r, c)]])


def test_scan_drives_one_row_low_at_a_time():
    m, _, kp = _kp(record=True)
    for p in m.rows:
        eq(p.history, [1])  # all rows high (idle) from the start
        p.history.clear()
    seen = []

    # record, at each column read, which rows are low
    class Spy:
        def __init__(self, pin):
            self.pin = pin

        def value(self):
            seen.append(tuple(p.level for p in m.rows))
            return self.pin.value()

    kp = Keypad(m.rows, [Spy(p) for p in m.cols], EventSink())
    for p in m.rows:
        p.history.clear()
    eq(kp.scan_once(), 0)
    eq(seen, [(0, 1, 1, 1)] * 4 + [(1, 0, 1, 1)] * 4 + [(1, 1, 0, 1)] * 4 + [(1, 1, 1, 0)] * 4)
    for p in m.rows:
        eq(p.history, [0, 1])  # low once, then back high
        eq(p.level, 1)
    m.press(1, 2)
    eq(kp.scan_once(), 1 << (1 * 4 + 2))
    eq(kp.names(kp.scan_once()), ["6"])
    m.press(3, 3)
    eq(kp.names(kp.scan_once()), ["6", "ENTER"])


def test_debounce_short_bounce_gives_no_event():
    m, q, kp = _kp()
    clk = Clock(kp)
    clk.run(50)
    # contact bounce: down for less than DEBOUNCE_MS, up, down again briefly
    m.press(0, 0)
    clk.run(DB - SCAN)
    m.release(0, 0)
    clk.run(SCAN)
    m.press(0, 0)
    clk.run(SCAN)
    m.release(0, 0)
    clk.run(100)
    eq(q.take(), [])
    assert not kp.is_down("1")


def test_one_event_per_press_and_release_tracked():
    ups = []
    m, q, kp = _kp(on_up=ups.append)
    clk = Clock(kp)
    m.press(1, 1)
    clk.run(SCAN)  # bounce on the way down
    m.release(1, 1)
    clk.run(SCAN)
    m.press(1, 1)
    clk.run(DB - SCAN)
    eq(q.take(), [])  # not yet stable long enough
    clk.run(2 * SCAN)
    eq(q.take(), ["5"])
    assert kp.is_down("5")
    clk.run(500)  # held: no repeat
    eq(q.take(), [])
    m.release(1, 1)
    clk.run(SCAN)  # bounce on the way up does not give a second press
    m.press(1, 1)
    clk.run(SCAN)
    m.release(1, 1)
    clk.run(DB + 2 * SCAN)
    eq(q.take(), [])
    eq(ups, ["5"])
    assert not kp.is_down("5")
    # typing: two presses, two events
    for _ in range(2):
        m.press(3, 1)
        clk.run(80)
        m.release(3, 1)
        clk.run(80)
    eq(q.take(), ["0", "0"])
    eq(ups, ["5", "0", "0"])


def test_rollover_two_keys():
    m, q, kp = _kp()
    clk = Clock(kp)
    m.press(0, 0)
    clk.run(60)
    m.press(0, 1)  # second key before the first is released: both reported
    clk.run(60)
    m.release(0, 0)
    clk.run(60)
    m.release(0, 1)
    clk.run(60)
    eq(q.take(), ["1", "2"])


def test_long_press_once():
    m, q, kp = _kp()
    clk = Clock(kp, start=time.ticks_add(0, -500))  # across the ticks wrap-around
    m.press(2, 3)
    clk.run(LONG - 100)
    eq(q.take(), ["CLEAR"])
    clk.run(200)
    eq(q.take(), ["LONG_CLEAR"])
    clk.run(3 * LONG)
    eq(q.take(), [])
    m.release(2, 3)
    clk.run(100)
    m.press(2, 3)
    clk.run(LONG + 100)
    eq(q.take(), ["CLEAR", "LONG_CLEAR"])


def test_ghost_pattern_rejected():
    m, q, kp = _kp()
    clk = Clock(kp)
    m.press(0, 0)  # "1"
    clk.run(60)
    m.press(0, 1)  # "2"
    clk.run(60)
    eq(q.take(), ["1", "2"])
    m.press(1, 0)  # "4": three corners of rows 0-1 x cols 0-1; "5" reads pressed too
    eq(kp.names(kp.scan_once()), ["1", "2", "4", "5"])
    clk.run(300)
    eq(q.take(), [])  # neither 4 nor the phantom 5
    eq(kp.ghosts, 1)
    m.release(1, 0)
    clk.run(100)
    eq(q.take(), [])  # cleared: 1 and 2 still held, nothing new
    m.release_all()
    clk.run(100)
    m.press(1, 0)
    clk.run(60)
    eq(q.take(), ["4"])  # the keypad works again
    # three keys NOT in a rectangle (one row, one column apart): all reported
    m.release_all()
    clk.run(100)
    m.press(0, 0)
    m.press(0, 1)
    m.press(0, 2)
    clk.run(60)
    eq(q.take(), ["1", "2", "3"])
    eq(kp.ghosts, 1)


def test_ghost_patterns():
    def ghost(*keys):
        m, q, kp = _kp()
        for r, c in keys:
            m.press(r, c)
        Clock(kp).run(100)
        return kp.ghosts == 1 and q.take() == []

    assert ghost((0, 0), (0, 3), (3, 3))
    assert ghost((1, 1), (2, 1), (2, 2))
    assert ghost((0, 0), (0, 1), (1, 0), (1, 1))
    assert not ghost((0, 0), (1, 1), (2, 2))  # a diagonal is fine
    assert not ghost((0, 0), (0, 1), (0, 2), (0, 3))  # one row
    assert not ghost((0, 2), (1, 2), (3, 2))  # one column


def test_real_queue_and_run_task():
    m = Matrix()
    q = KeyQueue()
    kp = Keypad(m.rows, m.cols, q)
    m.press(3, 3)

    async def main():
        t = asyncio.create_task(kp.run())
        ev = await asyncio.wait_for_ms(q.get(), 1000)
        t.cancel()
        return ev

    eq(asyncio.run(main()), "ENTER")


def test_keyqueue_bounded_ring():
    q = KeyQueue(4)
    for i in range(6):
        q.put(str(i))
    eq((len(q), q.dropped), (4, 2))

    async def take(n):
        out = []
        for _ in range(n):
            out.append(await q.get())
        return out

    eq(asyncio.run(take(3)), ["0", "1", "2"])
    for ev in ("a", "b", ("SWIPE", "6222")):  # wraps around the ring
        assert q.put(ev)
    assert not q.put("x")
    eq(asyncio.run(take(4)), ["3", "a", "b", ("SWIPE", "6222")])
    eq(len(q), 0)
    q.put("y")
    q.clear()
    eq(len(q), 0)

    async def waits():  # get() waits for a later put()
        async def later():
            await asyncio.sleep_ms(5)
            q.put("ENTER")

        asyncio.create_task(later())
        return await asyncio.wait_for_ms(q.get(), 500)

    eq(asyncio.run(waits()), "ENTER")


def test_faulty_on_up_callback_does_not_stop_the_keypad():
    def boom(name):
        raise ValueError(name)

    m = Matrix()
    q = KeyQueue()
    kp = Keypad(m.rows, m.cols, q, on_up=boom)
    kp.SCAN_MS = 1
    m.press(0, 0)

    async def main():
        t = asyncio.create_task(kp.run())
        first = await asyncio.wait_for_ms(q.get(), 1000)
        m.release(0, 0)
        await asyncio.sleep_ms(60)  # the release calls boom
        m.press(0, 1)
        second = await asyncio.wait_for_ms(q.get(), 1000)
        t.cancel()
        return first, second

    eq(run_main(main), ("1", "2"))
    assert kp.errors >= 1


def run_main(main):
    return asyncio.run(main())


def _heap_per_step(kp, clk, n=200):
    gc.collect()
    gc.disable()
    try:
        t0 = micropython.mem_total()
        a0 = gc.mem_alloc()
        for _ in range(n):
            clk.now = time.ticks_add(clk.now, SCAN)
            kp.step(clk.now)
        a1 = gc.mem_alloc()
        t1 = micropython.mem_total()
    finally:
        gc.enable()
    return (a1 - a0) / n, (t1 - t0) / n


def test_no_allocation_per_scan():
    m = Matrix()
    q = KeyQueue(8)
    kp = Keypad(m.rows, m.cols, q)
    clk = Clock(kp)
    clk.run(100)  # warm up
    idle = _heap_per_step(kp, clk)
    m.press(2, 2)
    clk.run(LONG + 100)  # down + LONG_ queued
    held = _heap_per_step(kp, clk)
    # press/release cycles; only the steps are measured (the fake matrix's press() is not)
    q.clear()
    gc.collect()
    gc.disable()
    alloc = total = 0
    try:
        for i in range(8):
            if i % 2:
                m.press(2, 2)
            else:
                m.release(2, 2)
            t0 = micropython.mem_total()
            a0 = gc.mem_alloc()
            for _ in range(5):
                clk.now = time.ticks_add(clk.now, SCAN)
                kp.step(clk.now)
            alloc += gc.mem_alloc() - a0
            total += micropython.mem_total() - t0
    finally:
        gc.enable()
    typing = (alloc / 40, total / 40)
    eq(len(q), 4)
    m.press(2, 2)
    m.press(2, 3)
    m.press(3, 3)  # a ghost pattern, held
    clk.run(100)
    ghost = _heap_per_step(kp, clk)
    eq(kp.ghosts, 1)
    for what, (alloc, total) in (("idle", idle), ("held", held), ("typing", typing),
                                 ("ghost", ghost)):
        print("heap per keypad scan (%s): mem_alloc %d B, mem_total %d B" % (what, alloc, total))
        eq(alloc, 0)
        eq(total, 0)


if __name__ == "__main__":
    mptest.run(globals())
