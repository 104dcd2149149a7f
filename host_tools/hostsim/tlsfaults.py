"""Hosts the terminal must not trust: every way a TLS connection to the acquirer can fail,
made on loopback for the integration tests (tests/integration/test_tls.py) and the host
fault matrix (host_tools/campaign/faults.py).

Each fault (``TLS_FAULTS``) has how its host is made, the reason the terminal logs
(mbedTLS's words, as a regex on the line "connection not trusted, nothing sent: ...") and
whether the screen adds 请核对终端时间 (the certificate's dates: the terminal's clock may
be wrong). ``BadHost`` makes one: a host simulator that is no TLS host (``--plain``) or
serves a certificate made here (another CA's, expired, not yet valid, another name), the
real host behind a pin the terminal does not have, or a relay (host_tools/hostsim/relay.py)
that cuts the real host's handshake after 40 bytes or accepts and never answers. A relay
stands in front of every kind: what crossed the wire is in ``.relay.to_host``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .process import HostProcess
from .relay import Relay
from .tls import Pki, cert_sha256, make_server_cert, test_pki

DAY = dt.timedelta(days=1)
CUT_AFTER = 40  # bytes of the host's handshake that reach the terminal (handshake_cut)
UNTRUSTED = "主机连接不可信"  # the screen's line (host_tools/strings_table.py "untrusted")
CHECK_CLOCK = "请核对终端时间"  # "check_clock"
LOG_LINE = "connection not trusted, nothing sent:"  # firmware/host/session.py


@dataclass(frozen=True)
class TlsFault:
    name: str
    how: str  # plain | cert | pin | cut | silent
    reason: str  # regex: the terminal log's reason
    clock: bool  # the screen says 请核对终端时间
    what: str  # one line for reports and docs


TLS_FAULTS: dict[str, TlsFault] = {f.name: f for f in (
    TlsFault("plain_host", "plain", r"CONN_EOF|socket error|reset", False,
             "a host without TLS (hostsim --plain)"),
    TlsFault("other_ca", "cert", r"not correctly signed by the trusted CA", False,
             "a certificate of another CA"),
    TlsFault("expired", "cert", r"validity has expired", True,
             "an expired certificate"),
    TlsFault("not_yet_valid", "cert", r"validity starts in the future", True,
             "a certificate not yet valid"),
    TlsFault("wrong_name", "cert", r"Common Name \(CN\) does not match", False,
             "a certificate for another host name"),
    TlsFault("pin_mismatch", "pin", r"does not match the pinned SHA-256", False,
             "a certificate other than the pinned one"),
    TlsFault("handshake_cut", "cut", r"CONN_EOF|socket error|reset", False,
             f"the handshake cut after {CUT_AFTER} bytes of the host's"),
    TlsFault("silent_host", "silent", r"TLS handshake: no answer in time", False,
             "a host that accepts the connection and never answers"),
)}


def fault_cert(name: str, folder: Path, now: dt.datetime | None = None) -> Pki:
    """The server certificate of a ``cert`` fault (or of ``pin_mismatch`` against a terminal
    that pins the test PKI's server certificate: another certificate of the same CA, for
    the same names), in ``folder``."""
    now = now or dt.datetime.now(dt.UTC)
    pki = test_pki()
    if name == "other_ca":
        return make_server_cert(folder, None)
    if name == "expired":
        return make_server_cert(folder, pki, not_before=now - 30 * DAY, not_after=now - DAY)
    if name == "not_yet_valid":
        return make_server_cert(folder, pki, not_before=now + DAY, not_after=now + 30 * DAY)
    if name == "wrong_name":
        return make_server_cert(folder, pki, names=("other.example",))
    if name == "pin_mismatch":
        return make_server_cert(folder, pki)
    raise ValueError(f"{name} is not a certificate fault")


def good_pin() -> str:
    """tls_pin for a terminal that pins the host simulator's own certificate."""
    return cert_sha256(test_pki())


def wrong_pin() -> str:
    """tls_pin naming a certificate the host simulator does not have (one bit off)."""
    return "%064x" % (int(good_pin(), 16) ^ 1)


class BadHost:
    """The host of one fault, with a relay in front listening on ``port`` (0: any free
    one; ``.port`` says which): point the terminal there, with ``.config`` added to its
    configuration. ``good_port``: the real host (TLS, the test PKI), for ``pin_mismatch``
    and ``handshake_cut``; None starts one of its own on ``db``. ``db``: the ledger of
    the host simulators started here (default ``folder/<name>.db``). ``pinned``: the
    terminal already pins the real host's certificate (``good_pin()``), so
    ``pin_mismatch`` serves another certificate of the same CA instead of asking for a
    wrong pin. ``close()`` stops all of it."""

    def __init__(self, name: str, folder: Path, good_port: int | None = None, *,
                 db: Path | None = None, port: int = 0, pinned: bool = False) -> None:
        self.fault = TLS_FAULTS[name]
        self.name = name
        self.folder = Path(folder)
        self.db = Path(db) if db is not None else self.folder / f"{name}.db"
        self.config: dict[str, str] = {}
        self.procs: list[HostProcess] = []
        how = self.fault.how
        target: int | None = None
        try:
            if how == "plain":
                target = self._start("--plain")
            elif how == "cert" or (how == "pin" and pinned):
                cert = fault_cert(name, self.folder / name)
                target = self._start("--tls-dir", str(cert.folder))
            elif how in ("pin", "cut"):
                target = good_port if good_port is not None else self._start()
                if how == "pin":
                    self.config = {"tls_pin": wrong_pin()}
            self.relay = Relay(target, cut_after=CUT_AFTER if how == "cut" else None,
                               port=port).__enter__()
        except BaseException:
            self._stop_procs()
            raise
        self.port = self.relay.port

    def _start(self, *args: str) -> int:
        proc = HostProcess(self.db, *args)
        self.procs.append(proc)
        return proc.start()

    def _stop_procs(self) -> None:
        for p in self.procs:  # kept in the list: they say whether db was served
            p.stop()

    def close(self) -> None:
        self.relay.close()
        self._stop_procs()

    def __enter__(self) -> BadHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
