# The simulated 128x64 SSD1306: a MONO_VLSB framebuffer (the SSD1306's own page layout,
# so the same drawing code runs on both boards). show() publishes the frame: it bumps seq
# and snapshots the text lines; the control interface reads the frame and those lines.
# The pixels need no copy of their own (it cost 1 KB of the device-sized heap): the UI
# draws a whole frame and calls show() without an await in between (ui.screen.Screen.
# draw), so no other task, the control interface included, ever sees a half-drawn frame.
import asyncio
import framebuf
import time

WIDTH = 128
HEIGHT = 64


class Display(framebuf.FrameBuffer):
    def __init__(self):
        self.buf = bytearray(WIDTH * HEIGHT // 8)
        super().__init__(self.buf, WIDTH, HEIGHT, framebuf.MONO_VLSB)
        self.width = WIDTH
        self.height = HEIGHT
        self.lines = []  # set by the UI before show(): the text on screen, for tests
        self.seq = 0  # bumps on every show(); control waiters long-poll on it
        self.shown_lines = []
        self._changed = asyncio.Event()

    @property
    def shown(self):
        """The frame as last shown (see the top of this file)."""
        return self.buf

    def show(self):
        self.shown_lines = [str(s) for s in self.lines]
        self.seq += 1
        # Wake every waiter, then hand later waiters a fresh event.
        ev = self._changed
        self._changed = asyncio.Event()
        ev.set()

    async def wait_after(self, seq, timeout_ms):
        """Return once seq > `seq`, or after timeout_ms; the caller rereads the state."""
        deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
        while self.seq <= seq:
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                return
            try:
                await asyncio.wait_for_ms(self._changed.wait(), left)
            except asyncio.TimeoutError:
                return
