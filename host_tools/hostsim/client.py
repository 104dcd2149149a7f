"""A small blocking terminal-side client for tests and manual poking at the simulator.

It builds requests with ``spec`` + ``crypto`` exactly as wire-format.md §3 lists them; it is
not the firmware, just enough of a terminal to drive the host. Like the terminal it speaks
TLS 1.2 by default, trusting the test PKI's CA (tls.py); ``tls=False`` for a simulator
started with ``--plain``.

Like a cardholder who knows the test cards' PINs, it enters the card's PIN (cards.py
``CARD_PINS``) in a pre-auth or completion unless told otherwise (``pin=None``: no PIN,
``pin="1234"``: that PIN), and none in a void (UnionPay practice, wire-format §8).
"""

from __future__ import annotations

import socket
import ssl
import struct
from dataclasses import dataclass, field
from pathlib import Path

from . import crypto
from .cards import card_pin
from .ledger import DEFAULT_MID, DEFAULT_TID, DEFAULT_TMK
from .spec import Header, Tpdu, Value, frame, mac_block, pack, split_frame, unpack

CARD_PIN = "card"  # pin= default: the test card's own PIN where the transaction asks for one
ASKS_FOR_PIN = ("030000", "000000")  # F3 of the transactions that ask (pre-auth, completion)


class NoAnswer(Exception):
    """Timeout or connection closed before a whole frame arrived."""


