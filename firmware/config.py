# Terminal configuration: documented defaults (they match the host simulator's default
# terminal), overridden by config.json on flash. Every value is checked; a bad one raises
# ConfigError naming the key, and the terminal refuses to go online rather than guess.
import json
import os

FILE = "config.json"

# key: (default, checker name). Defaults are for the simulator; docs/configuration.md.
DEFAULTS = {
    "tid": "TERM0001",  # F41, ans8
    "mid": "898310048990001",  # F42, ans15
    "merchant_name": "测试商户",  # printed on receipts
    "host": "127.0.0.1",
    "port": 5000,
    "nii": "0003",  # TPDU destination address
    "tmk": "0123456789ABCDEFFEDCBA9876543210",  # terminal master key, 32 hex digits
    "operator": "001",  # F63 of requests
    "connect_timeout_s": 10,
    "response_timeout_s": 60,  # wire-format.md §5
    "reversal_retries": 3,
    "validity_days": 30,  # pre-auth validity window for voids
    "language": "zh",  # "zh" or "en"
    "wifi_ssid": "",  # ESP32 board: network to join at boot ("" = no WiFi); docs/hardware.md
    "wifi_password": "",  # "" for an open network, else a WPA2 passphrase or 64 hex digits
    # TLS to the host (docs/configuration.md "TLS"): on unless the acquirer's host has
    # none; never a fallback. tls_ca: the acquirer's CA certificate (DER), a path beside
    # the configuration file unless absolute; tls_server_name: the name the host's
    # certificate must carry ("" = the host setting); tls_pin: "" or the SHA-256 of the
    # host's certificate (64 hex digits)
    # ESP32 board: the clock by NTP once WiFi is up ("" = none), and local time's offset
    # from UTC in minutes (China: +480)
    "ntp_host": "pool.ntp.org",
    "tz_offset_min": 480,
    "tls": True,
    "tls_ca": "ca.der",
    "tls_server_name": "",
    "tls_pin": "",
    # The cardholder's PIN (wire-format.md §8): {kind name: true/false} for the kinds whose
    # row in kinds.py says otherwise (its PIN column: pre-auth and completion ask, the
    # voids do not); {} keeps every kind as its row says
    "pin_entry": {},
}

# The kinds pin_entry may name: the NAME of kinds.py's rows (config.py imports nothing of
# the firmware: host_tools/provision.py runs it under CPython; tests/device/test_kinds.py
# holds the two lists equal).
PIN_KINDS = ("preauth", "void", "completion", "completion_void")


class ConfigError(Exception):
    pass


def _ascii(key, value, lo, hi):
    if not isinstance(value, str) or not (lo <= len(value) <= hi):
        raise ConfigError("%s: want %d..%d characters" % (key, lo, hi))
    for ch in value:
        if not (32 <= ord(ch) < 127):
            raise ConfigError("%s: only printable ASCII allowed" % key)
    return value


def _digits(key, value, n):
    if not isinstance(value, str) or len(value) != n or not value.isdigit():
        raise ConfigError("%s: want exactly %d digits" % (key, n))
    return value


def _int(key, value, lo, hi):
    if not isinstance(value, int) or isinstance(value, bool) or not (lo <= value <= hi):
        raise ConfigError("%s: want a whole number %d..%d" % (key, lo, hi))
    return value


def _hex(key, value, n):
    if not isinstance(value, str) or len(value) != n:
        raise ConfigError("%s: want %d hex digits" % (key, n))
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ConfigError("%s: not hexadecimal" % key)


