"""The issuer's side of a card: the test-card table (data), the cards' PINs, and the
rules of a pre-auth's decision after them.

docs/host-simulator.md prints the same table (with the PINs); keep them in step.
"""

from __future__ import annotations

DEFAULT_AMOUNT_LIMIT = 5_000_000  # fen: pre-auths above 50,000.00 are declined 61
MAX_PIN_TRIES = 3  # the third wrong PIN in a row locks the card's PIN: 75 from then on

# Full PAN -> (response code, note). Every PAN here is Luhn-valid except the wire-format
# §7 vector card, which is approved because it is listed (the table wins over the Luhn rule).
TEST_CARDS: dict[str, tuple[str, str]] = {
    "6222021234567890128": ("00", "default approval card"),
    "6222021234567890123": ("00", "wire-format.md §7 card (not Luhn-valid, approved anyway)"),
    "6222020000000000000": ("00", "second approval card"),
    "6222020000000008888": ("00", "approval card with a 4-digit PIN"),
    "6222020000000000018": ("01", "refer to card issuer"),
    "6222020000000000059": ("05", "do not honour"),
    "6222020000000000141": ("14", "invalid card number"),
    "6222020000000000513": ("51", "insufficient funds"),
    "6222020000000000547": ("54", "expired card"),
    "6222020000000000612": ("61", "exceeds amount limit"),
    "6222020000000000968": ("96", "system malfunction"),
}

# Full PAN -> the card's PIN (wire-format §8). A card not here has no PIN: the host asks
# for none and ignores a PIN block sent for it. The declining cards have none (they
# decline whatever the cardholder types).
CARD_PINS: dict[str, str] = {
    "6222021234567890128": "123456",
    "6222021234567890123": "123456",  # the §8 vector card (123456 -> F52 2E31BB08A843460C)
    "6222020000000008888": "8888",
}


def card_pin(pan: str) -> str | None:
    """The PIN of a test card, or None for a card without one."""
    return CARD_PINS.get(pan)


def luhn_ok(pan: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(pan)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def preauth_decision(
    pan: str, expiry: str | None, amount: int, yymm: str, limit: int = DEFAULT_AMOUNT_LIMIT
) -> str:
    """Response code for a pre-auth, in this order:

    1. a PAN in ``TEST_CARDS`` with a code other than 00 gets that code;
    2. a PAN not in the table that fails the Luhn check, or is shorter than 13 digits: 14;
    3. an expiry (F14, YYMM) before the host's current YYMM: 54;
    4. amount 0: 13; amount above ``limit``: 61;
    5. otherwise 00.
    """
    listed = TEST_CARDS.get(pan)
    if listed and listed[0] != "00":
        return listed[0]
    if listed is None and (len(pan) < 13 or not luhn_ok(pan)):
        return "14"
    if expiry and expiry < yymm:
        return "54"
    if amount <= 0:
        return "13"
    if amount > limit:
        return "61"
    return "00"