@dataclass
class Response:
    tpdu: Tpdu
    header: Header
    mti: str
    fields: dict[int, Value]
    body: bytes

    @property
    def rc(self) -> str:
        return str(self.fields.get(39, ""))

    def mac_ok(self, mak: bytes) -> bool:
        mac = self.fields.get(64)
        return isinstance(mac, bytes) and crypto.unionpay_mac(mak, mac_block(self.body)) == mac


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except TimeoutError:
            raise NoAnswer("timeout") from None
        except ssl.SSLError as e:  # an alert, a bad record: the answer never comes
            raise NoAnswer(f"TLS: {e}") from None
        if not chunk:
            raise NoAnswer(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


@dataclass
class PosClient:
    host: str
    port: int
    tid: str = DEFAULT_TID
    mid: str = DEFAULT_MID
    tmk: bytes = bytes.fromhex(DEFAULT_TMK)
    timeout: float = 5.0
    batch: int = 0
    voucher: int = 0
    pik: bytes | None = None
    mak: bytes | None = None
    sock: socket.socket | None = field(default=None, repr=False)
    tls: bool = True
    ca: Path | None = None  # the CA to trust (PEM or DER); None: the test PKI's
    server_name: str | None = None  # the name checked in the certificate; None: host

    def connect(self) -> PosClient:
        """Connect, and with ``tls`` complete the TLS handshake (ssl.SSLError, e.g.
        ssl.SSLCertVerificationError, when it fails)."""
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.tls:
            from .tls import client_context, test_pki

            try:
                ctx = client_context(self.ca if self.ca is not None else test_pki().ca_pem)
                sock = ctx.wrap_socket(sock, server_hostname=self.server_name or self.host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        return self

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self) -> PosClient:
        return self.connect() if self.sock is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- raw I/O

    def send_raw(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def recv_raw_frame(self) -> bytes:
        """One LEN-less frame."""
        assert self.sock is not None
        (length,) = struct.unpack(">H", _recv_exactly(self.sock, 2))
        return _recv_exactly(self.sock, length)

    def recv(self) -> Response:
        tpdu, header, body = split_frame(self.recv_raw_frame())
        mti, fields = unpack(body)
        return Response(tpdu, header, mti, fields, body)

    def encode(self, mti: str, fields: dict[int, Value], mac: bool) -> bytes:
        if mac:
            assert self.mak is not None, "sign in first"
            body = pack(mti, {**fields, 64: b"\0" * 8})
            body = body[:-8] + crypto.unionpay_mac(self.mak, mac_block(body))
        else:
            body = pack(mti, fields)
        return frame(body, Tpdu(), Header(software="000100"))

    def request(self, mti: str, fields: dict[int, Value], mac: bool | None = None) -> Response:
        if mac is None:
            mac = mti in ("0100", "0200", "0400")
        self.send_raw(self.encode(mti, fields, mac))
        return self.recv()

    # ------------------------------------------------------------ messages

    def next_voucher(self) -> str:
        self.voucher = self.voucher % 999_999 + 1
        return f"{self.voucher:06d}"

    def f60(self, txn_type: str, network: str = "000", financial: bool = True) -> str:
        base = f"{txn_type}{self.batch:06d}{network}"
        return base + "00" if financial else base

    def sign_in(self) -> Response:
        resp = self.request("0800", {
            11: self.next_voucher(), 41: self.tid, 42: self.mid,
            60: self.f60("00", "003", financial=False), 63: "001",
        })
        if resp.rc == "00":
            f62 = resp.fields[62]
            assert isinstance(f62, bytes)
            pik = crypto.tdes_ecb_decrypt(self.tmk, f62[:16])
            mak = crypto.tdes_ecb_decrypt(self.tmk, f62[20:36])[:8]
            if crypto.kcv(pik) != f62[16:20] or crypto.kcv(mak) != f62[36:40]:
                raise ValueError("working key check values do not match")
            self.pik, self.mak = pik, mak
            self.batch = int(str(resp.fields[60])[2:8])
        return resp

    def pin_fields(self, pan: str, pin: str) -> dict[int, Value]:
        """26, 52 and 53 for a PIN entered on the keypad (wire-format §8), under the PIK of
        the last sign-in."""
        assert self.pik is not None, "sign in first"
        return {26: "12", 52: crypto.pin_block(self.pik, pin, pan), 53: "2600000000000000"}

    def financial_fields(
        self, txn_type: str, proc: str, pan: str, amount: int, expiry: str = "2812",
        voucher: str | None = None, track2: bool = False, pin: str | None = CARD_PIN,
    ) -> dict[int, Value]:
        """A reversible request's fields in field order; ``pin``: see the module's doc."""
        if pin == CARD_PIN:
            pin = card_pin(pan) if proc in ASKS_FOR_PIN else None
        f: dict[int, Value] = {
            2: pan, 3: proc, 4: f"{amount:012d}", 11: voucher or self.next_voucher(),
            14: expiry, 22: ("02" if track2 else "01") + ("1" if pin else "2"), 25: "06",
            41: self.tid, 42: self.mid, 49: "156", 60: self.f60(txn_type),
        }
        if track2:
            f[35] = f"{pan}D{expiry}2010000000000"
        if pin:
            f.update(self.pin_fields(pan, pin))
        return dict(sorted(f.items()))

    def preauth(self, pan: str, amount: int, **kw: object) -> tuple[dict[int, Value], Response]:
        req = self.financial_fields("10", "030000", pan, amount, **kw)  # type: ignore[arg-type]
        return req, self.request("0100", req)

    def void(
        self, pan: str, amount: int, auth_code: str, orig_batch: int, orig_voucher: str,
        orig_date: str, **kw: object,
    ) -> tuple[dict[int, Value], Response]:
        req = self.financial_fields("11", "200000", pan, amount, **kw)  # type: ignore[arg-type]
        req[38] = auth_code
        req[61] = f"{orig_batch:06d}{orig_voucher}{orig_date}"
        return req, self.request("0100", dict(sorted(req.items())))

    def reversal(
        self, original: dict[int, Value], reason: str = "98", auth_code: str | None = None
    ) -> Response:
        req = {k: v for k, v in original.items() if k not in (26, 35, 52, 53, 64)}
        req[39] = reason
        if auth_code:
            req[38] = auth_code
        return self.request("0400", dict(sorted(req.items())))
