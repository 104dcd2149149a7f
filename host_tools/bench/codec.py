"""ISO 8583 throughput: firmware/codec on the MicroPython unix port vs pyiso8583 on CPython,
pack + unpack of the wire-format §7 pre-auth void (MTI + bitmap + 14 fields).

The MicroPython figures are timed inside the `micropython` process (time.ticks_us) by
host_tools/bench/codec_mp.py, once with the unix port's default heap and once with a
100 KB heap like the ESP32's; pyiso8583 runs on this CPython with the host simulator's spec.
Run: `python -m host_tools.bench.codec` (part of `make bench`).
"""

import json
import time
from pathlib import Path

import iso8583

from host_tools.hostsim.spec import SPEC
from host_tools.runtime import MP_DIR, run

MP_SCRIPT = Path(__file__).with_name("codec_mp.py")
N = 20000

DOC = {
    "t": "0100",
    "2": "6222021234567890123",
    "3": "200000",
    "4": "000000012345",
    "11": "000042",
    "14": "2812",
    "22": "012",
    "25": "06",
    "38": "A1B2C3",
    "41": "TERM0001",
    "42": "898310048990001",
    "49": "156",
    "60": "1100000100000",
    "61": "0000010000171125",
    "64": "3335383831304635",
}


def pyiso8583_us(n: int) -> float:
    """Microseconds per encode + decode, best of three runs."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            raw, _ = iso8583.encode(dict(DOC), SPEC)
            iso8583.decode(raw, SPEC)
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


def micropython_us(n: int, heapsize: str | None = None) -> dict:
    """Microseconds per pack + unpack (and per full frame round trip), best of three."""
    best: dict = {}
    for _ in range(3):
        proc = run(MP_SCRIPT, n, heapsize=heapsize, timeout=300, extra_path=[MP_DIR])
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        for key in ("us_pack_unpack", "us_frame_roundtrip"):
            us = got[key] / n
            best[key] = min(best.get(key, us), us)
    return best


def main() -> dict:
    py = pyiso8583_us(N)
    mp = micropython_us(N)
    mp_small = micropython_us(N, heapsize="100k")
    result = {
        "messages": N,
        "micropython_pack_unpack_per_s": round(1e6 / mp["us_pack_unpack"]),
        "micropython_frame_roundtrip_per_s": round(1e6 / mp["us_frame_roundtrip"]),
        "micropython_100k_heap_pack_unpack_per_s": round(1e6 / mp_small["us_pack_unpack"]),
        "pyiso8583_encode_decode_per_s": round(1e6 / py),
    }
    # > 1 means the firmware codec on the unix port is faster than pyiso8583 on CPython
    result["ratio"] = round(result["micropython_pack_unpack_per_s"] / result[
        "pyiso8583_encode_decode_per_s"], 2)
    print(f"micropython codec pack+unpack : {result['micropython_pack_unpack_per_s']:>8} msg/s"
          f"  ({mp['us_pack_unpack']:.1f} us)")
    print(f"  with LEN+TPDU+header       : {result['micropython_frame_roundtrip_per_s']:>8} msg/s"
          f"  ({mp['us_frame_roundtrip']:.1f} us)")
    print(f"  100 KB heap (ESP32-like)   : "
          f"{result['micropython_100k_heap_pack_unpack_per_s']:>8} msg/s"
          f"  ({mp_small['us_pack_unpack']:.1f} us)")
    print(f"pyiso8583 encode+decode      : {result['pyiso8583_encode_decode_per_s']:>8} msg/s"
          f"  ({py:.1f} us)")
    print(f"ratio (ours / pyiso8583)     : {result['ratio']:>8}")
    return result


if __name__ == "__main__":
    main()
