"""What the acquirer/issuer does with each decoded request: ledger updates and the reply.

No bytes and no sockets here: ``Acquirer.handle(mti, fields)`` returns a ``Reply`` (MTI,
fields, the key to MAC it with). The server encodes it and applies faults.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import crypto
from .cards import DEFAULT_AMOUNT_LIMIT, MAX_PIN_TRIES, card_pin, preauth_decision
from .ledger import Ledger, Terminal
from .spec import Value, mac_block, pack

log = logging.getLogger("hostsim")

# (MTI, F3) -> the fields wire-format.md §3 requires in the request (64 is checked apart).
FINANCIAL: dict[tuple[str, str], tuple[str, tuple[int, ...]]] = {
    ("0100", "030000"): ("preauth", (2, 3, 4, 11, 14, 22, 25, 41, 42, 49, 60)),
    ("0100", "200000"): ("void", (2, 3, 4, 11, 14, 22, 25, 38, 41, 42, 49, 60, 61)),
    ("0200", "000000"): ("completion", (2, 3, 4, 11, 14, 22, 25, 38, 41, 42, 49, 60, 61)),
    ("0200", "200000"): ("completion_void",
                         (2, 3, 4, 11, 14, 22, 25, 37, 38, 41, 42, 49, 60, 61)),
}
REVERSAL_FIELDS = (3, 11, 41, 42, 60)
ECHO_FINANCIAL = (2, 3, 4, 11, 14, 25, 38, 41, 42, 49, 60)
COMPLETION_TOLERANCE = 1.15  # a completion may exceed its hold by up to 15 %
PIN_FIELDS = (26, 52, 53)  # present, all three, exactly when 22.2 = 1 (wire-format §3, §8)
SECURITY_CONTROL = "2600000000000000"  # F53: format 0 with the PAN, double-length PIK
PIN_REQUIRED = ("preauth", "completion")  # kinds a card with a PIN must not do without it


class FormatError(Exception):
    """The request decodes but breaks wire-format §3 (missing field, bad sub-field)."""


@dataclass
class Reply:
    mti: str
    fields: dict[int, Value]
    mac_key: bytes | None = None  # when set the server appends F64 computed with it
    processing: int = 0  # header processing requirement nibble
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def rc(self) -> str | None:
        v = self.fields.get(39)
        return v if isinstance(v, str) else None


def response_mti(mti: str) -> str | None:
    """Request MTI + 10, or None when the MTI is not a request."""
    if len(mti) != 4 or not mti.isdigit() or int(mti[2]) % 2:
        return None
    return f"{int(mti) + 10:04d}"


def _s(fields: dict[int, Value], no: int) -> str:
    v = fields.get(no)
    return v if isinstance(v, str) else ""


@dataclass(frozen=True)
class Orig:
    batch: int
    voucher: str
    date: str

    @property
    def keyed(self) -> bool:
        return self.batch == 0 and int(self.voucher) == 0


def parse_61(value: str) -> Orig:
    if len(value) < 16:
        raise FormatError("field 61 shorter than 16 digits")
    return Orig(int(value[:6]), value[6:12], value[12:16])


def pin_entered(req: dict[int, Value]) -> bool:
    """Whether the request carries a PIN (22.2 = 1), after checking that 26, 52 and 53 are
    there exactly then and that 53 is the one security control of wire-format §2."""
    f22 = _s(req, 22)
    if len(f22) != 3 or f22[2] not in "12":
        raise FormatError(f"field 22 {f22!r}: 22.2 is neither 1 nor 2")
    present = [n for n in PIN_FIELDS if n in req]
    if f22[2] == "2":
        if present:
            raise FormatError(f"fields {present} without a PIN (22.2 = 2)")
        return False
    missing = [n for n in PIN_FIELDS if n not in req]
    if missing:
        raise FormatError(f"22.2 = 1 (PIN entered) without fields {missing}")
    if _s(req, 53) != SECURITY_CONTROL:
        raise FormatError(f"field 53 {_s(req, 53)!r}, not {SECURITY_CONTROL}")
    return True


def parse_batch(f60: str) -> int:
    if len(f60) < 11:
        raise FormatError("field 60 shorter than 11 digits")
    return int(f60[2:8])


class Acquirer:
    def __init__(
        self,
        ledger: Ledger,
        amount_limit: int = DEFAULT_AMOUNT_LIMIT,
        clock: Callable[[], time.struct_time] = time.localtime,
    ) -> None:
        self.ledger = ledger
        self.amount_limit = amount_limit
        self.clock = clock

    # ------------------------------------------------------------- helpers

    def _time_fields(self) -> tuple[str, str]:
        t = self.clock()
        return time.strftime("%H%M%S", t), time.strftime("%m%d", t)

    def _rrn(self) -> str:
        seq = self.ledger.next_seq("rrn") % 1_000_000
        return time.strftime("%H%M%S", self.clock()) + f"{seq:06d}"

    @staticmethod
    def _auth_code() -> str:
        alphabet = string.ascii_uppercase + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(6))

    def _base(self, mti: str, req: dict[int, Value], echo: tuple[int, ...], rc: str) -> Reply:
        out: dict[int, Value] = {n: req[n] for n in echo if n in req}
        out[12], out[13] = self._time_fields()
        out[39] = rc
        return Reply(response_mti(mti) or mti, out)

    def _financial_reply(
        self, mti: str, req: dict[int, Value], rc: str, term: Terminal | None,
        auth_code: str | None = None, rrn: str | None = None,
    ) -> Reply:
        reply = self._base(mti, req, ECHO_FINANCIAL, rc)
        reply.fields[37] = rrn or self._rrn()
        if auth_code and 38 not in reply.fields:
            reply.fields[38] = auth_code
        if mti in ("0100", "0200"):
            reply.fields[63] = "CUP"
        reply.fields = dict(sorted(reply.fields.items()))
        reply.mac_key = term.mak if term else None
        return reply

    def format_error(self, mti: str, partial: dict[int, Value]) -> Reply | None:
        """Answer 30 to a request whose header decoded but whose body did not."""
        rmti = response_mti(mti)
        if rmti is None:
            return None
        tid = _s(partial, 41)
        term = self.ledger.terminal(tid) if tid else None
        if mti in ("0100", "0200", "0400"):
            return self._financial_reply(mti, partial, "30", term)
        return self._base(mti, partial, (3, 11, 41, 42, 60), "30")

    # ------------------------------------------------------------ dispatch

    def handle(self, mti: str, req: dict[int, Value], body: bytes | None = None) -> Reply | None:
        """The reply to one decoded request; ``body`` (MTI onwards) is what the MAC covers."""
        if mti == "0800":
            return self.sign_in(req)
        if mti == "0820":
            return self.echo(req)
        if mti == "0500":
            return self.settle(req)
        if mti in ("0100", "0200", "0400"):
            return self.financial(mti, req, body)
        return self.format_error(mti, req)

    def sign_in(self, req: dict[int, Value]) -> Reply:
        reply = self._base("0800", req, (3, 11, 41, 42, 60), "00")
        term = self.ledger.terminal(_s(req, 41))
        f60 = _s(req, 60)
        if term is None or term.mid != _s(req, 42):
            reply.fields[39] = "58"
            reply.note = "unknown terminal"
            return reply
        if 11 not in req or len(f60) < 11:
            reply.fields[39] = "30"
            return reply
        pik, mak = secrets.token_bytes(16), secrets.token_bytes(8)
        self.ledger.set_keys(term.tid, pik, mak)
        reply.fields[37] = self._rrn()
        reply.fields[60] = f60[:2] + f"{term.batch:06d}" + f60[8:11]
        reply.fields[62] = crypto.wrap_working_keys(term.tmk, pik, mak)
        reply.fields = dict(sorted(reply.fields.items()))
        kcvs = crypto.kcv(pik).hex().upper(), crypto.kcv(mak).hex().upper()
        reply.note = f"keys PIK kcv {kcvs[0]} MAK kcv {kcvs[1]}"
        return reply

    def echo(self, req: dict[int, Value]) -> Reply:
        reply = self._base("0820", req, (11, 41, 42, 60), "00")
        term = self.ledger.terminal(_s(req, 41))
        if term is None or term.mid != _s(req, 42):
            reply.fields[39] = "58"
        return reply

    def settle(self, req: dict[int, Value]) -> Reply:
        reply = self._base("0500", req, (11, 41, 42, 49, 60), "00")
        term = self.ledger.terminal(_s(req, 41))
        if term is None or term.mid != _s(req, 42):
            reply.fields[39] = "58"
            return reply
        f48, f60 = _s(req, 48), _s(req, 60)
        if len(f48) < 31 or len(f60) < 11:
            reply.fields[39] = "30"
            return reply
        batch = parse_batch(f60)
        amount, count = self.ledger.batch_debits(term.tid, batch)
        balanced = int(f48[:12]) == amount and int(f48[12:15]) == count
        flag = "1" if balanced else "2"
        host48 = f"{amount:012d}{count:03d}{0:012d}{0:03d}{flag}" + "0" * 31
        reply.fields[48] = host48
        reply.fields[37] = self._rrn()
        reply.fields = dict(sorted(reply.fields.items()))
        self.ledger.add_settlement(term.tid, batch, f48, host48, flag)
        if batch == term.batch:
            self.ledger.advance_batch(term.tid)
        reply.note = f"settled batch {batch:06d} flag {flag}"
        return reply

    # ------------------------------------------------------------ financial

    def financial(self, mti: str, req: dict[int, Value], body: bytes | None = None) -> Reply:
        term = self.ledger.terminal(_s(req, 41))
        if term is None or term.mid != _s(req, 42):
            reply = self._financial_reply(mti, req, "58", None)
            reply.note = "unknown terminal"
            return reply
        mac = req.get(64)
        if term.mak is None or not isinstance(mac, bytes):
            return self._a0(mti, req, "terminal not signed in" if term.mak is None else "no F64")
        if body is None:
            body = pack(mti, req)
        if crypto.unionpay_mac(term.mak, mac_block(body)) != mac:
            return self._a0(mti, req, "MAC does not verify")
        try:
            if mti == "0400":
                return self.reverse(req, term)
            kind_fields = FINANCIAL.get((mti, _s(req, 3)))
            if kind_fields is None:
                return self._financial_reply(mti, req, "12", term)
            kind, required = kind_fields
            missing = [n for n in required if n not in req]
            if missing:
                raise FormatError(f"missing fields {missing}")
            with_pin = pin_entered(req)
            batch = parse_batch(_s(req, 60))
            voucher = _s(req, 11)
            if self.ledger.txn(term.tid, batch, voucher) is not None:
                reply = self._financial_reply(mti, req, "94", term)
                reply.note = f"F11 {voucher} already seen in batch {batch:06d}"
                return reply
            refused = self._check_pin(kind, req, term, with_pin)
            if refused is not None:
                return self._pin_refused(mti, req, term, batch, voucher, kind, *refused)
            handler = getattr(self, f"_{kind}")
            reply = handler(mti, req, term, batch, voucher)
            if with_pin and card_pin(_s(req, 2)) is not None:
                reply.note = f"PIN ok; {reply.note}" if reply.note else "PIN ok"
            return reply
        except FormatError as e:
            reply = self._financial_reply(mti, req, "30", term)
            reply.note = str(e)
            return reply

    def _check_pin(
        self, kind: str, req: dict[int, Value], term: Terminal, with_pin: bool
    ) -> tuple[str, str] | None:
        """None when the request may go on to the issuer's decision, else (55 or 75, why).

        A card without a PIN: nothing to check (a PIN block sent for it is ignored). A card
        with one: no PIN on a pre-auth or completion is 55 (voids need none); a PIN on a
        locked card is 75; else the block is decrypted under the PIK of the terminal's last
        sign-in and compared: right resets the card's count, wrong (or a block that is not
        format 0) counts one more, 55, and the MAX_PIN_TRIES-th in a row locks it, 75.
        """
        pan = _s(req, 2)
        pin = card_pin(pan)
        if pin is None:
            return None
        if not with_pin:
            return ("55", "PIN required") if kind in PIN_REQUIRED else None
        if self.ledger.pin_state(pan)[1]:
            return "75", "PIN locked"
        f52 = req[52]
        entered = (crypto.pin_from_block(term.pik, f52, pan)
                   if term.pik is not None and isinstance(f52, bytes) else None)
        if entered is not None and hmac.compare_digest(entered, pin):
            self.ledger.pin_right(pan)
            return None
        wrong, locked = self.ledger.pin_wrong(pan, MAX_PIN_TRIES)
        what = "wrong PIN" if entered is not None else "PIN block not format 0"
        if locked:
            return "75", f"{what}, {wrong} in a row: PIN locked"
        return "55", f"{what}, {wrong} in a row"

    def _pin_refused(
        self, mti: str, req: dict[int, Value], term: Terminal, batch: int, voucher: str,
        kind: str, rc: str, why: str,
    ) -> Reply:
        """A 55/75: in the voucher register like any decline (a reversal finds it), no
        hold, nothing else changes."""
        self.ledger.add_txn(term.tid, batch, voucher, mti, _s(req, 3), kind, int(_s(req, 4)),
                            rc)
        reply = self._financial_reply(mti, req, rc, term)
        reply.note = why
        return reply

    def _a0(self, mti: str, req: dict[int, Value], why: str) -> Reply:
        reply = self._financial_reply(mti, req, "A0", None)
        reply.note = why
        return reply

    def _preauth(
        self, mti: str, req: dict[int, Value], term: Terminal, batch: int, voucher: str
    ) -> Reply:
        pan, expiry, amount = _s(req, 2), _s(req, 14), int(_s(req, 4))
        t35 = _s(req, 35)
        if t35 and t35.split("D")[0] != pan:
            raise FormatError("field 35 PAN differs from field 2")
        yymm = time.strftime("%y%m", self.clock())
        rc = preauth_decision(pan, expiry, amount, yymm, self.amount_limit)
        rrn = self._rrn()
        _, host_date = self._time_fields()
        code = None
        hold_id = None
        if rc == "00":
            code = self._auth_code()
            hold_id = self.ledger.add_hold(
                term.tid, term.mid, batch, voucher, pan, expiry, amount, code, rrn, host_date
            )
        self.ledger.add_txn(term.tid, batch, voucher, mti, "030000", "preauth", amount, rc,
                            hold_id=hold_id)
        reply = self._financial_reply(mti, req, rc, term, auth_code=code, rrn=rrn)
        reply.fields[13] = host_date
        return reply

    def _find_hold(self, req: dict[int, Value], term: Terminal, orig: Orig):
        pan, code = _s(req, 2), _s(req, 38).rstrip()
        if orig.keyed:
            rows = self.ledger.holds_keyed(term.mid, code, pan, orig.date)
            return rows[0] if rows else None
        hold = self.ledger.hold_by_voucher(term.tid, orig.batch, orig.voucher)
        if hold is None or (hold["pan"], hold["auth_code"], hold["host_date"]) != (
            pan, code, orig.date,
        ):
            return None
        return hold

    def _void(
        self, mti: str, req: dict[int, Value], term: Terminal, batch: int, voucher: str
    ) -> Reply:
        orig = parse_61(_s(req, 61))
        amount = int(_s(req, 4))
        hold = self._find_hold(req, term, orig)
        if hold is None or hold["state"] == "reversed":
            rc = "25"
        elif hold["state"] != "open":
            rc = "12"
        elif hold["amount"] != amount:
            rc = "64"
        else:
            rc = "00"
            self.ledger.set_hold_state(hold["id"], "voided")
        self.ledger.add_txn(term.tid, batch, voucher, mti, "200000", "void", amount, rc,
                            hold_id=hold["id"] if hold is not None else None)
        reply = self._financial_reply(mti, req, rc, term)
        reply.note = f"hold #{hold['id']}" if hold is not None else "no hold"
        return reply

    def _completion(
        self, mti: str, req: dict[int, Value], term: Terminal, batch: int, voucher: str
    ) -> Reply:
        orig = parse_61(_s(req, 61))
        amount = int(_s(req, 4))
        hold = self._find_hold(req, term, orig)
        completion_id = None
        rrn = self._rrn()
        _, host_date = self._time_fields()
        if hold is None or hold["state"] == "reversed":
            rc = "25"
        elif hold["state"] != "open":
            rc = "12"
        elif amount <= 0 or amount > hold["amount"] * COMPLETION_TOLERANCE:
            rc = "13"
        else:
            rc = "00"
            self.ledger.set_hold_state(hold["id"], "completed")
            completion_id = self.ledger.add_completion(
                hold["id"], term.tid, batch, voucher, hold["pan"], amount, hold["auth_code"],
                rrn, host_date,
            )
        self.ledger.add_txn(term.tid, batch, voucher, mti, "000000", "completion", amount, rc,
                            hold_id=hold["id"] if hold is not None else None,
                            completion_id=completion_id)
        reply = self._financial_reply(mti, req, rc, term, rrn=rrn)
        reply.fields[13] = host_date
        return reply

    def _completion_void(
        self, mti: str, req: dict[int, Value], term: Terminal, batch: int, voucher: str
    ) -> Reply:
        orig = parse_61(_s(req, 61))
        amount = int(_s(req, 4))
        pan, code, rrn = _s(req, 2), _s(req, 38).rstrip(), _s(req, 37)
        if orig.keyed:
            comp = self.ledger.completion_keyed(term.tid, rrn, code, pan, orig.date)
        else:
            comp = self.ledger.completion_by_voucher(term.tid, orig.batch, orig.voucher)
            if comp is not None and (comp["pan"], comp["auth_code"], comp["rrn"],
                                     comp["host_date"]) != (pan, code, rrn, orig.date):
                comp = None
        if comp is None or comp["state"] == "reversed":
            rc = "25"
        elif comp["state"] != "standing":
            rc = "12"
        elif comp["amount"] != amount:
            rc = "64"
        else:
            rc = "00"
            self.ledger.set_completion_state(comp["id"], "voided")
            self.ledger.set_hold_state(comp["hold_id"], "completion_voided")
        self.ledger.add_txn(term.tid, batch, voucher, mti, "200000", "completion_void", amount,
                            rc, hold_id=comp["hold_id"] if comp is not None else None,
                            completion_id=comp["id"] if comp is not None else None)
        return self._financial_reply(mti, req, rc, term)

    # ------------------------------------------------------------ reversal

    def reverse(self, req: dict[int, Value], term: Terminal) -> Reply:
        missing = [n for n in REVERSAL_FIELDS if n not in req]
        if missing:
            raise FormatError(f"missing fields {missing}")
        batch = parse_batch(_s(req, 60))
        voucher = _s(req, 11)
        txn = self.ledger.txn(term.tid, batch, voucher)
        reason = _s(req, 39) or None
        if txn is None:
            rc, outcome, txn_id = "25", "not found", None
        elif txn["reversed"]:
            rc, outcome, txn_id = "00", "repeat", txn["id"]
        else:
            rc, txn_id = "00", txn["id"]
            outcome = self._undo(txn)
            self.ledger.mark_txn_reversed(txn["id"])
        self.ledger.add_reversal(term.tid, batch, voucher, _s(req, 3) or None, reason, txn_id,
                                 outcome, rc)
        # The reversal's own 39 is its reason; the answer's 39 replaces it.
        reply = self._financial_reply("0400", req, rc, term)
        reply.note = f"reversal {outcome}"
        return reply

    def _undo(self, txn) -> str:
        kind = txn["kind"]
        if txn["rc"] != "00":
            return f"{kind} was declined {txn['rc']}: nothing to undo"
        hold_id, comp_id = txn["hold_id"], txn["completion_id"]
        hold = self.ledger.hold(hold_id) if hold_id else None
        state = hold["state"] if hold is not None else None
        if kind == "preauth":
            if state == "open":
                self.ledger.set_hold_state(hold_id, "reversed")
                return "pre-auth reversed, hold released"
            return f"pre-auth reversed (hold was {state}, left as is)"
        if kind == "void":
            if state == "voided":
                self.ledger.set_hold_state(hold_id, "open")
                return "void reversed, hold re-opened"
            return f"void reversed (hold was {state}, left as is)"
        if kind == "completion":
            self.ledger.set_completion_state(comp_id, "reversed")
            if state == "completed":
                self.ledger.set_hold_state(hold_id, "open")
            return "completion reversed, hold re-opened"
        if kind == "completion_void":
            self.ledger.set_completion_state(comp_id, "standing")
            if state == "completion_voided":
                self.ledger.set_hold_state(hold_id, "completed")
            return "completion void reversed, completion stands again"
        log.warning("reversal of unknown kind %s", kind)
        return "nothing to undo"
