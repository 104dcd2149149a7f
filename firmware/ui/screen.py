# Drawing on the 128x64 display: an inverse title bar and three text lines of 16 px. The
# same text is kept in display.lines so the simulator's control interface can read the
# screen as text; what is drawn and what is read can never disagree. The words of the
# input screens come from the app (words: app.strings.t), as a driver's bus comes from
# the board: nothing in ui/ imports the app.
import asyncio
import time

LINE_H = 16
WIDTH = 128

LEFT = 0
CENTER = 1
RIGHT = 2

# An operator who walks away leaves any input screen after this long (treated as cancel).
IDLE_TIMEOUT_MS = 60000


class Screen:
    def __init__(self, hw, font, idle_ms=IDLE_TIMEOUT_MS, words=None):
        self.hw = hw
        self.fb = hw.display
        self.font = font
        self.idle_ms = idle_ms
        self.words = words  # key -> text in the operator's language (ui/entry.py's prompts)

    def draw(self, title, lines=(), align=LEFT):
        """Title bar plus up to three lines. A line is a str, or (str, alignment)."""
        fb, font = self.fb, self.font
        fb.fill(0)
        fb.fill_rect(0, 0, WIDTH, LINE_H, 1)
        font.draw(fb, title, max(0, (WIDTH - font.width(title)) // 2), 0, 0)
        shadow = [title]
        y = LINE_H
        for line in lines[:3]:
            if not line:
                line = ""
            if isinstance(line, tuple):
                text, how = line
            else:
                text, how = line, align
            w = font.width(text)
            if how == RIGHT:
                x = max(0, WIDTH - w)
            elif how == CENTER:
                x = max(0, (WIDTH - w) // 2)
            else:
                x = 0
            font.draw(fb, text, x, y, 1)
            shadow.append(text)
            y += LINE_H
        fb.lines = shadow
        fb.show()

    def wrap(self, text):
        """Split text into lines that fit the display width (at character boundaries,
        preferring spaces), so a long explanation is never cut off."""
        out = []
        font = self.font
        while text:
            if font.width(text) <= WIDTH:
                out.append(text)
                break
            n = max(1, font.fit(text, WIDTH))
            sp = text.rfind(" ", 0, n)
            # Break at a space when what follows then fits on one line ("25" over
            # "找不到原始交易"), or when the space is in the back half of the line.
            if sp > 0 and (sp > n // 2 or font.width(text[sp + 1 :]) <= WIDTH):
                n = sp
            out.append(text[:n])
            text = text[n:].lstrip(" ")
        return out

    async def key(self, timeout_ms=0):
        """The next key event, or None when timeout_ms (default: the idle timeout) passes
        without one; None as timeout_ms waits for ever."""
        if timeout_ms is None:
            return await self.hw.keys.get()
        if not timeout_ms:
            timeout_ms = self.idle_ms
        try:
            return await asyncio.wait_for_ms(self.hw.keys.get(), timeout_ms)
        except asyncio.TimeoutError:
            return None


def ticks():
    return time.ticks_ms()


def elapsed(since):
    return time.ticks_diff(time.ticks_ms(), since)
