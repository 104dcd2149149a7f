# MicroPython side of `make bench` for the codec: pack + unpack of the wire-format §7
# pre-auth void, timed with time.ticks_us on the interpreter it runs on. Prints one JSON line.
import gc
import json
import sys
import time

# This script's folder (first on sys.path) holds the CPython codec.py of `make bench`:
# drop it so that `codec` is the firmware's package.
if sys.path and sys.path[0].endswith("bench"):
    sys.path.pop(0)

from codec import frame, iso8583  # noqa: E402

FIELDS = {
    2: "6222021234567890123",
    3: "200000",
    4: "000000012345",
    11: "000042",
    14: "2812",
    22: "012",
    25: "06",
    38: "A1B2C3",
    41: "TERM0001",
    42: "898310048990001",
    49: "156",
    60: "1100000100000",
    61: "0000010000171125",
    64: b"358810F5",
}


def body_loop(n):
    pack = iso8583.pack
    unpack = iso8583.unpack
    gc.collect()
    t0 = time.ticks_us()
    for _ in range(n):
        unpack(pack("0100", FIELDS))
    return time.ticks_diff(time.ticks_us(), t0)


def frame_loop(n):
    pack = iso8583.pack
    unpack = iso8583.unpack
    encode = frame.encode
    decode = frame.decode
    gc.collect()
    t0 = time.ticks_us()
    for _ in range(n):
        wire = encode(pack("0100", FIELDS))
        off = decode(memoryview(wire)[2:])[1]
        unpack(wire, 2 + off)
    return time.ticks_diff(time.ticks_us(), t0)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
body_loop(n // 10)  # warm-up
us_body = body_loop(n)
us_frame = frame_loop(n)
print(json.dumps({"n": n, "us_pack_unpack": us_body, "us_frame_roundtrip": us_frame}))
