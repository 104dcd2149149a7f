"""python -m host_tools.hostsim: run the acquirer host simulator (see docs/host-simulator.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
import sys
from pathlib import Path

from .acquirer import Acquirer
from .cards import DEFAULT_AMOUNT_LIMIT
from .faults import DEFAULT_DELAY, KINDS, normalise
from .ledger import Ledger
from .server import HANDSHAKE_TIMEOUT, HostSim
from .tls import PKI_DIR, Pki, cert_sha256, server_context, test_pki


def terminal_arg(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    if len(parts) != 3 or len(parts[0]) != 8 or len(parts[1]) != 15 or len(parts[2]) != 32:
        raise argparse.ArgumentTypeError("expected TID(8):MID(15):TMK(32 hex digits)")
    try:
        bytes.fromhex(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError("TMK is not hex") from None
    return parts[0], parts[1], parts[2].upper()


def fault_arg(text: str) -> str:
    try:
        return normalise(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m host_tools.hostsim",
        description="UnionPay-style acquirer host simulator (wire-format.md).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=5000, help="TCP port; 0 picks a free one (5000)")
    p.add_argument("--db", default=".sim/host.db", help="SQLite ledger (.sim/host.db)")
    p.add_argument("--terminal", action="append", type=terminal_arg, default=[],
                   metavar="TID:MID:TMKHEX", help="add or update a terminal (repeatable)")
    p.add_argument("--fault", type=fault_arg, metavar="KIND",
                   help="spoil every answer this way: " + ", ".join(KINDS))
    p.add_argument("--delay", type=float, default=DEFAULT_DELAY,
                   help=f"seconds for the delay fault ({DEFAULT_DELAY:g})")
    p.add_argument("--amount-limit", type=int, default=DEFAULT_AMOUNT_LIMIT,
                   help=f"pre-auths above this many fen are declined 61 ({DEFAULT_AMOUNT_LIMIT})")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--tls-dir", type=Path, metavar="DIR",
                     help="serve TLS 1.2 with DIR/server.pem and DIR/server.key (default: "
                          f"the test PKI in {PKI_DIR.relative_to(PKI_DIR.parents[1])}, "
                          "made when missing)")
    tls.add_argument("--plain", action="store_true", help="plain TCP, no TLS")
    p.add_argument("--handshake-timeout", type=float, default=HANDSHAKE_TIMEOUT, metavar="S",
                   help="seconds a client has for the TLS handshake "
                        f"({HANDSHAKE_TIMEOUT:g})")
    p.add_argument("--log-file", help="also write the log to this file")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="debug level: every decoded field (PAN masked)")
    return p


def setup_logging(log_file: str | None, verbose: bool) -> None:
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    root = logging.getLogger("hostsim")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        fh = logging.FileHandler(log_file)
        fh.setLevel(logging.DEBUG)
        handlers.append(fh)
        root.setLevel(logging.DEBUG)
        handlers[0].setLevel(logging.DEBUG if verbose else logging.INFO)
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)


def tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The server's TLS context (None with --plain); says in the log what it serves."""
    log = logging.getLogger("hostsim")
    if args.plain:
        log.info("TLS off (--plain): plain TCP")
        return None
    pki = test_pki() if args.tls_dir is None else Pki.at(args.tls_dir)
    try:
        ctx = server_context(pki)
        pin = cert_sha256(pki)
    except (OSError, ValueError) as e:
        raise SystemExit(f"hostsim: no TLS with {pki.folder}: {e}") from None
    log.info("TLS 1.2 on: certificate %s (SHA-256 %s), CA %s", pki.cert, pin, pki.ca_der)
    return ctx


async def run(args: argparse.Namespace) -> None:
    ctx = tls_context(args)
    ledger = Ledger(args.db)
    ledger.seed_default()
    for tid, mid, tmk in args.terminal:
        ledger.add_terminal(tid, mid, tmk)
    sim = HostSim(ledger, Acquirer(ledger, amount_limit=args.amount_limit),
                  run_fault=args.fault, run_delay=args.delay, ssl_context=ctx,
                  handshake_timeout=args.handshake_timeout)
    host, port = await sim.start(args.host, args.port)
    print(f"hostsim listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sim.close()
    ledger.close()


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    setup_logging(args.log_file, args.verbose)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
