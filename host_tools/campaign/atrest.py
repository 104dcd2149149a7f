"""Data at rest and on paper: what a stolen flash image, a receipt or a screen gives away.

``check_image(image, pans, secrets)`` searches the raw flash image (free blocks and old
copies included) for each PAN as ASCII and as packed BCD at both nibble alignments (any
padding: the image's nibble string is searched, so the digits are found wherever they
start), and for each secret (a password, a clear key) as raw bytes, as hex (upper and
lower case) and, for digit strings, as ASCII and BCD. ``check_texts(texts, pans)`` checks
receipts and screens: no full PAN, and every masked card number shows at most the first 6
and the last 4 digits. Both return a list of findings (strings); empty means clean.

``pin_forms(pin, pan, pik)`` gives the forms in which a careless terminal would leave a
cardholder's PIN (wire-format.md §8): its digits in ASCII, the format-0 PIN field, the
clear PIN block and, under the PIK, field 52; ``check_image`` searches them as secrets
and ``check_texts(..., pins=...)`` looks for the digits on receipts, screens and logs.

``flash_secrets(db, tid)`` reads the host ledger for the clear keys the host issued to a
terminal (TMK, PIK, MAK: the host keeps them per terminal), and ``ledger_pans(db)`` every
PAN the host saw, so a campaign need not track them itself.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from Crypto.Cipher import DES3

# A card-number-like token on a receipt or a screen: digits and mask stars.
_TOKEN = re.compile(r"[0-9*]{11,}")
# A run of 13..19 digits that may be an unmasked PAN nobody told us about.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _context(image: bytes, at: int, n: int) -> str:
    lo = max(0, at - 16)
    return image[lo : at + n + 16].hex()


def _as_bytes(secret: str | bytes) -> list[tuple[str, bytes]]:
    """The forms in which a secret might sit on flash (name, bytes)."""
    if isinstance(secret, bytes | bytearray):
        raw = bytes(secret)
        return [("raw", raw), ("hex", raw.hex().encode()), ("HEX", raw.hex().upper().encode())]
    return [("ascii", secret.encode()), ("utf-16le", secret.encode("utf-16-le"))]


def check_image(image: bytes, pans: Iterable[str], secrets: Iterable[str | bytes]) -> list[str]:
    """Findings for a raw flash image: a PAN (ASCII, or BCD at either nibble offset) or a
    secret (raw, hex, ASCII; digit strings as BCD too) anywhere in it."""
    findings: list[str] = []
    nibbles = image.hex()  # BCD digits at any nibble alignment are a substring of this
    for pan in sorted(set(pans)):
        if not pan:
            continue
        at = image.find(pan.encode())
        if at >= 0:
            findings.append(f"PAN {pan[:6]}…{pan[-4:]} in ASCII at 0x{at:x}: "
                            f"{_context(image, at, len(pan))}")
        nat = nibbles.find(pan)
        if nat >= 0 and at < 0:
            findings.append(f"PAN {pan[:6]}…{pan[-4:]} as BCD at nibble {nat} "
                            f"(byte 0x{nat // 2:x}, {'high' if nat % 2 == 0 else 'low'} nibble)"
                            f": {_context(image, nat // 2, (len(pan) + 1) // 2)}")
        middle = pan[6:-4]
        # the hidden digits with their neighbours: a PAN stored in two pieces, e.g. a
        # "masked" form that is not masked
        if len(middle) >= 3:
            probe = pan[3:-2]
            at = image.find(probe.encode())
            if at >= 0:
                findings.append(f"PAN {pan[:6]}…{pan[-4:]}: middle digits in ASCII at 0x{at:x}")
    for secret in secrets:
        if not secret:
            continue
        label = (f"secret {secret[:2].hex()}…" if isinstance(secret, bytes)
                 else f"secret {secret[:2]}…")
        for form, data in _as_bytes(secret):
            if len(data) < 4:
                continue
            at = image.find(data)
            if at >= 0:
                findings.append(f"{label} ({len(secret)} long) as {form} at 0x{at:x}")
        if isinstance(secret, str) and secret.isdigit() and len(secret) >= 6:
            nat = nibbles.find(secret)
            if nat >= 0 and image.find(secret.encode()) < 0:
                findings.append(f"{label} ({len(secret)} digits) as BCD at nibble {nat}")
    return findings


def pin_field(pin: str) -> bytes:
    """ISO 9564 format 0 PIN field: 0, the length, the digits, F to 16 hex digits."""
    return bytes.fromhex(f"0{len(pin):X}{pin}".ljust(16, "F"))


def pan_field(pan: str) -> bytes:
    """ISO 9564 format 0 PAN field: 0000 and the 12 digits before the check digit."""
    return bytes.fromhex("0000" + pan[:-1][-12:])


def pin_forms(pin: str, pan: str, pik: bytes | None = None) -> list[str | bytes]:
    """The forms of a PIN to search for (wire-format.md §8): its ASCII digits (a str:
    check_image also looks for it in BCD when it has 6 digits or more), the PIN field,
    the clear block and, given the PIK, field 52 as sent."""
    clear = bytes(a ^ b for a, b in zip(pin_field(pin), pan_field(pan), strict=True))
    forms: list[str | bytes] = [pin, pin_field(pin), clear]
    if pik is not None:
        forms.append(DES3.new(pik, DES3.MODE_ECB).encrypt(clear))
    return forms


def _mask_problems(token: str) -> str | None:
    """What a card-number token shows beyond first 6 + last 4, or None."""
    if "*" not in token:
        return None
    first = len(token) - len(token.lstrip("0123456789"))
    last = len(token) - len(token.rstrip("0123456789"))
    shown = sum(ch.isdigit() for ch in token)
    if first > 6 or last > 4 or shown > 10:
        return f"masked card number {token!r} shows {first} leading/{last} trailing digits"
    return None


def check_texts(texts: Iterable[str], pans: Iterable[str], allow: Iterable[str] = (),
                exempt: Iterable[str] = ("请输入卡号", "Card number:"),
                pins: Iterable[str] = ()) -> list[str]:
    """Findings for receipts and screens: a known PAN in full (spaces ignored), more than
    6 leading / 4 trailing digits of a known PAN next to a mask, a masked token that shows
    more than first 6 + last 4, or an unknown Luhn-valid 13..19-digit run (not in allow).
    Screens holding one of `exempt` (the keyed card-number entry, which must echo what the
    operator types) are skipped. A PIN of `pins` anywhere in a text is a finding too
    (exempt screens included: the PIN screen shows one star a digit)."""
    pans = sorted({p for p in pans if p})
    allow = set(allow)
    exempt = tuple(exempt)
    findings: list[str] = []
    pins = [p for p in pins if p]
    for i, text in enumerate(texts):
        flat = re.sub(r"[ \t]", "", text)
        for pin in pins:
            if re.search(rf"(?<![0-9]){pin}(?![0-9])", flat):
                findings.append(f"text {i}: the PIN's digits ({len(pin)})")
        if exempt and any(e in text for e in exempt):
            continue
        where = f"text {i} ({text.strip().splitlines()[0][:24] if text.strip() else ''!r})"
        for pan in pans:
            if pan in flat:
                findings.append(f"{where}: full PAN {pan[:6]}…{pan[-4:]}")
                continue
            if pan[:7] in flat or re.search(r"\*+" + re.escape(pan[-5:]), flat):
                findings.append(f"{where}: more than first 6 / last 4 of {pan[:6]}…{pan[-4:]}")
        for tok in _TOKEN.findall(flat):
            why = _mask_problems(tok)
            if why:
                findings.append(f"{where}: {why}")
        for run in _DIGIT_RUN.findall(flat):
            if run in allow or run in pans:
                continue
            if luhn_ok(run) and len(run) >= 13:
                findings.append(f"{where}: unmasked Luhn-valid number {run[:6]}…{run[-4:]}")
    return findings


def flash_secrets(db: str | Path, tid: str = "TERM0001") -> list[bytes]:
    """The clear keys the host holds for a terminal: TMK, PIK, MAK (those set)."""
    con = sqlite3.connect(str(db), timeout=10)
    try:
        row = con.execute("SELECT tmk, pik, mak FROM terminals WHERE tid = ?", (tid,)).fetchone()
    finally:
        con.close()
    return [bytes.fromhex(v) for v in (row or ()) if v]


def ledger_pans(db: str | Path) -> set[str]:
    """Every PAN the host recorded (holds, completions)."""
    con = sqlite3.connect(str(db), timeout=10)
    try:
        pans = {r[0] for r in con.execute("SELECT pan FROM holds")}
        pans |= {r[0] for r in con.execute("SELECT pan FROM completions")}
    finally:
        con.close()
    return {p for p in pans if p}
