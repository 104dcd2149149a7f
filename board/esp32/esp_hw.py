# The Hardware object of the ESP32 prototype (the contract of firmware/hardware.py), put
# together by board.init() from the drivers; plus the stand-ins used when the display or
# the printer is missing, and the watchdog feeder task.
import asyncio

import framebuf
from esp_wifi import connect_at_boot


try:
    from drivers.printer import PrinterError
except ImportError:  # the stand-in below still raises something the app catches

    class PrinterError(OSError):
        pass


class NullDisplay(framebuf.FrameBuffer):
    """No SSD1306 on the bus: a 128x64 framebuffer whose show() writes the screen's text
    lines to the console, so a bench without a display can still be followed over USB."""

    def __init__(self, log):
        self.buf = bytearray(128 * 64 // 8)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.log = log
        self.lines = []
        self._shown = None
        self.present = False

    def show(self):
        if self.lines != self._shown:
            self._shown = list(self.lines)
            self.log("screen:", " | ".join(self.lines))

    def contrast(self, v):
        pass

    def poweroff(self):
        pass

    def poweron(self):
        pass


class NullPrinter:
    """No usable printer UART: every receipt ends in the paper-out prompt, which offers a
    reprint later (app/receipt.py)."""

    async def paper_ok(self):
        return False

    async def write(self, data):
        raise PrinterError("no printer")


class Hardware:
    def __init__(self, display, keys, keypad, printer, clock, wifi, log, new_watchdog,
                 reset, reader=None, buzzer=None):
        self.display = display
        self.keys = keys
        self.keypad = keypad
        self.printer = printer
        self.clock = clock
        self.wifi = wifi
        self.log = log
        self.reader = reader  # drivers.msr.CardReader on UART1, or None
        self.card_reader = reader is not None  # swipes can happen: field 60.4 = 2
        self.buzzer = buzzer
        self._new_watchdog = new_watchdog  # None in service mode
        self._reset = reset
        self.wdt = None  # the machine.WDT once the feeder task started it
        self.wdt_held = False  # board.service_hold() stretched it
        self.feed_ms = 5000

    def reset(self):
        self._reset()

    def tasks(self):
        t = [self.keypad.run()]
        if self.reader is not None:
            t.append(self.reader.run())
        t += [self.clock.keep(), self.wifi.monitor()]
        if self._new_watchdog is not None:
            t.append(self.feed_watchdog())
        return t

    async def feed_watchdog(self):
        # Started from inside the event loop, so the watchdog only runs once the loop
        # does; fed from a task, so it fires when the loop stops turning.
        self.wdt = self._new_watchdog()
        self.log("watchdog on")
        while True:
            self.wdt.feed()
            await asyncio.sleep_ms(self.feed_ms)

    def show(self, lines):
        """Board messages (WiFi, service mode) in the display's built-in 8x8 font: plain
        ASCII, independent of the firmware's font file. Never raises."""
        d = self.display
        try:
            d.fill(0)
            for i, text in enumerate(lines[:6]):
                d.text(text[:16], 0, i * 10 + 2, 1)
            d.lines = list(lines)
            d.show()
        except OSError as e:  # an I2C glitch must not stop the boot
            self.log("display:", e)

    async def beep(self, ms=80):
        b = self.buzzer
        if b is None:
            return
        b.value(1)
        await asyncio.sleep_ms(ms)
        b.value(0)

    async def connect(self, cfg):
        """Join the configured WiFi at boot, with the attempts and their outcome on
        screen, then set the clock by NTP. True when connected; False leaves the terminal
        offline (the WiFi monitor task keeps trying in the background)."""
        ok = await connect_at_boot(cfg, self)
        if ok:  # the clock right before the first TLS handshake checks certificate dates
            self.clock.sync_ntp(cfg["ntp_host"], cfg["tz_offset_min"])
        return ok
