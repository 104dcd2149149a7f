"""`make run`: the host simulator and a terminal on the unix port, in one window.

The simulator's ledger lives in .sim/host.db (log .sim/host.log); the terminal's flash,
config, printer output and log in .sim/terminal/; every receipt is also saved as
.sim/receipts/NNNN.txt. All of it survives between runs.

With --host and --port the terminal talks to that host (an integrator's, a test host
elsewhere) and no simulator is started; without them, to a host simulator started here
(.sim/host.db, .sim/host.log).

TLS: the simulator serves TLS 1.2 with the test PKI it keeps in .sim/pki (an EC P-256 CA
and a certificate for 127.0.0.1 and localhost), and the terminal gets that CA as
.sim/terminal/ca.der. Another host needs its CA: --ca FILE (PEM or DER), and
--server-name NAME when its certificate names it otherwise than --host. --plain: plain
TCP on both sides (card data in clear), for a host without TLS.

On a terminal (a TTY) this opens the interactive view (host_tools/tui.py). Otherwise (CI,
a pipe), or with --script, it runs without a keyboard: it plays the script, waits until
--until TEXT shows (if given) and the screen and printer settle, prints the screen and
the receipts, and exits; non-zero when the terminal died or --until did not show.

Script tokens (space-separated; quote a token with spaces):
  ENTER CANCEL CLEAR UP DOWN FUNC    press that key
  wait:TEXT                          wait until the screen shows TEXT
  sleep:SECONDS                      pause
  swipe / swipe:PAN:YYMM             swipe the approving test card / another card
  card:RC                            swipe the test card the simulator answers RC
                                     (00 approves; 01 05 14 51 54 61 96 decline)
  host:down / host:up                stop the host simulator (connections refused) /
                                     start it again on the same port
  paper:out / paper:in               take the paper out / put it back
  screen                             print the screen now
  anything else                      typed key by key (digits and letters)

The first key or card of a script waits (at most --timeout) until the terminal takes
keys: the main menu, once the boot's sign-in is over (keys pressed during it are
discarded), or the boot's 上笔交易成功 (a slip that never printed: ENTER prints it,
CANCEL goes to the menu), which comes before the menu. wait:, sleep:, host: and paper:
tokens before it run at once.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from . import frozen_unix
from .hostsim.process import HostProcess
from .simctl import DEFAULT_CARD, KEY_NAMES, ControlError, Runtime, SimTerminal, TerminalDied
from .tui import Tui, card_for, host_switch, save_receipts

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / ".sim"


def provision(term_dir: Path, port: int, host: str = "127.0.0.1", ca: Path | None = None,
              server_name: str = "", plain: bool = False) -> None:
    """Point the simulator terminal at this run's host, keeping any other settings: TLS
    with `ca` (default the test PKI's CA, which the simulator serves) installed as its
    tls_ca, or plain TCP."""
    term_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = term_dir / "config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    cfg["host"], cfg["port"] = host, port
    cfg["tls"] = not plain
    if server_name:
        cfg["tls_server_name"] = server_name
    else:
        cfg.pop("tls_server_name", None)
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=1))
    if not plain:
        SimTerminal(term_dir, ca=ca).install_ca(cfg.get("tls_ca", "ca.der"))


def print_screen(term: SimTerminal, mode: str) -> None:
    s = term.screen()
    print(f"---- screen (seq {s.seq})")
    print(s.render(mode))
    print("\n".join(s.lines))


def play(term: SimTerminal, script: str, mode: str, host: HostProcess | None = None,
         timeout: float = 60.0) -> None:
    """Play the script. Its first key or card waits until the terminal takes keys (the
    main menu, after the boot's sign-in, which discards keys): at most `timeout` s."""
    ready = False
    for tok in shlex.split(script):
        word, _, arg = tok.partition(":")
        if not ready and (word not in ("wait", "sleep", "host", "paper") and tok != "screen"):
            term.wait_ready(timeout)
            ready = True
        if tok.upper() in KEY_NAMES:
            term.press(tok.upper())
        elif word == "wait" and arg:
            term.wait_for(arg, timeout=30)
        elif word == "sleep" and arg:
            time.sleep(float(arg))
        elif word == "swipe":
            pan, _, exp = arg.partition(":")
            term.swipe(pan, exp) if pan and exp else term.swipe(*DEFAULT_CARD)
        elif word == "card" and arg:
            term.swipe(*card_for(arg))
        elif word == "host" and arg in ("up", "down"):
            print(host_switch(host, arg == "up"))
        elif word == "paper" and arg in ("in", "out"):
            term.set_paper(arg == "in")
        elif tok == "screen":
            print_screen(term, mode)
        else:
            term.type(tok)


def settle(term: SimTerminal, quiet: float, limit: float) -> None:
    """Wait until neither the screen nor the printer has changed for `quiet` seconds (at
    most `limit`): a receipt often prints after the screen says 交易成功."""
    deadline = time.monotonic() + limit
    seq, printed = term.screen().seq, term.printed_bytes()
    still_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - still_since < quiet:
        s = term.wait_screen(seq, 0.25)
        if (s.seq, term.printed_bytes()) != (seq, printed):
            seq, printed = s.seq, term.printed_bytes()
            still_since = time.monotonic()


def batch(term: SimTerminal, args: argparse.Namespace, receipts_dir: Path,
          host: HostProcess | None = None) -> int:
    """No keyboard: play the script, wait, print what the terminal shows and printed."""
    try:
        play(term, args.script or "", args.display, host, args.timeout)
        if args.until:
            term.wait_for(args.until, timeout=args.timeout)
        settle(term, args.settle, args.timeout)
        print_screen(term, args.display)
    except AssertionError as e:
        print(e)
        return 1
    except (TerminalDied, ControlError, TimeoutError, KeyError) as e:
        print(f"terminal: {e}\n---- {_rel(term.log_path)} (tail)")
        print("\n".join(term.log_text().splitlines()[-20:]))
        return 1
    receipts = term.receipts()
    for p in save_receipts(receipts, receipts_dir):
        print(f"---- receipt {_rel(p)}\n{p.read_text()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="make run", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--script", help="keys and actions to play (implies no interactive view)")
    ap.add_argument("--until", help="without a keyboard: wait for this text, then exit")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="without a keyboard: exit once screen and printer are still this long")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--display", default="auto", choices=["auto", "half", "quad", "braille"],
                    help="how the 128x64 display is drawn")
    ap.add_argument("--main", type=Path, help="firmware entry point (default firmware/main.py)")
    ap.add_argument("--heapsize", help="MicroPython heap, e.g. 128k (the ESP32's is ~110k)")
    ap.add_argument("--frozen", action="store_true",
                    help="run on the device-like interpreter (make frozen): 32-bit, the "
                         "firmware frozen in, a 64 KB heap unless --heapsize says otherwise")
    ap.add_argument("--host", help="talk to this host instead of starting the simulator "
                    "(with --port)")
    ap.add_argument("--port", type=int, help="the host's port (with --host)")
    ap.add_argument("--ca", type=Path, help="with --host: the host's CA certificate (PEM or "
                    "DER), which the terminal trusts for TLS")
    ap.add_argument("--server-name", default="", help="with --host: the name the host's "
                    "certificate carries, when not --host itself")
    ap.add_argument("--plain", action="store_true",
                    help="plain TCP, no TLS (the simulator too): card data in clear")
    ap.add_argument("--sim", type=Path, default=SIM,
                    help="state folder: host.db, terminal/, receipts/ (default .sim)")
    args = ap.parse_args(argv)

    runtime = None
    if args.frozen:
        why = frozen_unix.stale()
        if why:
            print(f"make run --frozen: {why}; `make frozen MICROPY_DIR=...` builds it")
            return 2
        runtime = Runtime.frozen()
    if (args.host is None) != (args.port is None):
        ap.error("--host and --port go together")
    if args.port is not None and not 0 < args.port < 65536:
        ap.error(f"--port {args.port}: not a TCP port")
    if args.plain and (args.ca or args.server_name):
        ap.error("--plain: no TLS, so no --ca or --server-name")
    if args.host and not args.plain and args.ca is None:
        ap.error("--host: give the host's CA certificate (--ca FILE) for TLS, or --plain "
                 "for a host without TLS")
    if not args.host and (args.ca or args.server_name):
        ap.error("--ca and --server-name are for another host (--host): the simulator's "
                 "CA is installed by itself")
    if args.ca is not None and not args.ca.is_file():
        ap.error(f"--ca {args.ca}: no such file")
    sim = args.sim.resolve()
    sim.mkdir(parents=True, exist_ok=True)
    term_dir = sim / "terminal"
    host = None if args.host else HostProcess(sim / "host.db",
                                              *(["--plain"] if args.plain else []))
    tls = "plain TCP" if args.plain else "TLS"
    try:
        if host is None:
            provision(term_dir, args.port, args.host, args.ca, args.server_name, args.plain)
            info = f"host {args.host}:{args.port} (external, {tls})"
        else:
            provision(term_dir, host.start(), plain=args.plain)
            info = f"host 127.0.0.1:{host.port} ({tls})"
        code = _run_terminal(args, runtime, sim, term_dir, host,
                             info + (" · frozen 32-bit" if runtime else ""))
    finally:
        if host is not None:
            host.stop()
    logs = ([_rel(sim / "host.log")] if host else []) + [_rel(term_dir / "terminal.log")]
    print(f"receipts: {_rel(sim / 'receipts')}/   logs: {' '.join(logs)}")
    return code


def _run_terminal(args: argparse.Namespace, runtime: Runtime | None, sim: Path,
                  term_dir: Path, host: HostProcess | None, info: str) -> int:
    term = SimTerminal(term_dir, main=args.main, heapsize=args.heapsize, runtime=runtime)
    try:
        term.start()
    except (TerminalDied, TimeoutError) as e:
        print(e)
        return 1
    try:
        if args.script is None and args.until is None \
                and sys.stdin.isatty() and sys.stdout.isatty():
            Tui(term, sim / "receipts", args.display, info, host).run()
            return 0
        logs = ([_rel(sim / "host.log")] if host else []) + [_rel(term.log_path)]
        print(f"{info}; logs {' '.join(logs)}")
        return batch(term, args, sim / "receipts", host)
    finally:
        term.stop()


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


if __name__ == "__main__":
    sys.exit(main())
