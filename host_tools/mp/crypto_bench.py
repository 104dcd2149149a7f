# MicroPython side of host_tools/bench/crypto.py: times firmware/crypto on this port with
# time.ticks_us and prints one JSON line. Argument: number of blocks (default 20000).
# (It lives in host_tools/mp/, not beside the host script, whose name crypto.py would
# shadow the firmware package on sys.path.)
import json
import sys
import time

import micropython

from crypto.des import DES, TDES
from crypto.mac import unionpay_mac


def rate(fn, n):
    fn(1)  # warm-up
    t = time.ticks_us()
    fn(n)
    us = time.ticks_diff(time.ticks_us(), t)
    return n * 1_000_000 / max(us, 1)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    key, src, dst = b"\x13\x34\x57\x79\x9b\xbc\xdf\xf1", bytearray(8), bytearray(8)
    des, tdes = DES(key), TDES(key + b"\x01\x23\x45\x67\x89\xab\xcd\xef")
    mab = bytes(range(100))  # a typical MAC block (~100 bytes)

    def blocks(c):
        def run(k):
            enc = c.encrypt_block
            for _ in range(k):
                enc(src, dst)
        return run

    def macs(k):
        for _ in range(k):
            unionpay_mac(key, mab)

    def ecb(k):  # whole-buffer ECB: k blocks in chunks of 128 (1 KiB)
        data = bytes(1024)
        for _ in range(k // 128):
            des.encrypt(data)

    out = {
        "des_blocks_per_s": rate(blocks(des), n),
        "tdes_blocks_per_s": rate(blocks(tdes), n),
        "des_ecb_1k_blocks_per_s": rate(ecb, n),
        "macs_per_s": rate(macs, n // 10),
    }
    enc = des.encrypt_block
    enc(src, dst)
    before = micropython.mem_total()
    for _ in range(1000):
        enc(src, dst)
    out["heap_bytes_per_des_block"] = (micropython.mem_total() - before) / 1000
    t = time.ticks_us()
    for _ in range(20):
        DES(key)
    out["des_key_schedule_us"] = time.ticks_diff(time.ticks_us(), t) / 20
    print(json.dumps(out))


main()
