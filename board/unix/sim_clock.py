# The simulated real-time clock: the host's local time plus an offset in seconds. The
# offset lives in <SIM_DIR>/clock_offset (as an RTC keeps time across power cycles), so
# tests can move the terminal to another day and restart it there.
import time


class Clock:
    def __init__(self, path):
        self.path = path
        self.offset = 0
        try:
            with open(path) as f:
                self.offset = int(f.read().strip() or "0")
        except (OSError, ValueError):
            pass

    def now(self):
        return tuple(time.localtime(int(time.time()) + self.offset)[:6])

    def set_offset(self, seconds):
        self.offset = int(seconds)
        with open(self.path, "w") as f:
            f.write("%d\n" % self.offset)

    def set(self, y, mo, d, h, mi, s):
        """Set the wall clock: kept as an offset from the host's time."""
        target = time.mktime((y, mo, d, h, mi, s, 0, 0))
        self.set_offset(target - int(time.time()))

    def sync_from_host(self, mmdd, hhmmss):
        """A sign-in's time is not taken: this clock follows the PC's (plus the offset a
        test set), which is better than the host's seconds-old MMDD hhmmss. False: left
        as it is (firmware/hardware.py)."""
        return False
