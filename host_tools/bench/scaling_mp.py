# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython side of the scaling bench (host_tools/bench/scaling.py): how boot and the
# lookups of a void's original grow with the journal. On a fresh 2 MiB image, pre-auths are
# made as the app makes them (txn_mp.py) up to each checkpoint; there the flash is
# remounted (power cycle) and
#   boot:    mount + the App's storage objects (TerminalState, Journal, PendingReversal,
#            Supervisor, as app/terminal.py builds them) + what menu_title() reads;
#   lookups: find_voucher (oldest, middle, newest record) and find_auth with host date and
#            amount as app/void.py asks, first match (newest record; oldest = whole index).
# Each figure: block reads (one readblocks call each) and microseconds (best of REPEAT).
#
#   micropython scaling_mp.py IMAGE 0,15,150,1500      prints one JSON line
import json
import sys
import time

import txn_mp  # noqa: I001  (first: it puts the firmware ahead of host_tools/bench)

REPEAT = 5


def measure(bdev, fn):
    """(block reads of one call, best time of REPEAT calls in us); fn must not write."""
    r0 = bdev.reads
    fn()
    reads = bdev.reads - r0
    best = None
    for _ in range(REPEAT):
        t0 = time.ticks_us()
        fn()
        us = time.ticks_diff(time.ticks_us(), t0)
        best = us if best is None or us < best else best
    return {"reads": reads, "us": best}


def boot(image):
    """Mount and the App's storage, from power-on; returns the figures and the Terminal."""
    t0 = time.ticks_us()
    bdev = txn_mp.remount(image)
    mount_reads = bdev.reads
    t = txn_mp.Terminal()
    t.menu_title_reads()
    us = time.ticks_diff(time.ticks_us(), t0)
    return {"reads": bdev.reads, "mount_reads": mount_reads, "us": us}, bdev, t


def lookups(bdev, t, n):
    j = t.journal
    out = {}
    for name, slot in (("oldest", 0), ("middle", n // 2), ("newest", n - 1)):
        rec = j.get(slot)
        def by_voucher(v=rec.voucher):
            assert j.find_voucher(v).voucher == v

        def by_auth(r=rec):
            got = next(j.find_auth(r.auth_code, host_date=r.host_date, amount=r.amount), None)
            assert got is not None and got.voucher == r.voucher

        out["voucher_" + name] = measure(bdev, by_voucher)
        out["auth_" + name] = measure(bdev, by_auth)
    return out


def run(image, checkpoints):
    txn_mp.fresh_flash(image)
    t = txn_mp.signed_in()
    made = 0
    out = {}
    for n in checkpoints:
        while made < n:
            txn_mp.preauth(t, 100 + made, "A%05d" % made)
            made += 1
        b, bdev, t = boot(image)
        for _ in range(REPEAT - 1):  # the reads are the same each time; the time varies
            again, bdev, t = boot(image)
            b["us"] = min(b["us"], again["us"])
        res = {"boot": b}
        if n:
            res.update(lookups(bdev, t, n))
        out[str(n)] = res
    print(json.dumps(out))


run(sys.argv[1], [int(x) for x in sys.argv[2].split(",")])
