# Fake buses for driver tests on the unix port (or a board with nothing attached): pins,
# a key matrix, an I2C bus and a UART that record the traffic a driver produces, so tests
# can assert exact bytes and pin levels. Drivers receive their bus, so nothing else is
# needed. The hot-path fakes (pins, matrix) allocate nothing unless asked to record.
import time


class Pin:
    """A GPIO: value(v) sets, value() reads. history (when record=True) lists every level
    set, for checking how a driver drives its outputs."""

    def __init__(self, level=1, record=False, on_set=None):
        self.level = level
        self.history = [] if record else None
        self.on_set = on_set

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        if self.history is not None:
            self.history.append(self.level)
        if self.on_set is not None:
            self.on_set()
        return None


class Matrix:
    """A key matrix without diodes: rows are outputs, columns inputs with pull-ups. A
    column reads 0 when a low row reaches it through pressed keys, directly or (ghosting)
    through a chain of pressed keys, as on real membrane keypads. press()/release()
    precompute which columns read low for every combination of low rows, so a pin read or
    write allocates nothing and the heap a driver uses per scan can be measured."""

    def __init__(self, nrows=4, ncols=4, record=False):
        self.nrows = nrows
        self.ncols = ncols
        self.pressed = 0  # bit row * ncols + col
        self.low_rows = 0  # bit r: row r is driven low
        self.low_cols = [0] * (1 << nrows)  # low_rows -> columns reading low
        self.rows = [_RowPin(self, r, record) for r in range(nrows)]
        self.cols = [_ColPin(self, c) for c in range(ncols)]

    def press(self, r, c):
        self.pressed |= 1 << (r * self.ncols + c)
        self._update()

    def release(self, r, c):
        self.pressed &= ~(1 << (r * self.ncols + c))
        self._update()

    def release_all(self):
        self.pressed = 0
        self._update()

    def _row_keys(self, r):
        return (self.pressed >> (r * self.ncols)) & ((1 << self.ncols) - 1)

    def _update(self):
        for low in range(1 << self.nrows):
            # Spread "low" across pressed keys until nothing changes: rows -> cols -> rows.
            rows = low
            cols = 0
            while True:
                for r in range(self.nrows):
                    if rows & (1 << r):
                        cols |= self._row_keys(r)
                more = rows
                for r in range(self.nrows):
                    if self._row_keys(r) & cols:
                        more |= 1 << r
                if more == rows:
                    break
                rows = more
            self.low_cols[low] = cols


class _RowPin:
    def __init__(self, matrix, r, record):
        self.m = matrix
        self.bit = 1 << r
        self.history = [] if record else None

    @property
    def level(self):
        return 0 if self.m.low_rows & self.bit else 1

    def value(self, v=None):
        if v is None:
            return self.level
        m = self.m
        if v:
            m.low_rows &= ~self.bit
        else:
            m.low_rows |= self.bit
        if self.history is not None:
            self.history.append(1 if v else 0)


class _ColPin:
    def __init__(self, matrix, c):
        self.m = matrix
        self.bit = 1 << c

    def value(self, v=None):
        if v is not None:
            raise AssertionError("the keypad driver must not drive a column")
        m = self.m
        return 0 if m.low_cols[m.low_rows] & self.bit else 1


class EventSink:
    """Stands in for a KeyQueue: put() records."""

    def __init__(self):
        self.events = []

    def put(self, ev):
        self.events.append(ev)
        return True

    def take(self):
        out = self.events
        self.events = []
        return out


class I2C:
    """Records every transaction as (addr, bytes). writevto is offered only when
    vectored=True, to test drivers with and without it."""

    def __init__(self, vectored=False):
        self.log = []
        if vectored:
            self.writevto = self._writevto

    def writeto(self, addr, buf, stop=True):
        self.log.append((addr, bytes(buf)))
        return len(buf)

    def _writevto(self, addr, bufs, stop=True):
        data = b"".join(bytes(b) for b in bufs)
        self.log.append((addr, data))
        return len(data)

    def take(self):
        out = self.log
        self.log = []
        return out


class UART:
    """A serial line: a printer's, or a card reader's (feed() what the reader sends).
    Everything written goes to .written; each write() call is logged with its ticks_ms in
    .writes. answers maps a status request (bytes) to the byte(s) the printer sends back;
    the answer becomes readable delay_ms after the request was written (None in answers:
    the printer stays silent). accept limits how many bytes one write() takes (a full TX
    buffer); 0 makes the line stall."""

    def __init__(self, answers=None, delay_ms=0, accept=None):
        self.answers = answers or {}
        self.delay_ms = delay_ms
        self.accept = accept
        self.written = bytearray()
        self.writes = []  # (ticks_ms, bytes)
        self._rx = bytearray()
        self._pending = []  # (due_ticks, bytes)

    def feed(self, data):
        """Bytes the printer sends unasked (stale status, ASB)."""
        self._rx.extend(data)

    def write(self, buf):
        data = bytes(buf)
        if self.accept is not None:
            data = data[: self.accept]
        self.written.extend(data)
        now = time.ticks_ms()
        self.writes.append((now, data))
        ans = self.answers.get(data)
        if ans is not None:
            self._pending.append((time.ticks_add(now, self.delay_ms), ans))
        return len(data)

    def _arrive(self):
        now = time.ticks_ms()
        keep = []
        for due, data in self._pending:
            if time.ticks_diff(now, due) >= 0:
                self._rx.extend(data)
            else:
                keep.append((due, data))
        self._pending = keep

    def any(self):
        self._arrive()
        return len(self._rx)

    def readinto(self, buf):
        """As machine.UART with timeout 0: what is waiting, up to len(buf); None if
        nothing is."""
        self._arrive()
        if not self._rx:
            return None
        n = min(len(buf), len(self._rx))
        buf[:n] = self._rx[:n]
        self._rx = self._rx[n:]
        return n

    def read(self, n=-1):
        self._arrive()
        if not self._rx:
            return None  # as machine.UART on timeout
        if n < 0 or n > len(self._rx):
            n = len(self._rx)
        out = bytes(self._rx[:n])
        self._rx = self._rx[n:]
        return out
