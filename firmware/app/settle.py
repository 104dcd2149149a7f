# 结算: close the batch with the host. The supervisor password; any pending reversal goes
# first; the batch's totals from the journal; 0500 with field 48 (its standing completions
# as debits, no credits, wire-format.md §3); the settlement report (结算单) with the
# host's verdict. Balanced or not, an answer closes the batch and the next one starts.
# With no answer the settlement stays pending: no transaction goes out until it is done
# again (the host settles a batch once; asking again only repeats its answer).
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
    """The answer is recorded (the report): move on to the next batch, then the journal
    keeps what its retention policy keeps (journal/retention.py). Each step checks what is
    done already, so resume() can call it again after a power cut."""
    st = app.state
    if st.batch_no == batch:
        st.batch_no = next_batch(batch)
        st.save()
    app.journal.open_batch(st.batch_no)
    app.settlement.done()
    gone = app.journal.retain(batch, app.hw.clock.now(), app.cfg["validity_days"],
                              app.data_dir)
    if gone:
        app.hw.log("settlement: batches dropped from the journal:", gone)
    return gone


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
