# WiFi station for the ESP32 board: the boot-time connect with its progress on screen
# (connect_at_boot, called through hw.connect), and a monitor task that puts
# the connection back when it drops, backing off between attempts. Board messages are
# ASCII: they are drawn in the display's built-in 8x8 font, not the firmware's font file.
import asyncio
import time

BOOT_ATTEMPTS = 3
FAIL_PAUSE_MS = 15000  # the failure screen stays this long, or until a key
STEP_PAUSE_MS = 1000  # each progress screen stays at least this long, to be read


def _hint(why):
    if why == "wrong password":
        return ["Check wifi_password", "then make provision"]
    if why == "network not found":
        return ["Check wifi_ssid and", "that the AP is on"]
    return ["Check the router,", "then restart"]


class Wifi:
    CONNECT_TIMEOUT_MS = 15000  # one attempt: association, WPA handshake, DHCP
    POLL_MS = 250
    CHECK_MS = 5000  # the monitor looks at the link this often
    RETRY_MIN_MS = 10000  # first retry after a drop; doubles up to RETRY_MAX_MS
    RETRY_MAX_MS = 300000

    def __init__(self, network, log, led=None):
        self.net = network  # the network module (None on a port without it)
        self.log = log
        self.led = led
        self.wlan = None
        self.ssid = ""
        self.password = ""
        self.last_error = ""

    def configure(self, ssid, password):
        self.ssid = ssid
        self.password = password

    def _wlan(self):
        if self.wlan is None:
            self.wlan = self.net.WLAN(self.net.STA_IF)
        if not self.wlan.active():
            self.wlan.active(True)
        return self.wlan

    def connected(self):
        return self.wlan is not None and self.wlan.isconnected()

    def ip(self):
        return self.wlan.ifconfig()[0] if self.connected() else ""

    def _set_led(self, on):
        if self.led is not None:
            self.led.value(1 if on else 0)

    def _failure(self, st):
        """Why an attempt has failed for good, from wlan.status(); "" while it may still
        succeed. The ESP32 reports the reason codes below; other ports only CONNECT_FAIL."""
        n = self.net
        for name, why in (("STAT_WRONG_PASSWORD", "wrong password"),
                          ("STAT_NO_AP_FOUND", "network not found"),
                          ("STAT_HANDSHAKE_TIMEOUT", "wrong password"),
                          ("STAT_ASSOC_FAIL", "AP refused us"),
                          ("STAT_BEACON_TIMEOUT", "signal lost"),
                          ("STAT_CONNECT_FAIL", "connect failed")):
            code = getattr(n, name, None)
            if code is not None and st == code:
                return why
        return ""

    async def connect_once(self):
        """One attempt; (True, ip) or (False, why). The LED blinks while it runs."""
        if self.net is None:
            return False, "no network module"
        w = self._wlan()
        if w.isconnected():
            self._set_led(True)
            return True, self.ip()
        try:
            w.disconnect()  # a connect still in progress would make connect() raise
        except OSError:
            pass
        try:
            w.connect(self.ssid, self.password)
        except OSError as e:
            return False, "wifi error %s" % e
        t0 = time.ticks_ms()
        blink = False
        while time.ticks_diff(time.ticks_ms(), t0) < self.CONNECT_TIMEOUT_MS:
            await asyncio.sleep_ms(self.POLL_MS)
            blink = not blink
            self._set_led(blink)
            if w.isconnected():
                self._set_led(True)
                self.last_error = ""
                return True, self.ip()
            why = self._failure(w.status())
            if why:
                break
        else:
            why = "no answer"
        self._set_led(False)
        self.last_error = why
        return False, why

    async def monitor(self):
        """Task: watch the link once configured; reconnect when it drops."""
        was_up = None
        fails = 0
        next_try = time.ticks_ms()
        while True:
            await asyncio.sleep_ms(self.CHECK_MS)
            if not self.ssid or self.net is None:
                continue  # not configured (yet): connect_at_boot sets the network
            up = self._wlan().isconnected()
            self._set_led(up)
            if up:
                if was_up is False:
                    self.log("wifi: back up,", self.ip())
                was_up = True
                fails = 0
                continue
            if was_up:
                self.log("wifi: connection lost; reconnecting")
                next_try = time.ticks_ms()
            was_up = False
            if time.ticks_diff(time.ticks_ms(), next_try) < 0:
                continue
            ok, why = await self.connect_once()
            if ok:
                self.log("wifi: reconnected,", why)
                was_up = True
                fails = 0
            else:
                fails += 1
                wait = min(self.RETRY_MAX_MS, self.RETRY_MIN_MS << min(fails - 1, 8))
                self.log("wifi: reconnect failed (%s); next try in %d s" % (why, wait // 1000))
                next_try = time.ticks_add(time.ticks_ms(), wait)


async def _pause(hw, ms):
    try:
        await asyncio.wait_for_ms(hw.keys.get(), ms)
    except asyncio.TimeoutError:
        pass


async def connect_at_boot(cfg, hw, attempts=BOOT_ATTEMPTS, fail_pause_ms=FAIL_PAUSE_MS):
    """Join cfg's WiFi, showing each attempt; True when connected. On failure the screen
    says why and what to do, for fail_pause_ms or until a key, then the terminal goes on
    offline while the monitor task keeps trying."""
    wifi = hw.wifi
    ssid = cfg.get("wifi_ssid") or ""
    if not ssid:
        hw.log("wifi: no wifi_ssid configured; offline")
        hw.show(["WiFi not set", "", "Set wifi_ssid:", "make provision"])
        await _pause(hw, fail_pause_ms // 3)
        return False
    wifi.configure(ssid, cfg.get("wifi_password") or "")
    why = ""
    for n in range(1, attempts + 1):
        hw.show(["WiFi connecting", ssid, "try %d of %d" % (n, attempts)])
        ok, why = await wifi.connect_once()
        if ok:
            hw.log("wifi: connected to", ssid, "ip", why)
            hw.show(["WiFi OK", ssid, why])
            await asyncio.sleep_ms(STEP_PAUSE_MS)
            return True
        hw.log("wifi: try %d of %d failed: %s" % (n, attempts, why))
        hw.show(["WiFi connecting", ssid, "try %d failed:" % n, why])
        if why == "wrong password":
            break  # retrying cannot help
        await asyncio.sleep_ms(STEP_PAUSE_MS)
    hw.log("wifi: giving up at boot (%s); offline, retrying in the background" % why)
    hw.show(["WiFi FAILED", ssid, why] + _hint(why) + ["Any key: go on"])
    await hw.beep(300)
    await _pause(hw, fail_pause_ms)
    return False
