# What a terminal's flash image holds, as one JSON line (MicroPython, unix port):
#
#   micropython host_tools/campaign/mp_inspect.py IMAGE TMK_HEX
#
# Used by the power-cut campaign (powercut.py) on a *copy* of the image after each cut.
# It mounts the image as the board does (littlefs v2, board/unix/blockdev.py geometry) and
# reads without repairing anything: the state record, the pending reversal (unsealed as the
# app would, so a damaged one shows), the failed reversals, the settlement records, and
# every record of every batch as the journal reads it (CRC checked), plus the index
# lengths. Prints
# {"mounted": false, "error": ...} when the image does not mount.
import json
import os
import sys

import kinds
import vfs
from blockdev import FileBlockDevice
from journal import record
from journal.record import LFS_READSIZE
from journal.pan import Keys
from journal.txnlog import STATE_NAMES, Journal, JournalError
from journal.reversal import PendingReversal, ReversalDamaged

D = "/flash"


def _names(path):
    try:
        return sorted(t[0] for t in os.ilistdir(path))
    except OSError:
        return []


def _records(batch):
    """Every record of batch as the journal reads it (a note over the chunk's copy, the
    tail files after the sealed chunks), without repairing anything."""
    out, errors = [], []
    j = Journal(D + "/journal", None, batch, readonly=True)
    for slot in range(j.count()):
        try:
            r = j.get(slot)
        except JournalError as e:
            errors.append(str(e))
            continue
        out.append({
            "slot": slot, "kind": r.kind[kinds.NAME].upper(),  # PREAUTH ... (kinds.py)
            "state": STATE_NAMES.get(r.state, r.state), "voucher": r.voucher,
            "batch": r.batch, "amount": r.amount, "auth": r.auth_code.strip(),
            "pan6": r.pan_masked[:6], "orig": [r.orig_batch, r.orig_voucher],
            "next": [r.next_batch, r.next_voucher], "void_voucher": r.void_voucher,
        })
    try:
        ix = os.stat(D + "/journal/" + batch + "/ix")[6]
    except OSError:
        ix = -1
    return out, errors, ix


def main():
    image, tmk = sys.argv[1], sys.argv[2]
    res = {"mounted": False}
    try:
        fs = vfs.VfsLfs2(FileBlockDevice(image), readsize=LFS_READSIZE)
        vfs.mount(fs, D)
    except OSError as e:
        res["error"] = f"mount: {e}"
        print(json.dumps(res))
        return
    res["mounted"] = True
    res["files"] = _names(D)
    try:
        res["state"] = record.read(D + "/state", None)
        v = record.read(D + "/state.voucher", None)  # the counter's own record
        if v is not None and res["state"] is not None:
            res["state"]["next_voucher"] = v["next"]
    except (record.RecordError, KeyError, TypeError) as e:
        res["state"] = {"damaged": str(e)}
    rev = PendingReversal(D + "/reversal", Keys(bytes.fromhex(tmk)))
    try:
        # peek: read and unseal as load() would (either format), without finishing moves
        p = rev.peek()
        d = None
        if p is not None:
            d = {"mti": p.mti, "f11": p.fields.get(11), "f60": p.fields.get(60),
                 "kind": p.kind, "reason": p.reason, "attempts": p.attempts,
                 "flagged": p.flagged, "journal_voucher": p.journal_voucher}
        res["reversal"] = d
    except ReversalDamaged as e:
        res["reversal"] = {"damaged": str(e)}
    failed = []
    for n in res["files"]:
        if n.startswith("reversal.f"):
            try:
                p = rev.peek(D + "/" + n)
                if p is not None:  # None: empty, a move cut short (load() redoes it)
                    failed.append({"file": n, "f11": p.fields.get(11)})
            except ReversalDamaged as e:
                failed.append({"file": n, "damaged": str(e)})
    res["failed_reversals"] = failed
    sett = {}
    for key, name in (("pending", "settle"), ("last", "settle.last")):
        try:
            sett[key] = record.read(D + "/" + name, None)
        except record.RecordError as e:
            sett[key] = {"damaged": str(e)}
    res["settlement"] = sett
    batches = {}
    errors = []
    leftovers = []
    for b in _names(D + "/journal"):
        if len(b) != 6 or not b.isdigit():  # x<batch>: a drop a cut left half done (the
            leftovers.append(b)  # journal ignores it; the next drop_batch removes it)
            continue
        recs, errs, ix = _records(b)
        batches[b] = {"records": recs, "ix_bytes": ix}
        errors += errs
    res["batches"] = batches
    res["leftovers"] = leftovers
    res["errors"] = errors
    print(json.dumps(res))


main()
