# Fill the current batch of a stopped simulator terminal's journal with synthetic
# pre-auths, for the batch-nearly-full / batch-full tests (MicroPython, unix port):
#
#   POS_SIM_DIR=<sim_dir> micropython host_tools/mp/fill_journal.py TOTAL [BATCH]
#
# Mounts <sim_dir>/flash.img as the firmware does (board.mount_flash), opens the journal
# of the terminal's current batch (journal/state) under the configured TMK, and appends
# records until the batch holds TOTAL. The records are built as app/preauth.py builds
# them (Record + set_card + Journal.add) with fake card numbers (only their keyed hash and
# ends are kept, so Luhn does not matter) and voucher numbers taken from the terminal's
# counter, so the real pre-auths that follow keep rising voucher order. Prints one JSON
# line: {"count": N, "added": K, "batch": "...", "next_voucher": V, "ms": T}.
#
# BATCH (optional) is for a terminal that has never signed in (batch 000000): the state
# is set to BATCH first, the batch its first sign-in will get (the host simulator's first
# is 000001), so that the journal it boots with is already full (host_tools/bench/heap.py).
import json
import sys
import time

import board
import config
from journal import record
from journal.pan import Keys
from journal.txnlog import Journal, Record
from journal.state import VOUCHER_MAX, TerminalState


def main():
    total = int(sys.argv[1])
    t0 = time.ticks_ms()
    board.mount_flash()
    cfg = config.load(board.CONFIG_PATH)
    st = TerminalState(board.DATA_DIR + "/state")
    if len(sys.argv) > 2 and st.batch_no == "000000":
        st.batch_no = sys.argv[2]  # still need_signin: the boot signs in to this batch
    keys = Keys(bytes.fromhex(cfg["tmk"]))
    j = Journal(board.DATA_DIR + "/journal", keys, st.batch_no)
    y, mo, d, h, mi, s = time.localtime()[:6]
    date, tm, mmdd = "%04d%02d%02d" % (y, mo, d), "%02d%02d%02d" % (h, mi, s), "%02d%02d" % (mo, d)
    v = st.next_voucher
    added = 0
    for i in range(j.count(), total):
        rec = Record(
            voucher="%06d" % v, batch=st.batch_no, date=date, time=tm, amount=100 + i,
            auth_code="F%05d" % i, rrn="%012d" % (900000000000 + i), host_date=mmdd,
            expiry="2812", entry_mode="021", card_org="CUP",
        )
        rec.set_card(keys, "999999%09d0" % i)  # fake: 16 digits, never a real card
        j.add(rec)
        v = 1 if v >= VOUCHER_MAX else v + 1
        added += 1
    st.next_voucher = v  # one state write for the whole fill
    st.save()
    if added:  # the slips of the fill "printed": the last one is the last receipt, as
        # app.terminal.App.remember_receipt writes it (no unprinted slip at the next boot)
        record.write(board.DATA_DIR + "/last_receipt",
                     {"batch": rec.batch, "voucher": int(rec.voucher)})
    print(json.dumps({"count": j.count(), "added": added, "batch": st.batch_no,
                      "next_voucher": v, "ms": time.ticks_diff(time.ticks_ms(), t0)}))


main()
