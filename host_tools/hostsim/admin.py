"""python -m host_tools.hostsim.admin: look into the simulator's ledger, add or clear faults,
unlock cards' PINs.

    python -m host_tools.hostsim.admin --db .sim/host.db holds
    python -m host_tools.hostsim.admin --db .sim/host.db fault add delay --pan P --count 1
    python -m host_tools.hostsim.admin --db .sim/host.db pin reset --pan P
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .cards import MAX_PIN_TRIES
from .faults import KINDS, normalise
from .ledger import Ledger
from .server import mask_pan


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def show_holds(led: Ledger) -> str:
    rows = [(h["id"], h["tid"], f"{h['batch']:06d}", h["voucher"], mask_pan(h["pan"]),
             yuan(h["amount"]), h["auth_code"], h["rrn"], h["host_date"], h["state"])
            for h in led.holds()]
    return table(("#", "TID", "batch", "voucher", "PAN", "amount", "auth", "RRN", "date",
                  "state"), rows)


def show_reversals(led: Ledger) -> str:
    rows = [(r["id"], r["created"], r["tid"], f"{r['batch']:06d}", r["voucher"], r["proc"],
             r["reason"], r["rc"], r["outcome"]) for r in led.reversals()]
    return table(("#", "time", "TID", "batch", "voucher", "F3", "reason", "rc", "outcome"),
                 rows)


def show_terminals(led: Ledger) -> str:
    rows = [(t["tid"], t["mid"], f"{t['batch']:06d}", t["signed_in_at"] or "never")
            for t in led.terminals()]
    return table(("TID", "MID", "batch", "signed in"), rows)


def show_messages(led: Ledger, limit: int) -> str:
    rows = [(m["id"], m["ts"], m["direction"], m["mti"], m["proc"], m["stan"], m["amount"],
             m["rc"], m["tid"], m["peer"], m["note"]) for m in led.messages(limit)]
    return table(("#", "time", "dir", "MTI", "F3", "F11", "F4", "F39", "TID", "peer", "note"),
                 rows)


def show_faults(led: Ledger) -> str:
    rows = [(f["id"], f["kind"], f["pan"], f["amount"], f["mti"],
             "always" if f["remaining"] is None else f["remaining"], f["delay"])
            for f in led.faults()]
    return table(("#", "kind", "PAN", "amount", "MTI", "remaining", "delay"), rows)


def show_pins(led: Ledger) -> str:
    rows = [(mask_pan(p["pan"]), f"{p['wrong']}/{MAX_PIN_TRIES}",
             "locked" if p["locked"] else "", p["updated"]) for p in led.pin_tries()]
    return table(("PAN", "wrong", "state", "since"), rows)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m host_tools.hostsim.admin")
    p.add_argument("--db", default=".sim/host.db")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("holds", "reversals", "terminals"):
        sub.add_parser(name)
    m = sub.add_parser("messages")
    m.add_argument("--limit", type=int, default=50)
    f = sub.add_parser("fault")
    fsub = f.add_subparsers(dest="fcmd", required=True)
    width = max(map(len, KINDS))
    add = fsub.add_parser(
        "add", help="spoil the host's answers: kinds " + ", ".join(KINDS),
        description="Spoil the answers to the requests that match (every request, unless\n"
                    "--pan, --amount or --mti narrow it down). The host does the work\n"
                    "first; the fault changes only what the terminal receives.",
        epilog="fault kinds:\n" + "\n".join(f"  {k.ljust(width)}  {v}"
                                             for k, v in KINDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("kind", help="one of the fault kinds below")
    add.add_argument("--pan", help="only messages with this F2")
    add.add_argument("--amount", type=int, help="only messages with this F4, in fen")
    add.add_argument("--mti", help="only requests of this MTI, e.g. 0100")
    add.add_argument("--count", type=int, help="use up after N messages (default: forever)")
    add.add_argument("--delay", type=float, help="seconds, for the delay fault")
    fsub.add_parser("clear")
    fsub.add_parser("list")
    pin = sub.add_parser("pin", help="cards' wrong-PIN counts: list, or reset (unlock)")
    psub = pin.add_subparsers(dest="pcmd", required=True)
    psub.add_parser("list", help="the cards with wrong PINs in a row, and the locked ones")
    reset = psub.add_parser("reset", help="clear the count and unlock: one card or all")
    reset.add_argument("--pan", help="only this card (default: every card)")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    led = Ledger(args.db)
    try:
        if args.cmd == "holds":
            print(show_holds(led))
        elif args.cmd == "reversals":
            print(show_reversals(led))
        elif args.cmd == "terminals":
            print(show_terminals(led))
        elif args.cmd == "messages":
            print(show_messages(led, args.limit))
        elif args.cmd == "pin":
            if args.pcmd == "reset":
                n = led.reset_pin_tries(args.pan)
                which = mask_pan(args.pan) if args.pan else "every card"
                print(f"PIN tries reset for {which} ({n} card{'s' if n != 1 else ''} had some)")
            else:
                print(show_pins(led))
        elif args.fcmd == "add":
            try:
                kind = normalise(args.kind)
            except ValueError as e:
                raise SystemExit(str(e)) from None
            fid = led.add_fault(kind, args.pan, args.amount, args.mti, args.count, args.delay)
            print(f"fault #{fid} {kind} added")
        elif args.fcmd == "clear":
            led.clear_faults()
            print("faults cleared")
        else:
            print(show_faults(led))
    finally:
        led.close()


if __name__ == "__main__":
    main()
