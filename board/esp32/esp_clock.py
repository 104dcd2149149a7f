# The terminal's clock on the ESP32: the chip's RTC. It keeps time across resets (the
# watchdog's too) but not across a power cut (the prototype has no backup battery), so
# the last known time is stamped on flash every hour and at every setting, and an RTC that
# comes up in the past is wound forward to it. Once WiFi is up at boot, NTP sets it
# (sync_ntp); the host's time arrives with each sign-in (F13 MMDD, F12 hhmmss) and is taken
# by sync_from_host; the year stays the RTC's.
#
# TLS needs it before the first sign-in: mbedTLS checks the host certificate's dates
# against this clock. Without NTP the clock is the last stamp, behind by the time the
# terminal was off: a certificate issued meanwhile looks "not yet valid" (the screen says
# to check the clock), an expired one may pass until the clock catches up
# (docs/hardware.md, "The clock and TLS").
import asyncio
import time

from journal import record

MIN_YEAR = 2024  # an RTC before this has lost its time (it starts at 2000-01-01)
STAMP_S = 3600
HALF_YEAR_S = 183 * 86400


def _valid(y, mo, d, h, mi, s):
    # mktime normalises (2025-02-29 becomes 03-01): a date that survives the round trip is real.
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59):
        return False
    return tuple(time.localtime(time.mktime((y, mo, d, h, mi, s, 0, 0)))[:6]) == (
        y, mo, d, h, mi, s)


class RtcClock:
    def __init__(self, rtc, stamp_path, log):
        self.rtc = rtc
        self.stamp_path = stamp_path
        self.log = log
        self._restore()

    def now(self):
        t = self.rtc.datetime()  # (year, month, day, weekday, hour, minute, second, subsec)
        return (t[0], t[1], t[2], t[4], t[5], t[6])

    def set(self, y, mo, d, h, mi, s):
        if not _valid(y, mo, d, h, mi, s):
            raise ValueError("not a date: %r" % ((y, mo, d, h, mi, s),))
        wd = time.localtime(time.mktime((y, mo, d, h, mi, s, 0, 0)))[6]  # 0 = Monday
        self.rtc.datetime((y, mo, d, wd, h, mi, s, 0))
        self.stamp()

    def sync_from_host(self, mmdd, hhmmss):
        """Set the clock from a sign-in answer's F13 (MMDD) and F12 (hhmmss). The year is
        the RTC's, except across new year: RTC in late December and the host in early
        January means the next year (and the reverse the previous one): of the RTC's year and
        its neighbours, the one that puts the host's date nearest the RTC's (a neighbour
        only within half a year of it). Returns True when
        set; False (clock untouched) when the fields are not a valid date and time."""
        if not (isinstance(mmdd, str) and isinstance(hhmmss, str) and len(mmdd) == 4
                and len(hhmmss) == 6 and mmdd.isdigit() and hhmmss.isdigit()):
            return False
        mo, d = int(mmdd[:2]), int(mmdd[2:])
        h, mi, s = int(hhmmss[:2]), int(hhmmss[2:4]), int(hhmmss[4:])
        now = self.now()
        lost = now[0] < MIN_YEAR  # RTC lost and nothing stamped: the year is a guess
        y0 = MIN_YEAR if lost else now[0]
        ref = time.mktime(now + (0, 0))
        best = None
        best_gap = 0
        for y in (y0,) if lost else (y0 - 1, y0, y0 + 1):
            if not _valid(y, mo, d, h, mi, s):
                continue
            gap = abs(time.mktime((y, mo, d, h, mi, s, 0, 0)) - ref)
            if y != y0 and gap > HALF_YEAR_S:
                continue  # only a date near the RTC's moves the year
            if best is None or gap < best_gap:
                best, best_gap = y, gap
        if best is None:
            return False
        self.set(best, mo, d, h, mi, s)
        self.log("clock set from host: %04d-%02d-%02d %02d:%02d:%02d" % (best, mo, d, h, mi, s))
        return True

    def sync_ntp(self, host, offset_min, ntptime=None):
        """Set the clock from NTP (UTC, plus offset_min to local time). True when set; a
        failure (no answer in ntptime's 1 s, no such host) is logged and leaves the clock
        as it was. ntptime: the module (tests hand in a stand-in)."""
        if not host:
            return False
        try:
            if ntptime is None:
                import ntptime
            ntptime.host = host
            secs = ntptime.time() + offset_min * 60  # since the port's epoch
            t = time.gmtime(secs)
        except Exception as e:  # OSError, a DNS failure, a short packet: all the same here
            self.log("clock: NTP from %s failed (%r); clock left at %r" % (host, e, self.now()))
            return False
        if t[0] < MIN_YEAR:
            self.log("clock: NTP answer %r not believed" % (t[:6],))
            return False
        self.set(*t[:6])
        self.log("clock set from NTP: %04d-%02d-%02d %02d:%02d:%02d" % t[:6])
        return True

    def stamp(self):
        """Write the current time to flash (a lower bound for the next power-up)."""
        try:
            record.write(self.stamp_path, {"t": list(self.now())})
        except OSError as e:
            self.log("clock: stamp not written:", e)

    def _restore(self):
        if self.now()[0] >= MIN_YEAR:
            return
        try:
            rec = record.read(self.stamp_path)
        except (OSError, record.RecordError) as e:
            self.log("clock: stamp unreadable:", e)
            return
        if not rec or len(rec.get("t", ())) != 6:
            self.log("clock: RTC lost its time and nothing stamped; sign in to set it")
            return
        t = rec["t"]
        if _valid(*t):
            wd = time.localtime(time.mktime(tuple(t) + (0, 0)))[6]
            self.rtc.datetime((t[0], t[1], t[2], wd, t[3], t[4], t[5], 0))
            self.log("clock: RTC lost its time; wound forward to the last stamp", t)

    async def keep(self):
        """Task: stamp the time every hour."""
        while True:
            await asyncio.sleep(STAMP_S)
            if self.now()[0] >= MIN_YEAR:
                self.stamp()
