# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython side of the flash-cost bench (host_tools/bench/flash.py): on a fresh 2 MiB
# littlefs image (board/unix/blockdev.py, mounted as the board mounts it), a day and the
# next as a terminal lives them, every transaction doing the app's flash work (txn_mp.py):
# N pre-auths fill batch 1; its settlement moves to batch 2; there 2N/5 of those pre-auths
# are voided and 2N/5 others completed (scattered over batch 1's chunks: their notes land
# there), and N/5 of the completions voided, which fills batch 2. The block device counts
# reads, programs, erases and bytes programmed.
#
#   micropython flash_mp.py IMAGE [N]      prints one JSON line
import json
import sys

import txn_mp  # noqa: I001  (first: it puts the firmware ahead of host_tools/bench)


def phase(out, name, bdev, count, one):
    """count times one(i, meter): the counts summed, the first and the worst one."""
    m = txn_mp.Meter(bdev)
    start = m.snap()
    worst = [0, 0, 0]  # most programs / erases / bytes in one transaction
    first = None
    for i in range(count):
        before = m.snap()
        one(i, m)
        after = m.snap()
        if first is None:  # the first one: what the end-to-end run sees
            first = [after[k] - before[k] for k in range(4)]
        for k in range(3):
            worst[k] = max(worst[k], after[k + 1] - before[k + 1])
    end = m.snap()
    out[name] = {
        "count": count, "reads": end[0] - start[0], "programs": end[1] - start[1],
        "erases": end[2] - start[2], "bytes": end[3] - start[3], "max_programs": worst[0],
        "max_erases": worst[1], "max_bytes": worst[2], "steps": m.steps, "order": m.order,
        "first": first,
    }


def run(image, n):
    bdev = txn_mp.fresh_flash(image)
    t = txn_mp.signed_in()
    t.journal.open_batch(t.state.batch_no)
    out = {"n": n}
    # ints in lists allocated once: 1,500 long-lived strings scattered over the heap
    # fragmented it until a 16 KB list resize failed
    vouchers = [0] * n
    nv = nc = 2 * n // 5
    nx = n // 5 if n >= 5 else min(1, nc)
    completions = [0] * max(1, nc)

    def preauth(i, m):
        vouchers[i] = int(txn_mp.preauth(t, 100 + i, "A%05d" % i, m).voucher)

    def scattered(i):  # 7919 is prime: i -> i * 7919 mod n is a permutation of the slots
        return "%06d" % vouchers[(i * 7919) % n]

    def void(i, m):
        txn_mp.void(t, scattered(i), m)

    def completion(i, m):
        rec = txn_mp.completion(t, scattered(nv + i), 100 + (nv + i) % n, m)
        completions[i] = int(rec.voucher)

    def cvoid(i, m):
        txn_mp.completion_void(t, "%06d" % completions[(i * 7) % nc], m)

    phase(out, "preauth", bdev, n, preauth)
    if n == 1:  # flash.py's replica of its end-to-end run: one pre-auth, then its void
        phase(out, "void", bdev, 1, void)
        out["blocks"] = bdev.count
        out["block_size"] = bdev.bs
        print(json.dumps(out))
        return
    phase(out, "settlement", bdev, 1, lambda i, m: txn_mp.settlement(t, m))
    phase(out, "void", bdev, nv, void)
    phase(out, "completion", bdev, nc, completion)
    phase(out, "completion_void", bdev, nx, cvoid)
    out["blocks"] = bdev.count
    out["block_size"] = bdev.bs
    print(json.dumps(out))


run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1500)
