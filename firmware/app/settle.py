# 结算: close the batch with the host. The supervisor password; any pending reversal goes
# first; the batch's totals from the journal; 0500 with field 48 (its standing completions
# as debits, no credits, wire-format.md §3); the settlement report (结算单) with the
# host's verdict. Balanced or not, an answer closes the batch and the next one starts.
# With no answer the settlement stays pending: no transaction goes out until it is done
# again (the host settles a batch once; asking again only repeats its answer).
import time

import kinds
from app import receipt
from app.online import not_sent_lines
from app.strings import rc_text, t
from app.supervisor import authorize
from host import messages
from host.session import NOT_SENT, OK
from journal.txnlog import OPEN
from ui import entry
from ui.screen import RIGHT

BATCH_MAX = 999999
DAY_S = 86400
# Flash a batch may need (4 KB blocks): 1,500 records in 47 chunks, the index, the hashes
# and the directories, notes in every chunk. Below this, settled batches are dropped.
RESERVE_BLOCKS = 160


def days_ago(now, n):
    """The date n days before now (a clock tuple), YYYYMMDD: the oldest a pre-auth may be
    to be used, and so to be kept."""
    y, mo, d = now[:3]
    then = time.localtime(time.mktime((y, mo, d, 12, 0, 0, 0, 0)) - n * DAY_S)
    return "%04d%02d%02d" % then[:3]


def next_batch(batch):
    n = int(batch)
    return "%06d" % (1 if n >= BATCH_MAX else n + 1)


def totals(journal, batch):
    """The batch's figures: [count, fen] for each kind, at its index in kinds.ALL (the
    pre-auth, void, completion, completion void: 8 numbers), then the debits, always the
    last two (debits()): the records of a debit kind that still stand (the completions)."""
    out = [0] * (2 * len(kinds.ALL) + 2)

    def add(r):
        i = 2 * kinds.ALL.index(r.kind)
        out[i] += 1
        out[i + 1] += r.amount
        if r.kind[kinds.DEBIT] and r.state == OPEN:
            out[-2] += 1
            out[-1] += r.amount

    journal.each(batch, add)
    return out


def debits(sums):
    """(count, fen) of the debits in totals() (field 48)."""
    return sums[-2], sums[-1]


def close_batch(app, batch):
    """The answer is recorded (the report): move on to the next batch. Each step checks
    what is done already, so resume() can call it again after a power cut."""
    st = app.state
    if st.batch_no == batch:
        st.batch_no = next_batch(batch)
        st.save()
    app.journal.open_batch(st.batch_no)
    app.settlement.done()
    gone = app.journal.prune(batch, days_ago(app.hw.clock.now(), app.cfg["validity_days"]))
    gone += make_room(app, batch)
    if gone:
        app.hw.log("settlement: batches dropped from the journal:", gone)
    return gone


def make_room(app, keep):
    """Drop the oldest settled batches, never the current one nor keep, while the flash
    has less room than a full batch needs; their pre-auths can still be keyed in."""
    gone = []
    free = _free_blocks(app.data_dir)
    for b in reversed(app.journal.batches()):
        if free is None or free >= RESERVE_BLOCKS:
            break
        if b in (app.journal.batch, keep):
            continue
        app.journal.drop_batch(b)
        gone.append(b)
        free = _free_blocks(app.data_dir)
    return gone


def _free_blocks(path):
    import os

    try:
        s = os.statvfs(path)
    except OSError:  # every board's DATA_DIR answers statvfs (firmware/hardware.py)
        return None
    return s[3] * s[1] // 4096  # free blocks x block size, in 4 KB blocks


def resume(app):
    """At boot: a batch whose report was recorded before a power cut is closed now."""
    p = app.settlement.pending()
    last = app.settlement.last()
    if p is not None and last is not None and last["batch"] == p["batch"]:
        close_batch(app, p["batch"])


async def run(app):
    title, scr = t("m_settle"), app.scr
    if not await authorize(app, title) or not await app.online.ready(title):
        return
    p = app.settlement.pending()  # settled again: the batch it was for, even if a
    batch = p["batch"] if p else app.state.batch_no  # sign-in has moved on since
    scr.draw(title, [t("counting"), t("batch") + batch])
    sums = totals(app.journal, batch)
    n, fen = debits(sums)
    ok = await entry.confirm(scr, title, [
        t("batch") + batch, t("debits") % n, ("RMB " + entry.yuan(fen), RIGHT)])
    if not ok:
        return
    try:
        mti, fields = messages.settlement(app.cfg, batch, app.state.take_voucher(), fen, n)
    except ValueError as e:
        app.hw.log("settlement:", e)
        await entry.error(scr, title, [t("settle_too_big")])
        return
    app.settlement.start(batch, sums)
    wait = app.cfg["connect_timeout_s"] + app.cfg["response_timeout_s"]
    res = await entry.countdown(scr, title, t("processing"), wait,
                                app.session.exchange(mti, fields, mac=False))
    app.hw.log("settlement batch", batch, "->", res)
    if res.outcome != OK:
        if res.outcome == NOT_SENT:
            app.settlement.done()  # the host saw nothing
            await entry.error(scr, title, not_sent_lines(res), None)
        else:
            await entry.error(scr, title, [t("no_answer"), t("settle_again")], None)
        return
    if res.rc != "00":
        app.settlement.done()
        await entry.error(scr, t("declined"), ["%s %s" % (res.rc, rc_text(res.rc))], None)
        return
    f48 = res.fields.get(48) or ""
    y, mo, d, h, mi, s = app.hw.clock.now()
    report = {"batch": batch, "date": "%04d%02d%02d" % (y, mo, d),
              "time": "%02d%02d%02d" % (h, mi, s), "totals": sums,
              "flag": f48[30:31] or "3", "rrn": res.fields.get(37, "")}
    app.settlement.close(report)
    gone = close_batch(app, batch)
    del res
    verdict = t("settle_flag_" + report["flag"]) if report["flag"] in "12" else t(
        "settle_flag_3")
    await entry.message(scr, title, [t("settle_done"), verdict,
                                     t("batch") + app.state.batch_no], 5000)
    if gone:
        await entry.message(scr, title, [t("batches_dropped"), " ".join(gone)], 10000)
    await receipt.print_settlement(app, report)
