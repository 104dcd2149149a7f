"""An operator at the keypad, for integration tests: the key sequences of the real flows
are host_tools/keypad.py's (shared with the benchmarks and the campaigns), re-exported
here; and what the tests read of the host simulator's ledger."""

from host_tools.hostsim.process import admin
from host_tools.keypad import (
    APPROVE_PAN,
    DONE,
    EXPIRY,
    KEYS,
    MENU,
    MENU_EN,
    NO_PIN_PAN,
    OTHER_PAN,
    PIN,
    REFUSED_OR_CARD,
    SUPERVISOR,
    UNPRINTED,
    admin_start,
    approved,
    approved_preauth,
    at_menu,
    completion,
    cvoid,
    enter_card,
    enter_pin,
    finish_receipts,
    preauth,
    settle,
    void_by_voucher,
    void_keyed,
    void_start,
)

__all__ = ["APPROVE_PAN", "DONE", "EXPIRY", "KEYS", "MENU", "MENU_EN", "NO_PIN_PAN",
           "OTHER_PAN", "PIN", "REFUSED_OR_CARD", "SUPERVISOR", "UNPRINTED", "admin",
           "admin_start", "approved", "approved_preauth", "at_menu", "completion", "cvoid",
           "enter_card", "enter_pin", "finish_receipts", "holds", "host_messages", "mtis",
           "preauth", "settle", "void_by_voucher", "void_keyed", "void_start"]


def holds(db) -> list[dict]:
    """The host's holds, parsed from the admin table."""
    from host_tools.hostsim.ledger import Ledger

    led = Ledger(str(db))
    try:
        return [dict(r) for r in led.holds()]
    finally:
        led.close()


def host_messages(db, direction="in") -> list[dict]:
    """Every message the host logged, oldest first; direction "in" (the terminal's
    requests), "out" (the host's answers) or None for both."""
    from host_tools.hostsim.ledger import Ledger

    led = Ledger(str(db))
    try:
        return [m for m in led.messages(1_000_000)
                if direction is None or m["direction"] == direction]
    finally:
        led.close()


def mtis(db) -> list[str]:
    """MTIs of the terminal's requests, in the order the host got them."""
    return [m["mti"] for m in host_messages(db)]
