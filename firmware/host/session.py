# One exchange with the host: connect, send a request, read frames until one matches
# (wire-format.md §3 "Matching") or the deadline passes, verify its MAC. On top of it,
# sign-in (keys installed only when their check values match) and the echo test.
import time

from codec import frame
from codec.iso8583 import CodecError, unpack
from crypto.keys import KeyCheckError, unwrap_working_keys
from host import messages
from host.channel import CONNECT, UNTRUSTED, Channel, ChannelError
from host.tls import Trust

SW_VERSION = "000100"  # terminal software version in the header (3 BCD bytes)

# Outcomes of an exchange.
OK = "ok"  # a matching response whose MAC (where required) verified
NOT_SENT = "not_sent"  # could not connect: the host saw nothing
NO_ANSWER = "no_answer"  # sent (or maybe sent), no valid answer: reversal reason 98
MAC_FAIL = "mac_fail"  # matching answer, MAC bad or missing (A0 included): reason A0
CLOCK = 2  # Result.untrusted: the certificate was expired or not yet valid


class Result:
    def __init__(self, outcome, detail="", mti=None, fields=None, proc_req=0, untrusted=0):
        self.outcome = outcome
        self.detail = detail
        self.mti = mti
        self.fields = fields or {}
        self.proc_req = proc_req
        # NOT_SENT because the TLS connection was not trusted: 1, or CLOCK when the
        # certificate's dates were the cause (the terminal's clock may be wrong)
        self.untrusted = untrusted

    @property
    def rc(self):
        """Response code F39, or None when no valid answer came."""
        return self.fields.get(39) if self.outcome in (OK, MAC_FAIL) else None

    def __repr__(self):
        return "<Result %s rc=%s %s>" % (self.outcome, self.rc, self.detail)


class HostSession:
    def __init__(self, cfg, state, log=None, buf=None):
        self.cfg = cfg
        self.state = state
        self.log = log or (lambda *a: None)
        # buf: the channel's receive buffer (see Channel), or None for a new one. TLS or
        # plain TCP is the configuration's choice, never a fallback.
        trust = None
        if cfg["tls"]:
            trust = Trust(cfg["tls_ca"], cfg["tls_server_name"] or cfg["host"], cfg["tls_pin"])
        self.channel = Channel(cfg["host"], cfg["port"], cfg["connect_timeout_s"], buf, trust)
        self.tmk = bytes.fromhex(cfg["tmk"])
        self.mak = None
        self.pik = None
        if state.wrapped_keys:
            try:
                self._install(bytes.fromhex(state.wrapped_keys))
            except (KeyCheckError, ValueError):
                # Keys on flash no longer match this TMK (re-provisioned): sign in again.
                state.wrapped_keys = None
                state.need_signin = True

    def _install(self, f62):
        self.pik, self.mak = unwrap_working_keys(self.tmk, f62)

    def _require_signin(self):
        # Sign in again before the next financial transaction (wire-format.md §3); kept
        # on flash so that a restart does not forget it.
        if not self.state.need_signin:
            self.state.need_signin = True
            self.state.save()

    async def exchange(self, mti, fields, timeout_s=None, mac=True):
        """Send one request and wait for its response. Returns a Result; never raises
        for anything the network or the host does."""
        mak = self.mak if mac else None
        body = messages.pack(mti, fields, mak)
        data = frame.encode(body, nii=self.cfg["nii"], sw_version=SW_VERSION)
        timeout_ms = (timeout_s or self.cfg["response_timeout_s"]) * 1000
        ch = self.channel
        try:
            await ch.open()
            await ch.send(data)
        except ChannelError as e:
            if e.kind == UNTRUSTED:
                # nothing of the request left: the handshake comes before any of it
                self.log("host", "connection not trusted, nothing sent:", e)
                return Result(NOT_SENT, str(e), untrusted=CLOCK if ch.trust.date_failed else 1)
            if e.kind == CONNECT:
                self.log("host", "connect failed:", e)
                return Result(NOT_SENT, str(e))
            self.log("host", "send failed:", e)
            ch.close()
            return Result(NO_ANSWER, str(e))
        try:
            self.log("host", "sent", mti, fields.get(3, ""), "F11", fields.get(11))
            deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
            want_mac = mac and mti in messages.MACED
            while True:
                try:
                    buf = await ch.recv_frame(deadline)
                except ChannelError as e:
                    self.log("host", "no valid answer:", e)
                    return Result(NO_ANSWER, str(e))
                try:
                    hdr, off = frame.decode(buf)
                    rmti, rfields = unpack(buf, off)
                except CodecError as e:
                    self.log("host", "discarded malformed frame:", e)
                    continue
                if not messages.matches(mti, fields, rmti, rfields):
                    self.log("host", "discarded unmatched", rmti, "F11", rfields.get(11))
                    continue
                if hdr.proc_req == 3:
                    self._require_signin()
                if want_mac and not messages.mac_ok(self.mak, rmti, rfields, buf[off:]):
                    self.log("host", "MAC check failed on", rmti, "F39", rfields.get(39))
                    self._require_signin()
                    return Result(MAC_FAIL, "MAC check failed", rmti, rfields, hdr.proc_req)
                self.log("host", "answer", rmti, "F39", rfields.get(39))
                return Result(OK, "", rmti, rfields, hdr.proc_req)
        finally:
            ch.close()

    async def sign_in(self):
        """0800/0810. Returns (ok, Result, message). Keys and batch are stored only when
        the host approved and both check values match."""
        st = self.state
        # Once the 0800 may have left, the host may hold new keys this terminal never got
        # (a power cut, a lost answer): until the answer's keys are saved, a sign-in is
        # still due, so the flag reaches flash before the 0800 leaves.
        if not st.need_signin:
            st.need_signin = True
            st.save()
        mti, fields = messages.signin(self.cfg, st.batch_no, st.take_voucher())
        res = await self.exchange(mti, fields, mac=False)
        if res.outcome != OK:
            return False, res, res.detail
        if res.rc != "00":
            return False, res, "declined %s" % res.rc
        f62, f60 = res.fields.get(62), res.fields.get(60, "")
        if f62 is None or len(f60) < 8:
            return False, res, "sign-in answer lacks keys or batch"
        try:
            self._install(f62)
        except KeyCheckError as e:
            return False, res, "keys rejected: %s" % e
        st.wrapped_keys = f62.hex()
        st.batch_no = f60[2:8]
        st.need_signin = False
        st.signed_in_at = res.fields.get(13, "") + res.fields.get(12, "")
        st.save()
        return True, res, "signed in, batch %s" % st.batch_no

    async def echo(self):
        st = self.state
        mti, fields = messages.echo(self.cfg, st.batch_no, st.take_voucher())
        res = await self.exchange(mti, fields, mac=False)
        return res.outcome == OK and res.rc == "00", res
