"""The firmware codec (on the unix port, through host_tools/mp/codec_oracle.py) against
pyiso8583 with the host simulator's spec of wire-format.md §2: byte-for-byte equal output
and identical decoding of each other's bytes, for the §7 vector and random §3 messages."""

import json
import random

import iso8583
import pytest

from host_tools.hostsim import spec as hostsim_spec
from host_tools.mp import vector7
from host_tools.runtime import MP_DIR
from tests.mp import run_mp

ORACLE = MP_DIR / "codec_oracle.py"
BINARY = {52, 62, 64}  # b fields: bytes in the firmware, hex strings in pyiso8583

# The host simulator's spec, with the PIN fields of wire-format.md §2 where it lacks them.
PIN_FIELDS = {26: hostsim_spec.FieldDef("n", 2, 0, "PIN capture code"),
              52: hostsim_spec.FieldDef("b", 8, 0, "PIN block"),
              53: hostsim_spec.FieldDef("n", 16, 0, "security control")}
SPEC = {str(no): hostsim_spec._pyiso_field(fd) for no, fd in PIN_FIELDS.items()}
SPEC.update(hostsim_spec.SPEC)

VECTOR = bytes.fromhex(vector7.FRAME_HEX)
VOID = {k: v.hex() if isinstance(v, bytes) else v for k, v in vector7.FIELDS.items()}


