# The messages of wire-format.md §3 as field dicts, the MAC (F64), and response matching.
# Flows hand in business values (card, amount, originals); this module knows which fields
# each message carries and in what form. No sockets here, no flash.
import kinds
from codec import iso8583
from crypto import mac

CURRENCY_CNY = "156"
COND_PREAUTH = "06"  # F25: pre-auth family
PIN_CAPTURE = "12"  # F26: the longest PIN the terminal takes (crypto/pinblock.MAX_DIGITS)
SECURITY_CONTROL = "2600000000000000"  # F53: format 0 with the PAN, double-length PIK

# The financial requests by their names here: kinds.py rows, whose MSG is (MTI, F3, 60.1).
PREAUTH, PREAUTH_VOID = kinds.PREAUTH, kinds.VOID
COMPLETION, COMPLETION_VOID = kinds.COMPLETION, kinds.COMPLETION_VOID

# MTIs whose requests and responses carry a MAC (wire-format.md §4).
MACED = ("0100", "0110", "0200", "0210", "0400", "0410")


def f60(txn_type, batch_no, mgmt="000", read_cap=None):
    """Field 60: 60.1 type, 60.2 batch, 60.3 network code, and for financial requests
    60.4 read capability + 60.5 (0)."""
    s = txn_type + batch_no + mgmt
    if read_cap is not None:
        s += read_cap + "0"
    return s


def signin(cfg, batch_no, stan):
    return "0800", {
        11: stan,
        41: cfg["tid"],
        42: cfg["mid"],
        60: f60("00", batch_no, "003"),
        63: cfg["operator"],
    }


def echo(cfg, batch_no, stan):
    return "0820", {11: stan, 41: cfg["tid"], 42: cfg["mid"], 60: f60("00", batch_no, "301")}


def settle_48(debit_fen, debit_count):
    """Field 48 of a 0500 (wire-format.md §3): debits (the batch's standing completions),
    no credits, reconciliation flag 0, the same 31 digits for foreign cards as zeros.
    ValueError for what n12 / n3 cannot hold."""
    if not (0 <= debit_fen <= 999999999999 and 0 <= debit_count <= 999):
        raise ValueError("settlement totals out of range: %d fen, %d debits"
                         % (debit_fen, debit_count))
    return "%012d%03d%012d%03d0" % (debit_fen, debit_count, 0, 0) + "0" * 31


def settlement(cfg, batch_no, stan, debit_fen, debit_count):
    return "0500", {
        11: stan,
        41: cfg["tid"],
        42: cfg["mid"],
        48: settle_48(debit_fen, debit_count),
        49: CURRENCY_CNY,
        60: f60("00", batch_no, "201"),
        63: cfg["operator"],
    }


def _card_fields(fields, card, pin_block):
    """F2, F14, F22, (swiped only) F35, and with a PIN block F26, F52, F53 (wire-format.md
    §8) from a card dict {pan, expiry, track2?}. F22: 22.1 02 swiped, 01 keyed; 22.2 1 with
    a PIN, 2 without."""
    fields[2] = card["pan"]
    fields[14] = card["expiry"]
    pin = "2" if pin_block is None else "1"
    if card.get("track2"):
        fields[22] = "02" + pin
        fields[35] = card["track2"].replace("=", "D")
    else:
        fields[22] = "01" + pin
    if pin_block is not None:
        fields[26] = PIN_CAPTURE
        fields[52] = pin_block
        fields[53] = SECURITY_CONTROL


def financial(kind, cfg, batch_no, stan, card, amount_fen, read_cap, extra=None,
              pin_block=None):
    """The reversible request of kind, a kinds.py row: its MTI, F3 and 60.1 from the row
    (extra adds e.g. 37, 38, 61). pin_block: field 52 (8 bytes; the caller's buffer, which
    the request holds, not a copy), or None when the cardholder typed no PIN."""
    mti, proc, txn_type = kind[kinds.MSG]
    fields = {
        3: proc,
        4: "%012d" % amount_fen,
        11: stan,
        25: COND_PREAUTH,
        41: cfg["tid"],
        42: cfg["mid"],
        49: CURRENCY_CNY,
        60: f60(txn_type, batch_no, "000", read_cap),
    }
    _card_fields(fields, card, pin_block)
    if extra:
        fields.update(extra)
    return mti, fields


def reversal(req_fields, reason, auth_code=None):
    """The 0400 for a stored request: the original less kinds.REVERSAL_DROPS (26, 35, 52,
    53, 64), plus 39 = reason, plus 38 if the original carried it or an auth code came
    back (§3)."""
    fields = {}
    for k, v in req_fields.items():
        if k not in kinds.REVERSAL_DROPS:
            fields[k] = v
    fields[39] = reason
    if auth_code and 38 not in fields:
        fields[38] = auth_code
    return "0400", fields


def pack(mti, fields, mak=None):
    """The ISO 8583 body (MTI onwards). With a MAK, field 64 is computed over the body."""
    if mak is None or mti not in MACED:
        fields.pop(64, None)
        return iso8583.pack(mti, fields)
    fields[64] = b"\x00" * 8
    body = bytearray(iso8583.pack(mti, fields))
    m = mac.unionpay_mac(mak, memoryview(body)[:-8])
    body[-8:] = m
    fields[64] = m
    return body


def response_mti(mti):
    return "%04d" % (int(mti) + 10)


def matches(req_mti, req, resp_mti, resp):
    """A response belongs to a request when its MTI is the request's + 10 and its
    3 (where sent), 11, 41 and 42 equal the request's (wire-format.md §3)."""
    if resp_mti != response_mti(req_mti):
        return False
    for k in (3, 11, 41, 42):
        if k in req and resp.get(k) != req[k]:
            return False
    return True


def mac_ok(mak, resp_mti, resp, body):
    """Verify F64 of a response body (bytes from the MTI on). Missing F64 fails."""
    if resp_mti not in MACED:
        return True
    got = resp.get(64)
    if mak is None or got is None or len(body) < 8:
        return False
    return mac.verify_mac(mak, body[:-8], got)
