# What a terminal's flash image holds, as one JSON line (MicroPython, unix port):
#
#   micropython host_tools/campaign/mp_inspect.py IMAGE TMK_HEX
#
# Used by the power-cut campaign (powercut.py) on a *copy* of the image after each cut.
# It mounts the image as the board does (littlefs v2, board/unix/blockdev.py geometry) and
# reads without repairing anything: the state record, the pending reversal (unsealed as the
# app would, so a damaged one shows), the failed reversals, and every record of every
# batch straight from the chunk files (CRC checked), plus the index lengths. Prints
# {"mounted": false, "error": ...} when the image does not mount.
import json
import os
import sys

import vfs
from blockdev import FileBlockDevice
from journal import record
from journal.pan import Keys
from journal.preauth import PER_CHUNK, REC_SIZE, STATE_NAMES, JournalError, _unpack
from journal.reversal import PendingReversal, ReversalDamaged

D = "/flash"


def _names(path):
    try:
        return sorted(t[0] for t in os.ilistdir(path))
    except OSError:
        return []


def _records(batch):
    out, errors = [], []
    bdir = D + "/journal/" + batch
    buf = bytearray(REC_SIZE)
    k = 0
    while True:
        name = f"{bdir}/c{k:02d}"
        try:
            f = open(name, "rb")
        except OSError:
            break
        try:
            i = 0
            while True:
                got = f.readinto(buf)
                if not got:
                    break
                slot = k * PER_CHUNK + i
                if got != REC_SIZE:
                    errors.append(f"batch {batch} slot {slot}: {got} bytes")
                    break
                try:
                    r = _unpack(buf, batch, slot)
                    out.append({
                        "slot": slot, "state": STATE_NAMES.get(r.state, r.state),
                        "voucher": r.voucher, "batch": r.batch, "amount": r.amount,
                        "auth": r.auth_code.strip(), "pan6": r.pan_masked[:6],
                        "void_voucher": r.void_voucher, "void_date": r.void_date,
                        "void_rrn": r.void_rrn,
                    })
                except JournalError as e:
                    errors.append(str(e))
                i += 1
        finally:
            f.close()
        if i < PER_CHUNK:
            break
        k += 1
    try:
        ix = os.stat(bdir + "/ix")[6]
    except OSError:
        ix = -1
    return out, errors, ix


def main():
    image, tmk = sys.argv[1], sys.argv[2]
    res = {"mounted": False}
    try:
        fs = vfs.VfsLfs2(FileBlockDevice(image))
        vfs.mount(fs, D)
    except OSError as e:
        res["error"] = f"mount: {e}"
        print(json.dumps(res))
        return
    res["mounted"] = True
    res["files"] = _names(D)
    try:
        res["state"] = record.read(D + "/state", None)
    except record.RecordError as e:
        res["state"] = {"damaged": str(e)}
    rev = PendingReversal(D + "/reversal", Keys(bytes.fromhex(tmk)))
    try:
        d = record.read(D + "/reversal", None)
        if d is not None:
            p = rev._pending(d, rev.path)  # unseal as load() would, without finishing moves
            d = {"mti": p.mti, "f11": p.fields.get(11), "f60": p.fields.get(60),
                 "kind": p.kind, "reason": p.reason, "attempts": p.attempts,
                 "flagged": p.flagged, "journal_voucher": p.journal_voucher}
        res["reversal"] = d
    except (record.RecordError, ReversalDamaged) as e:
        res["reversal"] = {"damaged": str(e)}
    failed = []
    for n in res["files"]:
        if n.startswith("reversal.f"):
            try:
                d = record.read(D + "/" + n)
                failed.append({"file": n, "f11": d["fields"].get("11")})
            except record.RecordError as e:
                failed.append({"file": n, "damaged": str(e)})
    res["failed_reversals"] = failed
    batches = {}
    errors = []
    for b in _names(D + "/journal"):
        recs, errs, ix = _records(b)
        batches[b] = {"records": recs, "ix_bytes": ix}
        errors += errs
    res["batches"] = batches
    res["errors"] = errors
    print(json.dumps(res))


main()