def oracle(lines):
    proc = run_mp(ORACLE, input="".join(line + "\n" for line in lines), timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == len(lines), proc.stdout[-2000:] + proc.stderr
    return out


def pack_line(mti, fields):
    return json.dumps({"mti": mti, "fields": {str(f): v for f, v in fields.items()}})


def parse_ok(answer):
    """'OK <mti> <json>' -> (mti, {int: value}) with b fields upper-case hex like pyiso8583."""
    assert answer.startswith("OK "), answer
    _, mti, doc = answer.split(" ", 2)
    fields = {}
    for k, v in json.loads(doc).items():
        if k == "hdr":
            continue
        fields[int(k)] = v.upper() if int(k) in BINARY else v
    return mti, fields


def py_encode(mti, fields):
    doc = {"t": mti, **{str(f): v for f, v in fields.items()}}
    raw, _ = iso8583.encode(doc, SPEC)
    return bytes(raw)


def py_decode(body):
    doc, _ = iso8583.decode(bytearray(body), SPEC)
    return doc["t"], {int(k): v for k, v in doc.items() if k.isdigit() and k != "1"}


# ------------------------------------------------------------------ random §3 messages


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def printable(rng, n, alphabet=None):
    alphabet = alphabet or "".join(chr(c) for c in range(0x20, 0x7F))
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def card_fields(rng, swiped, pin):
    pan = digits(rng, rng.randint(13, 19))
    expiry = digits(rng, 4)
    f = {2: pan, 14: expiry, 22: ("02" if swiped else "01") + ("1" if pin else "2")}
    if swiped:
        track2 = pan + "D" + expiry + digits(rng, rng.randint(0, 37 - len(pan) - 5))
        f[35] = track2
    if pin:  # §8: the three together
        f.update({26: "12", 52: rng.randbytes(8).hex().upper(), 53: "2600000000000000"})
    return f


def field60(rng, txn, network, financial):
    v = txn + digits(rng, 6) + network
    return v + rng.choice("02") + "0" if financial else v


def terminal(rng):
    return {11: digits(rng, 6), 41: printable(rng, 8, ALNUM), 42: printable(rng, 15, ALNUM)}


def mac(rng):
    return rng.randbytes(8).hex().upper()


FINANCIAL = {
    # name: (MTI, F3, 60.1, has 38, has 61, has 37)
    "preauth": ("0100", "030000", "10", False, False, False),
    "preauth_void": ("0100", "200000", "11", True, True, False),
    "completion": ("0200", "000000", "20", True, True, False),
    "completion_void": ("0200", "200000", "21", True, True, True),
}


def financial_request(rng, kind):
    mti, f3, t60, has38, has61, has37 = FINANCIAL[kind]
    f = terminal(rng)
    f.update(card_fields(rng, rng.random() < 0.5, rng.random() < 0.5))
    f.update({3: f3, 4: digits(rng, 12), 25: "06", 49: "156", 60: field60(rng, t60, "000", True)})
    if has38:
        f[38] = printable(rng, rng.randint(1, 6), ALNUM).ljust(6)
    if has61:
        f[61] = digits(rng, 16)
    if has37:
        f[37] = printable(rng, 12, ALNUM)
    f[64] = mac(rng)
    return mti, f


def reversal(rng):
    mti, f = financial_request(rng, rng.choice(list(FINANCIAL)))
    for k in (26, 35, 52, 53):
        f.pop(k, None)
    f[39] = rng.choice(["98", "A0", "06"])
    return "0400", f


def response(rng, request):
    mti, req = request
    f = {k: req[k] for k in (2, 3, 4, 11, 14, 25, 38, 41, 42, 49, 60) if k in req}
    f.update({12: digits(rng, 6), 13: digits(rng, 4), 37: printable(rng, 12, ALNUM)})
    f[39] = rng.choice(["00", "05", "51", "A0", "96"])
    if f[39] == "00":
        f[38] = printable(rng, 6, ALNUM)
    if mti in ("0100", "0200"):
        f[63] = "CUP"
    if rng.random() < 0.2:
        f[44] = printable(rng, rng.randint(0, 25))
    if rng.random() < 0.2:
        f[32] = digits(rng, rng.randint(1, 11))
        f[15] = digits(rng, 4)
    if f[39] != "A0":
        f[64] = mac(rng)
    return f"{int(mti) + 10:04d}", f


def sign_in(rng):
    f = terminal(rng)
    f.update({60: field60(rng, "00", "003", False), 63: "001"})
    return "0800", f


def sign_in_response(rng, request):
    f = {k: request[1][k] for k in (11, 41, 42)}
    f.update({12: digits(rng, 6), 13: digits(rng, 4), 37: printable(rng, 12, ALNUM)})
    f.update({39: "00", 60: field60(rng, "00", "003", False), 62: rng.randbytes(40).hex().upper()})
    return "0810", f


def settlement(rng):
    f = terminal(rng)
    f.update({48: digits(rng, 62), 49: "156", 60: field60(rng, "00", "201", False), 63: "001"})
    return "0500", f


def settlement_response(rng, request):
    f = {k: request[1][k] for k in (11, 41, 42, 48, 49, 60)}
    f.update({39: "00", 48: digits(rng, 30) + rng.choice("123") + digits(rng, 31)})
    return "0510", f


def echo(rng):
    f = terminal(rng)
    f[60] = field60(rng, "00", "301", False)
    return "0820", f


def echo_response(rng, request):
    f = {k: request[1][k] for k in (11, 41, 42, 60)}
    f[39] = "00"
    return "0830", f


def random_messages(seed, per_type):
    rng = random.Random(seed)
    out = []
    for _ in range(per_type):
        for kind in FINANCIAL:
            req = financial_request(rng, kind)
            out += [req, response(rng, req)]
        rev = reversal(rng)
        out += [rev, response(rng, rev)]
        si = sign_in(rng)
        out += [si, sign_in_response(rng, si)]
        st = settlement(rng)
        out += [st, settlement_response(rng, st)]
        ec = echo(rng)
        out += [ec, echo_response(rng, ec)]
    return out


# ------------------------------------------------------------------ tests


def test_spec_decodes_vector():
    body = VECTOR[11:]
    assert py_decode(body) == ("0100", VOID)
    assert py_encode("0100", VOID) == body


def test_vector_both_ways():
    body = VECTOR[11:]
    frame_ok, pack_ok, body_ok = oracle(
        ["F " + VECTOR.hex(), pack_line("0100", VOID), "B " + body.hex()]
    )
    assert parse_ok(frame_ok) == ("0100", VOID)
    assert json.loads(frame_ok.split(" ", 2)[2])["hdr"] == [
        "0003", "0000", 0x60, 0x31, 0, 0, "000100",
    ]
    assert pack_ok == "OK " + body.hex()
    assert parse_ok(body_ok) == py_decode(body)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_messages(seed):
    msgs = random_messages(seed, per_type=150)  # 300 per type of request/response
    ours = oracle([pack_line(mti, f) for mti, f in msgs])
    theirs = [py_encode(mti, f) for mti, f in msgs]
    for (mti, f), a, b in zip(msgs, ours, theirs, strict=True):
        assert a == "OK " + b.hex(), (mti, f, a, b.hex())
    # each side decodes the other's bytes (the same bytes) to the values we started from
    decoded = oracle(["B " + b.hex() for b in theirs])
    for (mti, f), answer, a in zip(msgs, decoded, ours, strict=True):
        assert parse_ok(answer) == (mti, f), (mti, f, answer)
        assert py_decode(bytes.fromhex(a[3:])) == (mti, f)
