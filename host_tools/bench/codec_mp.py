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

import vector7  # noqa: E402  (host_tools/mp/: the §7 vector)
from codec import frame, iso8583  # noqa: E402

FIELDS = vector7.FIELDS


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
