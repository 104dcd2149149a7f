# The key queue between whatever produces key events (the keypad scan task on the ESP32,
# the control interface on the unix board) and the UI, which awaits them. MicroPython has
# no asyncio.Queue, so a ring buffer and an Event do. Bounded like a real keypad buffer:
# a stuck key or a flood of control input cannot grow the heap; events beyond the bound
# are dropped and counted. put() allocates nothing (the ring is preallocated), so the
# scan task can call it on its hot path.
import asyncio

MAX_EVENTS = 32


class KeyQueue:
    def __init__(self, size=MAX_EVENTS):
        self.size = size
        self._ring = [None] * size
        self._head = 0  # index of the oldest event
        self._n = 0
        self.dropped = 0
        self._ready = asyncio.Event()

    def put(self, event):
        """Enqueue without waiting; returns False when the queue is full and the event was
        dropped."""
        n = self._n
        if n >= self.size:
            self.dropped += 1
            return False
        i = self._head + n
        if i >= self.size:
            i -= self.size
        self._ring[i] = event
        self._n = n + 1
        self._ready.set()
        return True

    async def get(self):
        """The oldest event, waiting for one if the queue is empty."""
        while not self._n:
            self._ready.clear()
            await self._ready.wait()
        h = self._head
        ev = self._ring[h]
        self._ring[h] = None  # no reference kept to a taken event
        h += 1
        self._head = 0 if h >= self.size else h
        self._n -= 1
        if not self._n:
            self._ready.clear()
        return ev

    def clear(self):
        """Forget every queued event (e.g. keys typed ahead before a new screen)."""
        ring = self._ring
        for i in range(self.size):
            ring[i] = None
        self._head = 0
        self._n = 0
        self._ready.clear()

    def __len__(self):
        return self._n
