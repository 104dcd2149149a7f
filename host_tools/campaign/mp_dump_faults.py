# The state of a simulator terminal's flash, as JSON, for the host fault campaign
# (host_tools/campaign/faults.py). MicroPython, unix port:
#
#   micropython host_tools/campaign/mp_dump_faults.py IMAGE TMKHEX
#
# IMAGE is a *copy* of <sim_dir>/flash.img (mounting may write to it: never point this at
# the image of a running terminal). Prints one JSON line: the terminal state (batch, next
# voucher, sign-in needed), every journal record of every batch, the pending reversal
# (or null, or "damaged") and the failed (flagged) reversals. No PAN is printed.
import json
import sys

import kinds
import vfs
from journal.pan import Keys
from journal.record import LFS_READSIZE
from journal.txnlog import STATE_NAMES, Journal
from journal.reversal import PendingReversal, ReversalDamaged
from journal.state import TerminalState

BS = 4096


class ImageDev:
    def __init__(self, path):
        self.f = open(path, "r+b")
        self.f.seek(0, 2)
        self.n = self.f.tell() // BS

    def readblocks(self, block, buf, off=0):
        self.f.seek(block * BS + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        if off is None:
            off = 0
        self.f.seek(block * BS + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return BS
        if op == 6:
            self.f.seek(arg * BS)
            self.f.write(b"\xff" * BS)
            return 0
        if op in (1, 2, 3):
            return 0
        return None


def rev_dict(p):
    f = p.fields
    return {"mti": p.mti, "f11": f.get(11), "f3": f.get(3), "batch": (f.get(60) or "")[2:8],
            "amount": f.get(4), "reason": p.reason, "attempts": p.attempts, "kind": p.kind,
            "flagged": p.flagged, "journal_voucher": p.journal_voucher, "f38": f.get(38)}


def main():
    image, tmk = sys.argv[1], sys.argv[2]
    vfs.mount(vfs.VfsLfs2(ImageDev(image), readsize=LFS_READSIZE), "/flash")
    st = TerminalState("/flash/state")
    keys = Keys(bytes.fromhex(tmk))
    out = {"batch": st.batch_no, "next_voucher": st.next_voucher,
           "need_signin": st.need_signin, "keys": bool(st.wrapped_keys), "journal": []}
    try:
        j = Journal("/flash/journal", keys, st.batch_no)
        for r in j.newest(100000):
            out["journal"].append({
                "batch": r.batch, "voucher": r.voucher, "kind": r.kind[kinds.NAME].upper(),
                "state": STATE_NAMES.get(r.state), "amount": r.amount,
                "auth": r.auth_code.strip(), "host_date": r.host_date,
                "orig": [r.orig_batch, r.orig_voucher], "next": [r.next_batch, r.next_voucher],
                "void_voucher": r.void_voucher})
        out["journal_errors"] = j.errors
    except OSError as e:
        out["journal_error"] = str(e)
    out["journal"].reverse()  # oldest first
    rv = PendingReversal("/flash/reversal", keys)
    try:
        p = rv.load()
        out["reversal"] = rev_dict(p) if p is not None else None
    except ReversalDamaged as e:
        out["reversal"] = "damaged: " + str(e)
    try:
        out["failed"] = [rev_dict(p) for p in rv.failed()]
    except (ReversalDamaged, OSError) as e:
        out["failed"] = "damaged: " + str(e)
    from journal import record

    try:
        out["settle_pending"] = record.read("/flash/settle", None)
    except record.RecordError as e:
        out["settle_pending"] = "damaged: " + str(e)
    print(json.dumps(out))


main()
