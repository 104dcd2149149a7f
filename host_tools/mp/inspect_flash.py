# What a terminal's flash image holds, as one JSON line (MicroPython, unix port):
#
#   micropython host_tools/mp/inspect_flash.py IMAGE TMK_HEX
#
# The one flash inspector of the host tools (host_tools/runtime.py inspect_image runs it
# on a copy of the image; the power-cut and host-fault campaigns read its output). It
# mounts the image read-only (flashimg.py: littlefs v2, board/unix/blockdev.py geometry,
# every write refused) and opens the journal read-only: nothing is repaired, and nothing a
# power cut left half done is finished. It prints the state record and the terminal's
# state as the firmware reads it, the pending reversal (unsealed as the app would, so a
# damaged one shows; a flagged one as it is), the failed reversals, the settlement
# records, and every record of every batch as the journal reads it (CRC checked), with
# the index lengths. No PAN is printed (its first six digits only).
# {"mounted": false, "error": ...} when the image does not mount.
import json
import os
import sys

import flashimg
import kinds
from journal import record
from journal.pan import Keys
from journal.reversal import PendingReversal, ReversalDamaged
from journal.state import TerminalState
from journal.txnlog import STATE_NAMES, Journal, JournalError

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
            "host_date": r.host_date, "pan6": r.pan_masked[:6],
            "orig": [r.orig_batch, r.orig_voucher], "next": [r.next_batch, r.next_voucher],
            "void_voucher": r.void_voucher,
        })
    try:
        ix = os.stat(D + "/journal/" + batch + "/ix")[6]
    except OSError:
        ix = -1
    return out, errors, ix


def _reversal(p):
    f = p.fields
    return {"mti": p.mti, "f11": f.get(11), "f3": f.get(3), "f60": f.get(60),
            "batch": (f.get(60) or "")[2:8], "amount": f.get(4), "f38": f.get(38),
            "kind": p.kind, "reason": p.reason, "attempts": p.attempts,
            "flagged": p.flagged, "journal_voucher": p.journal_voucher}


def main():
    image, tmk = sys.argv[1], sys.argv[2]
    res = {"mounted": False}
    try:
        flashimg.mount(image, D, readonly=True)
    except OSError as e:
        res["error"] = "mount: %s" % e
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
    try:  # as the firmware reads it at boot (defaults for what was never written)
        st = TerminalState(D + "/state")
        res["terminal"] = {"batch": st.batch_no, "next_voucher": st.next_voucher,
                           "need_signin": st.need_signin, "keys": bool(st.wrapped_keys)}
    except (record.RecordError, KeyError, TypeError) as e:
        res["terminal"] = {"damaged": str(e)}
    rev = PendingReversal(D + "/reversal", Keys(bytes.fromhex(tmk)))
    try:
        # peek: read and decrypt as load() would (either format), without finishing moves
        p = rev.peek()
        res["reversal"] = None if p is None else _reversal(p)
    except ReversalDamaged as e:
        res["reversal"] = {"damaged": str(e)}
    failed = []
    for n in res["files"]:
        if n.startswith("reversal.f"):
            try:
                p = rev.peek(D + "/" + n)
                if p is not None:  # None: empty, a move cut short (load() redoes it)
                    d = _reversal(p)
                    d["file"] = n
                    failed.append(d)
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
