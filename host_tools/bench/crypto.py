"""DES and UnionPay MAC throughput: firmware/crypto on the MicroPython unix port vs pyDes.

The MicroPython figures are timed inside the `micropython` process (time.ticks_us) by
host_tools/mp/crypto_bench.py; pyDes runs on this CPython in the same invocation.
Run: `python -m host_tools.bench.crypto` (part of `make bench`).
"""

import json
import time

import pyDes

from host_tools.runtime import MP_DIR, run

MP_SCRIPT = MP_DIR / "crypto_bench.py"
KEY = bytes.fromhex("133457799BBCDFF1")
MAB = bytes(range(100))


def pydes_mac(cipher: pyDes.des, mab: bytes) -> bytes:
    """wire-format.md §4 with pyDes as the block cipher."""
    block = bytearray(8)
    for i, b in enumerate(mab):  # zero padding is implicit
        block[i & 7] ^= b
    hexed = block.hex().upper().encode()
    step = cipher.encrypt(hexed[:8])
    step = bytes(a ^ b for a, b in zip(step, hexed[8:], strict=True))
    return cipher.encrypt(step).hex().upper()[:8].encode()


def _rate(fn, n: int) -> float:
    fn(1)
    t = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - t)


def pydes_figures(n: int = 2000) -> dict:
    cipher = pyDes.des(KEY, pyDes.ECB)
    block = bytes(8)

    def blocks(k):
        for _ in range(k):
            cipher.encrypt(block)

    def macs(k):
        for _ in range(k):
            pydes_mac(cipher, MAB)

    return {"des_blocks_per_s": _rate(blocks, n), "macs_per_s": _rate(macs, n // 4)}


def mp_figures(n: int = 20000) -> dict:
    proc = run(MP_SCRIPT, n, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"MicroPython bench failed:\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> dict:
    from host_tools.hostsim.crypto import unionpay_mac

    ours, ref = mp_figures(), pydes_figures()
    assert pydes_mac(pyDes.des(KEY, pyDes.ECB), MAB) == unionpay_mac(KEY, MAB)
    result = {
        "mp_des_blocks_per_s": round(ours["des_blocks_per_s"]),
        "mp_tdes_blocks_per_s": round(ours["tdes_blocks_per_s"]),
        "mp_des_ecb_1k_blocks_per_s": round(ours["des_ecb_1k_blocks_per_s"]),
        "mp_macs_per_s": round(ours["macs_per_s"]),
        "mp_heap_bytes_per_des_block": ours["heap_bytes_per_des_block"],
        "mp_des_key_schedule_us": round(ours["des_key_schedule_us"], 1),
        "pydes_des_blocks_per_s": round(ref["des_blocks_per_s"]),
        "pydes_macs_per_s": round(ref["macs_per_s"]),
    }
    result["ratio_des_blocks"] = round(ours["des_blocks_per_s"] / ref["des_blocks_per_s"], 1)
    result["ratio_macs"] = round(ours["macs_per_s"] / ref["macs_per_s"], 1)
    print("crypto (firmware DES on the MicroPython unix port vs pyDes on CPython)")
    print(f"  DES blocks/s   ours {result['mp_des_blocks_per_s']:>10,}"
          f"   pyDes {result['pydes_des_blocks_per_s']:>8,}   x{result['ratio_des_blocks']}")
    print(f"  MACs/s (100 B) ours {result['mp_macs_per_s']:>10,}"
          f"   pyDes {result['pydes_macs_per_s']:>8,}   x{result['ratio_macs']}")
    print(f"  3DES blocks/s  ours {result['mp_tdes_blocks_per_s']:>10,}"
          f"   ECB 1 KiB: {result['mp_des_ecb_1k_blocks_per_s']:,} DES blocks/s")
    print(f"  heap bytes per DES block: {result['mp_heap_bytes_per_des_block']}"
          f"   key schedule: {result['mp_des_key_schedule_us']} us")
    return result


if __name__ == "__main__":
    main()