def _hexkey(key, value, n):
    raw = _hex(key, value, n)
    if raw[: n // 4] == raw[n // 4 :]:
        raise ConfigError("%s: both halves equal (single-DES key)" % key)
    return value.upper()


def _ssid(key, value):
    # An SSID is up to 32 bytes; UTF-8 names (e.g. Chinese) are common, control
    # characters never are.
    if not isinstance(value, str) or len(value.encode()) > 32:
        raise ConfigError("%s: want at most 32 bytes" % key)
    for ch in value:
        if ord(ch) < 32 or ord(ch) == 127:
            raise ConfigError("%s: control characters not allowed" % key)
    return value


def _wifi_password(key, value):
    # WPA2-PSK: a passphrase of 8..63 printable ASCII characters, or the 256-bit key as
    # 64 hex digits; "" means an open network.
    if not isinstance(value, str):
        raise ConfigError("%s: want text" % key)
    if value == "":
        return value
    if len(value) == 64:
        try:
            bytes.fromhex(value)
            return value
        except ValueError:
            pass
    if not (8 <= len(value) <= 63):
        raise ConfigError("%s: want 8..63 characters (WPA2) or empty (open)" % key)
    return _ascii(key, value, 8, 63)


def _pin_entry(key, value):
    if not isinstance(value, dict):
        raise ConfigError('%s: want an object such as {"void": true}' % key)
    for name, on in value.items():
        if name not in PIN_KINDS:
            raise ConfigError("%s: %s: not a transaction kind (%s)"
                              % (key, name, ", ".join(PIN_KINDS)))
        if not isinstance(on, bool):
            raise ConfigError("%s: %s: want true or false" % (key, name))
    return dict(value)


def validate(cfg):
    """Check every known key; return a new dict of clean values. Unknown keys are errors."""
    out = {}
    for key in cfg:
        if key not in DEFAULTS:
            raise ConfigError("%s: unknown setting" % key)
    for key, default in DEFAULTS.items():
        v = cfg.get(key, default)
        if key == "tid":
            v = _ascii(key, v, 8, 8)
        elif key == "mid":
            v = _ascii(key, v, 15, 15)
        elif key == "merchant_name":
            if not isinstance(v, str) or not (1 <= len(v) <= 40):
                raise ConfigError("merchant_name: want 1..40 characters")
        elif key == "host":
            v = _ascii(key, v, 1, 64)
        elif key == "port":
            v = _int(key, v, 1, 65535)
        elif key == "nii":
            v = _digits(key, v, 4)
        elif key == "tmk":
            v = _hexkey(key, v, 32)
        elif key == "operator":
            v = _digits(key, v, 3)
        elif key in ("connect_timeout_s", "response_timeout_s"):
            v = _int(key, v, 1, 300)
        elif key == "reversal_retries":
            v = _int(key, v, 1, 10)
        elif key == "validity_days":
            v = _int(key, v, 1, 365)
        elif key == "language":
            if v not in ("zh", "en"):
                raise ConfigError("language: want zh or en")
        elif key == "wifi_ssid":
            v = _ssid(key, v)
        elif key == "wifi_password":
            v = _wifi_password(key, v)
        elif key == "ntp_host":
            v = _ascii(key, v, 0, 64) if v else ""
        elif key == "tz_offset_min":
            v = _int(key, v, -720, 840)
        elif key == "tls":
            if not isinstance(v, bool):
                raise ConfigError("tls: want true or false")
        elif key == "tls_ca":
            v = _ascii(key, v, 1, 96)
        elif key == "tls_server_name":
            v = _ascii(key, v, 0, 64) if v else ""
        elif key == "tls_pin":
            if v:
                _hex(key, v, 64)
                v = v.lower()
        elif key == "pin_entry":
            v = _pin_entry(key, v)
        out[key] = v
    if out["wifi_password"] and not out["wifi_ssid"]:
        raise ConfigError("wifi_password: set without wifi_ssid")
    return out


MAX_BYTES = 4096  # a full configuration is well under 1 KB


def load(path):
    """Read and validate the configuration file at path; a missing file means defaults.
    Anything wrong with the file is a ConfigError, never another exception: a file too
    large, not UTF-8, or JSON nested deeply enough to exhaust the heap included. A
    relative tls_ca comes back as a path beside the file."""
    cfg = validate(_read(path))
    ca = cfg["tls_ca"]
    if not ca.startswith("/") and "/" in path:
        cfg["tls_ca"] = path[: path.rindex("/") + 1] + ca
    return cfg


def _read(path):
    try:
        size = os.stat(path)[6]
        f = open(path, "rb")
    except OSError:
        return {}
    try:
        # no more than the file holds: read(n) allocates all n bytes at once (see record.py)
        data = f.read(min(size, MAX_BYTES) + 1)
    finally:
        f.close()
    if len(data) > MAX_BYTES:
        raise ConfigError("%s: larger than %d bytes" % (path, MAX_BYTES))
    try:
        raw = json.loads(data.decode())
    except (ValueError, MemoryError, RuntimeError):  # UnicodeError is a ValueError
        raise ConfigError("%s: not valid JSON" % path)
    if not isinstance(raw, dict):
        raise ConfigError("%s: want a JSON object" % path)
    return raw
