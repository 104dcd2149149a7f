# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython side of the flash-cost bench (host_tools/bench/flash.py): on a fresh 2 MiB
# littlefs image (board/unix/blockdev.py, mounted as the board mounts it), N pre-auths then N
# voids (each pre-auth voided once, in a scattered order), every one doing the app's flash
# work (txn_mp.py). The block device counts reads, programs, erases and bytes programmed.
#
#   micropython flash_mp.py IMAGE [N]      prints one JSON line
import json
import sys

import txn_mp  # noqa: I001  (first: it puts the firmware ahead of host_tools/bench)


def run(image, n):
    bdev = txn_mp.fresh_flash(image)
    t = txn_mp.signed_in()
    t.journal.open_batch(t.state.batch_no)
    out = {"n": n}
    # ints in a list allocated once: 1,500 long-lived strings scattered over the heap
    # fragmented it until a 16 KB list resize failed
    vouchers = [0] * n
    for kind in ("preauth", "void"):
        m = txn_mp.Meter(bdev)
        start = m.snap()
        worst = [0, 0, 0]  # most programs / erases / bytes in one transaction
        for i in range(n):
            before = m.snap()
            if kind == "preauth":
                vouchers[i] = int(txn_mp.preauth(t, 100 + i, "A%05d" % i, m).voucher)
            else:  # 7919 is prime: i -> i * 7919 mod n is a permutation, scattered over chunks
                txn_mp.void(t, "%06d" % vouchers[(i * 7919) % n], m)
            after = m.snap()
            if i == 0:  # the first one on the fresh image: what the end-to-end run sees
                first = [after[k] - before[k] for k in range(4)]
            for k in range(3):
                worst[k] = max(worst[k], after[k + 1] - before[k + 1])
        end = m.snap()
        out[kind] = {
            "reads": end[0] - start[0], "programs": end[1] - start[1],
            "erases": end[2] - start[2], "bytes": end[3] - start[3],
            "max_programs": worst[0], "max_erases": worst[1], "max_bytes": worst[2],
            "steps": m.steps, "order": m.order, "first": first,
        }
    out["blocks"] = bdev.count
    out["block_size"] = bdev.bs
    print(json.dumps(out))


run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1500)
