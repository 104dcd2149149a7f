# The 4x4 membrane matrix keypad: an asyncio task polls the matrix (one row driven low at
# a time, columns read through pull-ups), debounces each key, rejects ghost patterns and
# puts key names on a KeyQueue. Polling, not interrupts: bouncing contacts make pin
# interrupts unreliable, and a 10 ms poll costs next to nothing. The board configures the
# pins (rows: outputs, columns: inputs with pull-ups); the driver only calls .value().
# The hot path (step) allocates nothing: state is a few ints and one preallocated list.
import asyncio
import time

# (row, col) -> event name for the keypad printed  1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D
KEYMAP = {
    (0, 0): "1", (0, 1): "2", (0, 2): "3", (0, 3): "UP",
    (1, 0): "4", (1, 1): "5", (1, 2): "6", (1, 3): "DOWN",
    (2, 0): "7", (2, 1): "8", (2, 2): "9", (2, 3): "CLEAR",
    (3, 0): "CANCEL", (3, 1): "0", (3, 2): "FUNC", (3, 3): "ENTER",
}

LONG_PREFIX = "LONG_"


class Keypad:
    # Timing constants: change them on the class (or a subclass) before constructing, as
    # the scan generators copy them when they start.
    SCAN_MS = 10  # poll period: a press (>= ~50 ms) is seen several times
    DEBOUNCE_MS = 30  # a key's raw state must hold this long to count (contact bounce <~10 ms)
    LONG_PRESS_MS = 1000  # held this long: "LONG_<name>" once, in addition to the press
    SETTLE_US = 0  # wait after driving a row low before reading (0: call overhead suffices)

    def __init__(self, rows, cols, queue, keymap=KEYMAP, on_up=None):
        self.rows = rows
        self.cols = cols
        self.queue = queue
        self.on_up = on_up  # called with the name when a key is released (debounced)
        nr = len(rows)
        nc = len(cols)
        self._nr = nr
        self._nc = nc
        self._colmask = (1 << nc) - 1
        # Key k = row * ncols + col, bit k of the masks below. Names (and the LONG_ names)
        # built once here, so a press puts an existing str on the queue.
        n = nr * nc
        self._names = [None] * n
        self._long = [None] * n
        for (r, c), name in keymap.items():
            self._names[r * nc + c] = name
            self._long[r * nc + c] = LONG_PREFIX + name
        self._t = [0] * n  # ticks of each key's last raw change
        self._raw = 0  # last raw (undebounced, unghosted) scan
        self._down = 0  # debounced keys down
        self._longs = 0  # keys whose LONG_ event has been sent
        self._ghost = False  # the last scan was ambiguous: events held back
        self.ghosts = 0  # ambiguous patterns seen (diagnostics)
        self.errors = 0  # exceptions from on_up caught by run()
        for p in rows:
            p.value(1)
        self._start()

    # The scan and the debouncing run as two generators created once in __init__: their
    # frames (locals, stack) are allocated then and reused on every resume, whereas a
    # plain method with this many locals gets a fresh frame from the heap on each call.

    def scan_once(self):
        """Drive each row low in turn and read the columns: the raw pressed set as a bit
        mask (bit row * ncols + col). Leaves every row high."""
        return next(self._scanner)

    def step(self, now):
        """One scan at ticks now (ms): update debouncing, put events on the queue. The scan
        task calls it every SCAN_MS; tests call it with their own clock."""
        try:
            self._stepper.send(now)
        except Exception:
            self._start()  # an on_up callback raised: the stepper is done; start afresh
            raise

    def _start(self):
        self._scanner = self._scan_loop()
        self._stepper = self._step_loop()
        next(self._stepper)  # run to its first yield

    def _scan_loop(self):
        rows = self.rows
        cols = self.cols
        nr = self._nr
        nc = self._nc
        settle = self.SETTLE_US
        while True:
            mask = 0
            k = 0
            for r in range(nr):
                p = rows[r]
                p.value(0)
                if settle:
                    time.sleep_us(settle)
                for c in range(nc):
                    if not cols[c].value():
                        mask |= 1 << (k + c)
                p.value(1)
                k += nc
            yield mask

    def _step_loop(self):
        scanner = self._scanner
        queue = self.queue
        names = self._names
        longs = self._long
        t = self._t
        debounce = self.DEBOUNCE_MS
        long_ms = self.LONG_PRESS_MS
        diff = time.ticks_diff
        nr = self._nr
        nc = self._nc
        colmask = self._colmask
        while True:
            now = yield
            raw = next(scanner)
            # Ghosts: 3 or more keys on three corners of a rectangle (2 rows x 2 cols).
            # Without a diode per key the fourth corner reads pressed too, so which keys
            # are really down cannot be told: hold everything (no downs, ups or long
            # presses) until the pattern clears. Inline, not a method: no frame per scan.
            two = raw & (raw - 1)  # raw without its lowest key: nonzero if 2+ keys
            ghost = False
            if two and (two & (two - 1)):  # 3+ keys
                for r1 in range(nr - 1):
                    a = (raw >> (r1 * nc)) & colmask
                    if a:
                        for r2 in range(r1 + 1, nr):
                            b = (raw >> (r2 * nc)) & colmask
                            u = a | b
                            # a column down in both rows, and another column in either
                            if (a & b) and (u & (u - 1)):
                                ghost = True
            if ghost:
                if not self._ghost:
                    self._ghost = True
                    self.ghosts += 1
                continue
            self._ghost = False
            changed = raw ^ self._raw
            if changed:
                self._raw = raw
                k = 0
                while changed:
                    if changed & 1:
                        t[k] = now
                    changed >>= 1
                    k += 1
            # Keys whose raw state differs from the debounced one, and keys held down
            # whose long press is not reported yet.
            down = self._down
            moving = raw ^ down
            pending = moving | (down & ~self._longs)
            k = 0
            while pending:
                if pending & 1:
                    bit = 1 << k
                    held = diff(now, t[k])
                    if moving & bit:
                        if held >= debounce:
                            if raw & bit:
                                self._down |= bit
                                if names[k] is not None:
                                    queue.put(names[k])
                            else:
                                self._down &= ~bit
                                self._longs &= ~bit
                                if self.on_up is not None and names[k] is not None:
                                    self.on_up(names[k])
                    elif held >= long_ms:
                        self._longs |= bit
                        if longs[k] is not None:
                            queue.put(longs[k])
                pending >>= 1
                k += 1

    def is_down(self, name):
        """True while the key called name is down (debounced)."""
        for k in range(len(self._names)):
            if self._names[k] == name:
                return bool(self._down & (1 << k))
        return False

    def names(self, mask):
        """Key names of a scan mask (for tests and diagnostics; allocates)."""
        return [self._names[k] for k in range(len(self._names)) if mask & (1 << k)]

    async def run(self):
        """The scan task: started by the board through hw.tasks(). Never ends: an error in
        an on_up callback is counted in .errors and scanning goes on."""
        step = self.step
        ticks = time.ticks_ms
        while True:
            try:
                step(ticks())
            except Exception:  # noqa: the keypad must outlive a faulty callback
                self.errors += 1
            await asyncio.sleep_ms(self.SCAN_MS)
