# The key queue: what the keypad scanner (ESP32) or the control interface (unix) feeds,
# and what the UI awaits. MicroPython has no asyncio.Queue, so a list and an Event do.
# Bounded like a real keypad buffer: a stuck key or a flood of control input cannot
# grow the heap; events beyond the bound are dropped.
import asyncio

MAX_EVENTS = 32


class KeyQueue:
    def __init__(self, size=MAX_EVENTS):
        self.size = size
        self.items = []
        self.dropped = 0
        self._ready = asyncio.Event()

    def put(self, event):
        """Enqueue without waiting; returns False when the event was dropped."""
        if len(self.items) >= self.size:
            self.dropped += 1
            return False
        self.items.append(event)
        self._ready.set()
        return True

    async def get(self):
        while not self.items:
            self._ready.clear()
            await self._ready.wait()
        ev = self.items.pop(0)
        if not self.items:
            self._ready.clear()
        return ev

    def clear(self):
        self.items = []
        self._ready.clear()

    def __len__(self):
        return len(self.items)
