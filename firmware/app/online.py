# Going online with the reversal discipline of wire-format.md §5: sign in when required,
# send the pending reversal before any new financial transaction, store a reversal before
# a reversible request leaves, keep or clear it by what came back.
import kinds
from app import receipt
from app.strings import rc_text, t
from host import messages, session
from host.session import MAC_FAIL, NOT_SENT, OK
from journal import format1
from journal.reversal import ReversalDamaged
from ui import entry

REVERSAL_DONE = ("00", "12", "25")  # §5: the host undid it, or never had it


class Online:
    def __init__(self, app):
        self.app = app

    def _wait_s(self):
        cfg = self.app.cfg
        return cfg["connect_timeout_s"] + cfg["response_timeout_s"]

    async def _exchange(self, title, what, mti, fields, mac=True):
        app = self.app
        return await entry.countdown(app.scr, title, what, self._wait_s(),
                                     app.session.exchange(mti, fields, mac=mac))

    async def sign_in(self, title=None):
        """Sign in with a progress screen; on failure say why. Returns True when signed in."""
        app = self.app
        title = title or t("m_signin")
        ok, res, detail = await entry.countdown(app.scr, title, t("signing_in"), self._wait_s(),
                                                app.session.sign_in())
        if ok:
            app.hw.log("signed in, batch", app.state.batch_no)
            app.journal.open_batch(app.state.batch_no)
            if res.fields.get(13) and res.fields.get(12):  # the host's date and time
                app.hw.clock.sync_from_host(res.fields[13], res.fields[12])
            return True
        app.hw.log("sign-in failed:", detail)
        reason = entry_reason(res)
        if res.outcome == OK and res.rc == "00":  # approved, but its keys did not check
            reason = t("key_check")
        await entry.error(app.scr, title, [t("signin_fail"), reason] + clock_hint(res), 10000)
        return False

    async def signed_in(self, title, pik=False):
        """Sign in now if the terminal must before a financial transaction: the host or a
        MAC failure asked for it, there is no MAK, or (pik) no PIK for a PIN block. True
        when the keys are there."""
        app = self.app
        s = app.session
        if app.state.need_signin or s.mak is None or (pik and s.pik is None):
            return await self.sign_in(title)
        return True

    async def ready(self, title, pik=False):
        """Before a financial transaction: sign-in first when one is due (signed_in), then
        the pending reversal. True when the new transaction may go."""
        if not await self.signed_in(title, pik):
            return False
        return await self.flush_reversal(title)

    def settled(self, rev):
        """True when the journal shows the reversed request went through after all (a
        power cut fell between recording the result and clearing the reversal); what the
        record implies for its originals is finished then (Journal.links)."""
        j = self.app.journal
        f = rev.fields
        rec = j.find_voucher(f[11], f[60][2:8])
        if rec is not None:
            j.links(rec)
            return True
        if rev.kind == kinds.VOID[kinds.NAME] and rev.journal_voucher:  # a void inside its
            orig = j.find_voucher(rev.journal_voucher[1], rev.journal_voucher[0])  # pre-auth
            return orig is not None and format1.voided(orig, f[11])  # (the older format)
        return False

    async def flush_reversal(self, title=None):
        """Send the pending reversal, if any. True when nothing blocks new transactions
        (also right after a reversal failed for the last time: it is flagged, its slip
        printed, and it waits in the failed list for a supervisor)."""
        app = self.app
        rev = await self.load_reversal(title)
        if rev is False:  # damaged and kept: nothing new goes out until it is dealt with
            return False
        if rev is None:
            return True
        if self.settled(rev):
            app.hw.log("reversal not needed: F11", rev.fields[11], "is in the journal")
            app.reversal.clear()
            return True
        if app.state.need_signin or app.session.mak is None:
            if not await self.sign_in(title):
                return False
        attempts = app.reversal.count_attempt()
        mti, fields = messages.reversal(rev.fields, rev.reason)
        res = await self._exchange(title or t("rev_pending"), t("reversing"), mti, fields)
        app.hw.log("reversal F11", fields[11], "reason", rev.reason, "->", res)
        if res.outcome == OK and res.rc in REVERSAL_DONE:
            app.reversal.clear()
            return True
        # Give up only on attempts the host may have seen: while it cannot even be reached
        # nothing new can go out anyway, and the reversal is kept for when it is back.
        if attempts >= app.cfg["reversal_retries"] and res.outcome != NOT_SENT:
            app.reversal.flag()
            rev.attempts = attempts
            await receipt.print_reversal_failed(app, rev)
            await entry.error(app.scr, t("rev_failed"), [t("rev_flagged")], 10000)
            return True
        await entry.error(app.scr, t("rev_failed"),
                          [entry_reason(res), t("rev_retry")] + clock_hint(res), 10000)
        return False

    async def send(self, title, kind, mti, fields, journal_voucher=None):
        """Store the reversal, send the request with a countdown, and leave the reversal
        as §5 says. On an OK outcome the caller records the result, then clears it."""
        app = self.app
        app.reversal.store(mti, fields, "98", journal_voucher, kind)
        res = await self._exchange(title, t("processing"), mti, fields)
        if res.outcome == NOT_SENT:
            app.reversal.clear()  # the host saw nothing: nothing to undo
        elif res.outcome == MAC_FAIL:
            self.keep_reversal(res, "A0")
        elif res.outcome == OK and res.rc != "00":
            app.reversal.clear()  # a clean decline needs no reversal
        return res

    async def explain(self, title, res):
        """True for an approval (00). Otherwise tell the operator what happened and what
        follows from it, and return False."""
        if res.outcome == OK and res.rc == "00":
            return True
        scr = self.app.scr
        if res.outcome == NOT_SENT:
            lines = not_sent_lines(res)
        elif res.outcome == MAC_FAIL:
            lines = [t("mac_fail"), t("resign"), t("no_answer_hint")]
        elif res.outcome == OK:
            lines = [rc_line(res.rc)]
        else:
            lines = [t("no_answer"), t("no_answer_hint")]
        # the outcome stays until the operator acknowledges it (never a time-out: the
        # operator must know whether the customer's card was charged)
        await entry.error(scr, t("declined") if res.outcome == OK else title, lines, None)
        return False

    def keep_reversal(self, res, reason):
        """Keep the stored reversal with reason, adding the auth code the host gave."""
        auth = res.fields.get(38) if res else None
        self.app.reversal.set_reason(reason, auth.strip() if auth else None)

    async def load_reversal(self, title=None):
        """The stored reversal, or None. A damaged one is shown, never silently dropped:
        the operator may set it aside (kept as .bad) after noting it. Returns False then
        (blocking) unless it was set aside."""
        app = self.app
        try:
            return app.reversal.load()
        except ReversalDamaged as e:
            app.hw.log(str(e))
            if await entry.confirm(app.scr, t("rev_damaged"), [t("rev_discard")]):
                app.reversal.discard_damaged()
                return None
            return False


def entry_reason(res):
    """One line saying why an exchange gave no usable answer."""
    if res is None:
        return ""
    if res.outcome == session.NOT_SENT:
        return t("untrusted") if res.untrusted else t("not_sent")
    if res.outcome == session.NO_ANSWER:
        return t("no_answer")
    if res.outcome == session.MAC_FAIL:
        return t("mac_fail")
    return rc_line(res.rc)


def not_sent_lines(res):
    """What the screen says when nothing reached the host: unreachable, or reached but not
    trusted (TLS), and then whether the terminal's clock may be the cause."""
    if not res.untrusted:
        return [t("not_sent"), t("not_sent_hint")]
    return [t("untrusted"), t("not_sent_hint")] + clock_hint(res)


def clock_hint(res):
    """A line more when the host's certificate looked expired or not yet valid: the
    terminal's clock, which decides that, may be wrong (docs/operating.md)."""
    return [t("check_clock")] if res is not None and res.untrusted == session.CLOCK else []


def rc_line(rc):
    return "%s %s" % (rc, rc_text(rc))
