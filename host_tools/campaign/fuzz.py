"""Fuzzing campaign: random and mutated frames into every parser on both sides of the wire,
and damaged files into the firmware's readers.

Five targets, each run in bulk (one process for thousands of cases):

- ``codec``: the firmware's frame.decode + unpack (host_tools/mp/codec_oracle.py), random
  bytes and mutations of valid requests and responses; what decodes must pack back to the
  same bytes.
- ``response``: the firmware's response handling, ``HostSession.exchange`` and
  ``sign_in``, against a fake host in the same micropython process
  (host_tools/mp/response_oracle.py) that answers each request with a mutated version of a
  valid response built by the host simulator's own code (Acquirer + HostSim._encode).
  Every case must give a Result (never an exception, never a wait past the deadline), and
  an approval may only be accepted if it is the host's response, MAC intact.
- ``hostsim``: the host simulator's frame handling (HostSim._frame, called directly with
  mutated request frames), plus a share over TLS (as the terminal connects) to a running
  simulator that must keep serving and log no unexpected error.
- ``config``: config.load on random JSON values, types and garbage bytes: ConfigError or
  a config that validates to itself, nothing else.
- ``journal``: a journal damaged on disk (bad CRC, truncated or deleted files, random bytes
  in a chunk or the index): every undamaged record still reads back identical, a damaged
  one is a JournalError naming its slot (or is gone), and the journal takes new records.

``main(full=False)`` runs a bounded campaign (make test); ``main(full=True)`` >= 100,000
cases. It returns a dict of figures; ``findings`` lists what broke (empty when clean).
``python -m host_tools.campaign.fuzz [--full] [--seed N]``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import struct
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from host_tools.hostsim import crypto
from host_tools.hostsim.acquirer import Acquirer, FormatError, pin_entered
from host_tools.hostsim.cards import TEST_CARDS, card_pin
from host_tools.hostsim.client import PosClient
from host_tools.hostsim.ledger import DEFAULT_MID, DEFAULT_TID, DEFAULT_TMK, Ledger
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.server import HostSim
from host_tools.hostsim.spec import (
    FIELDS,
    Header,
    SpecError,
    Tpdu,
    frame,
    mac_block,
    pack,
    split_frame,
    unpack,
)
from host_tools.hostsim.tls import client_context, test_pki
from host_tools.runtime import MP_DIR, ROOT, run

ORACLE = MP_DIR / "response_oracle.py"
CODEC_ORACLE = MP_DIR / "codec_oracle.py"
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
MACED = ("0100", "0110", "0200", "0210", "0400", "0410")

# cases per target: bounded (make test) and full (>= 100,000 in all)
BOUNDED = {"codec": 3000, "response": 1500, "hostsim": 1500, "hostsim_tcp": 150,
           "config": 400, "journal": 120}
FULL = {"codec": 40000, "response": 30000, "hostsim": 25000, "hostsim_tcp": 3000,
        "config": 4000, "journal": 1500}
HOLD = {"bounded": 2, "full": 10}  # response cases that wait for the full 1 s timeout


# ------------------------------------------------------------------ mutations


def mutate(rng: random.Random, frame_: bytes) -> bytes:
    """One random corruption of a frame that carries its LEN prefix (the codec fuzz's
    operators, plus splices and field-length bytes)."""
    b = bytearray(frame_)
    if not b:
        return rng.randbytes(rng.randint(1, 16))
    op = rng.randrange(11)
    if op == 0:  # bit flips
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif op == 1:  # random byte
        b[rng.randrange(len(b))] = rng.randrange(256)
    elif op == 2:  # truncation
        del b[rng.randrange(len(b)) :]
    elif op == 3:  # insertion
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.randbytes(rng.randint(1, 8))
    elif op == 4:  # deletion
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 8)]
    elif op == 5:  # a length-ish byte
        if len(b) > 13:
            b[rng.randrange(13, len(b))] = rng.choice(
                [0x00, 0x01, 0x19, 0x20, 0x37, 0x38, 0x99, 0x9A, 0xA0, 0xFF])
    elif op == 6:  # LEN tampering
        n = rng.choice([0, 1, len(b) - 3, len(b) - 1, len(b), 2048, 2049, 0xFFFF,
                        rng.randrange(0x10000)])
        b[0:2] = max(0, n).to_bytes(2, "big")
    elif op == 7:  # bitmap bits
        if len(b) > 22:
            b[rng.randrange(15, 23)] ^= 1 << rng.randrange(8)
    elif op == 8:  # tail garbage
        b += rng.randbytes(rng.randint(1, 4))
    elif op == 9:  # header / TPDU bytes
        if len(b) > 13:
            b[rng.randrange(2, 13)] = rng.randrange(256)
    else:  # duplicate a slice (a repeated field)
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 12))
        b[j:j] = b[i:j]
    if op != 6 and rng.random() < 0.6 and len(b) >= 2:
        b[0:2] = (len(b) - 2).to_bytes(2, "big")
    return bytes(b)


def random_value(rng: random.Random, no: int) -> str | bytes:
    fd = FIELDS[no]
    n = fd.max_len if fd.var == 0 else rng.randint(0, min(fd.max_len, 40))
    if fd.fmt == "n":
        return "".join(rng.choice("0123456789") for _ in range(n))
    if fd.fmt == "z":
        return "".join(rng.choice("0123456789D") for _ in range(n))
    if fd.fmt == "b":
        return rng.randbytes(n)
    return "".join(rng.choice(PRINTABLE) for _ in range(n))


# ---------------------------------------------------------------------- pool


@dataclass
class Seed:
    mti: str  # request
    fields: dict[int, str]
    mac: bool
    request: bytes  # request frame with LEN (as a terminal sends it)
    response: bytes  # the host's answer, LEN included
    rmti: str
    rfields: dict[int, str | bytes]
    signin: bool = False
    mak: bytes | None = None  # sign-in seeds: the MAK that F62 wraps


def _jsonable(fields: dict[int, str | bytes]) -> dict[str, str]:
    return {str(k): v.hex() if isinstance(v, bytes) else v for k, v in fields.items()}


class Pool:
    """Valid requests and the host simulator's answers to them, built by its own code:
    PosClient.encode for requests, Acquirer.handle + HostSim._encode for responses."""

    def __init__(self, folder: Path, rng: random.Random):
        self.ledger = Ledger(folder / "pool.db")
        self.ledger.db.execute("PRAGMA synchronous=OFF")
        self.ledger.seed_default()
        self.acq = Acquirer(self.ledger)
        self.rng = rng
        self.cl = PosClient("127.0.0.1", 0)
        self.cl.batch = 1
        self.stan = 100
        self.seeds: list[Seed] = []
        self.signins: list[Seed] = []

    def next_stan(self) -> str:
        self.stan = self.stan % 999_999 + 1
        return f"{self.stan:06d}"

    def answer(self, req_frame: bytes) -> tuple[bytes, str, dict]:
        tpdu, header, body = split_frame(req_frame[2:])
        mti, fields = unpack(body)
        reply = self.acq.handle(mti, fields, body)
        assert reply is not None
        out = HostSim._encode(reply)
        rframe = frame(out, tpdu.swapped(), Header(header.status, reply.processing,
                                                   header.software))
        return rframe, reply.mti, unpack(out)[1]

    def add(self, mti: str, fields: dict[int, str], mac: bool, signin=False) -> Seed:
        req = self.cl.encode(mti, dict(sorted(fields.items())), mac)
        rframe, rmti, rfields = self.answer(req)
        seed = Seed(mti, fields, mac, req, rframe, rmti, rfields, signin)
        if signin:
            f62 = rfields[62]
            assert isinstance(f62, bytes)
            seed.mak = crypto.tdes_ecb_decrypt(bytes.fromhex(DEFAULT_TMK), f62[20:36])[:8]
            self.signins.append(seed)
        else:
            self.seeds.append(seed)
        return seed

    def build(self, n_financial: int = 40) -> Pool:
        for _ in range(4):
            s = self.add("0800", {11: self.next_stan(), 41: DEFAULT_TID, 42: DEFAULT_MID,
                                  60: "00000001003", 63: "001"}, False, signin=True)
        self.cl.mak = s.mak  # the last sign-in's keys are the host's now
        f62 = s.rfields[62]
        assert isinstance(f62, bytes)
        self.cl.pik = crypto.tdes_ecb_decrypt(bytes.fromhex(DEFAULT_TMK), f62[:16])
        f60 = "10" + "000001" + "000" + "20"
        # Most requests say no PIN was entered (22.2 = 2, no 26/52/53) and are for the
        # approving card without a PIN (a card with a PIN is declined 55: PIN required);
        # the PIN requests follow (pin_requests).
        cards = list(TEST_CARDS)
        approving = [p for p in cards if TEST_CARDS[p][0] == "00" and card_pin(p) is None]
        approved = []
        for i in range(n_financial):
            pan = self.rng.choice(approving * 9 + cards)
            swipe = i % 2 == 0
            f = {2: pan, 3: "030000", 4: f"{self.rng.randint(1, 6_000_000):012d}",
                 11: self.next_stan(), 14: "2812", 22: "022" if swipe else "012", 25: "06",
                 41: DEFAULT_TID, 42: DEFAULT_MID, 49: "156", 60: f60}
            if swipe:
                f[35] = f"{pan}D2812101"
            s = self.add("0100", f, True)
            if s.rfields.get(39) == "00":
                approved.append(s)
        for s in approved[:10]:  # voids of some approvals
            f = dict(s.fields)
            f.pop(35, None)
            f.update({3: "200000", 11: self.next_stan(), 22: "012",
                      38: str(s.rfields[38]), 60: "11" + f60[2:],
                      61: "000001" + s.fields[11] + str(s.rfields[13])})
            self.add("0100", f, True)
        for s in approved[10:16]:  # reversals
            f = {k: v for k, v in s.fields.items() if k not in (35,)}
            f[39] = "98"
            self.add("0400", f, True)
        for _ in range(4):  # echo tests
            self.add("0820", {11: self.next_stan(), 41: DEFAULT_TID, 42: DEFAULT_MID,
                              60: "00000001301"}, False)
        # another terminal's request: 58 without a MAC
        self.add("0100", {**approved[0].fields, 11: self.next_stan(), 41: "TERM9999"}, True)
        self.pin_requests(f60)
        return self

    def pin_requests(self, f60: str) -> None:
        """Pre-auths with a PIN (22.2 = 1, 26 = 12, 52 = the §8 block under the PIK of the
        last sign-in, 53): right PINs (approved) and wrong ones (55), three wrong in a row
        for the 4-digit card (55, 55, 75: locked, then reset as by `admin pin reset`);
        completions of two PIN approvals with the PIN again; a void and a reversal of a
        PIN approval without 26/52/53 (wire-format §3, §8). ``pins`` counts them."""
        self.pins: Counter[str] = Counter()
        pin_cards = [p for p in TEST_CARDS if card_pin(p) is not None]
        approved = []
        plan = [(self.rng.choice(pin_cards), self.rng.random() < 0.3) for _ in range(10)]
        plan += [("6222020000000008888", True)] * 3
        for pan, wrong in plan:
            right = card_pin(pan)
            assert right is not None
            pin = right
            while wrong and pin == right:
                pin = "".join(self.rng.choice("0123456789")
                              for _ in range(self.rng.randint(4, 12)))
            swipe = self.rng.random() < 0.5
            f = {2: pan, 3: "030000", 4: f"{self.rng.randint(1, 600_000):012d}",
                 11: self.next_stan(), 14: "2812", 22: "021" if swipe else "011", 25: "06",
                 41: DEFAULT_TID, 42: DEFAULT_MID, 49: "156", 60: f60,
                 **self.cl.pin_fields(pan, pin)}
            if swipe:
                f[35] = f"{pan}D2812101"
            s = self.add("0100", f, True)
            rc = str(s.rfields.get(39))
            self.pins["wrong" if wrong else "right"] += 1
            self.pins["rc_" + rc] += 1
            if rc == "00":
                approved.append(s)
        self.ledger.reset_pin_tries()
        for s in approved[:2]:  # completions: the PIN again
            f = dict(s.fields)
            f.pop(35, None)
            pan = str(f[2])
            f.update({3: "000000", 11: self.next_stan(), 22: "011", 38: str(s.rfields[38]),
                      60: "20" + f60[2:], 61: "000001" + s.fields[11] + str(s.rfields[13]),
                      **self.cl.pin_fields(pan, card_pin(pan) or "")})
            self.add("0200", f, True)
            self.pins["completion"] += 1
        for s in approved[2:3]:  # a void without a PIN
            f = {k: v for k, v in s.fields.items() if k not in (26, 35, 52, 53)}
            f.update({3: "200000", 11: self.next_stan(), 22: "012",
                      38: str(s.rfields[38]), 60: "11" + f60[2:],
                      61: "000001" + s.fields[11] + str(s.rfields[13])})
            self.add("0100", f, True)
            self.pins["void"] += 1
        for s in approved[3:4]:  # a reversal leaves 26, 35, 52 and 53 out
            f = {k: v for k, v in s.fields.items() if k not in (26, 35, 52, 53)}
            f[39] = "98"
            self.add("0400", f, True)
            self.pins["reversal"] += 1


# ------------------------------------------------------------------ codec (a)


def _codec_oracle(lines: list[str]) -> list[str]:
    proc = run(CODEC_ORACLE, input="".join(line + "\n" for line in lines), timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"codec oracle died: {proc.stderr[-2000:]}")
    out = proc.stdout.splitlines()
    if len(out) != len(lines):
        raise RuntimeError(f"codec oracle answered {len(out)} of {len(lines)}")
    return out


def fuzz_codec(rng: random.Random, pool: Pool, n: int) -> dict:
    frames = [s.request for s in pool.seeds + pool.signins]
    frames += [s.response for s in pool.seeds + pool.signins]
    # the requests with 26/52/53 (PIN entered): their mutations reach those fields
    pin_set = {s.request for s in pool.seeds if 52 in s.fields}
    pin_frames = 0
    cases = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            data = rng.randbytes(rng.randint(0, 64))
        elif r < 0.07:
            data = rng.randbytes(rng.choice([2047, 2048, 2049, 2050, 3000]))
        elif r < 0.12:  # a random but well-formed body with random fields
            nos = rng.sample(sorted(FIELDS), rng.randint(0, 10))
            try:
                body = pack(f"{rng.randint(0, 9999):04d}", {no: random_value(rng, no)
                                                           for no in sorted(nos)})
                data = mutate(rng, frame(body))
            except SpecError:
                data = rng.randbytes(20)
        else:
            src = rng.choice(frames)
            pin_frames += src in pin_set
            data = mutate(rng, src)
            if rng.random() < 0.2:
                data = mutate(rng, data)
        kind = rng.choice("LLFB")
        if kind == "F":
            data = data[2:]
        elif kind == "B":
            data = data[13:]
        cases.append((kind, data))
    cases += [("L", f) for f in frames]
    t0 = time.monotonic()
    answers = _codec_oracle([f"{k} {d.hex()}" for k, d in cases])
    counts = Counter(a.split(" ", 1)[0] for a in answers)
    findings = [f"codec: {k} {d.hex()[:80]}… -> {a[:120]}" for (k, d), a
                in zip(cases, answers, strict=True) if not a.startswith(("OK ", "ERR "))]
    # the untouched frames must decode
    findings += [f"codec: valid frame rejected: {a[:120]}" for a in answers[-len(frames):]
                 if not a.startswith("OK ")]
    return {"cases": len(cases), "ok": counts["OK"], "err": counts["ERR"],
            "pin_frames_mutated": pin_frames,
            "seconds": round(time.monotonic() - t0, 1), "findings": findings[:20],
            "crashes": len(findings)}


# --------------------------------------------------------------- response (b)


def _refield(seed: Seed, rng: random.Random) -> bytes:
    """The seed's response re-packed with one field changed (MAC not recomputed unless
    the change is 'remac', which MACs under a wrong key)."""
    f = dict(seed.rfields)
    mti = seed.rmti
    what = rng.choice(["39", "39", "4", "11", "41", "38", "drop64", "f64", "mti", "remac",
                       "add", "drop"])
    if what == "39":
        f[39] = rng.choice(["00", "00", "05", "12", "A0", "96", "ZZ"])
    elif what == "4" and 4 in f:
        f[4] = f"{rng.randint(0, 10**12 - 1):012d}"
    elif what == "11":
        f[11] = f"{(int(str(f.get(11, '0'))) + 1) % 1000000:06d}"
    elif what == "41":
        f[41] = "TERM0002"
    elif what == "38":
        f[38] = "".join(rng.choice("ABC123") for _ in range(6))
    elif what == "drop64":
        f.pop(64, None)
    elif what == "f64":
        f[64] = rng.randbytes(8)
    elif what == "mti":
        mti = rng.choice([seed.mti, "0110", "0410", "0810", "0830", "0210"])
    elif what == "remac" and 64 in f:
        f[64] = b"\0" * 8
        body = pack(mti, dict(sorted(f.items())))
        body = body[:-8] + crypto.unionpay_mac(rng.randbytes(8), mac_block(body))
        return frame(body, Tpdu(b"\0\0", b"\0\x03"), Header(software="000100"))
    elif what == "add":
        no = rng.choice(sorted(FIELDS))
        f[no] = random_value(rng, no)
    elif what == "drop" and len(f) > 1:
        f.pop(rng.choice(sorted(f)))
    try:
        body = pack(mti, dict(sorted(f.items())))
    except SpecError:
        body = pack(seed.rmti, seed.rfields)
    return frame(body, Tpdu(b"\0\0", b"\0\x03"), Header(software="000100"))


def _response_case(rng: random.Random, seed: Seed, others: list[Seed]) -> tuple[bytes, str]:
    """(bytes the fake host sends, mutation kind)."""
    good = seed.response
    r = rng.random()
    if r < 0.08:
        return good, "intact"
    if r < 0.50:
        data = mutate(rng, good)
        if rng.random() < 0.15:
            data = mutate(rng, data)
        return data, "mutated"
    if r < 0.68:
        return _refield(seed, rng), "refield"
    if r < 0.80:  # several frames: noise first, then the real answer (or the reverse)
        noise = rng.choice([mutate(rng, good), rng.choice(others).response,
                            _refield(seed, rng), struct.pack(">H", 40) + rng.randbytes(40)])
        if rng.random() < 0.7:
            return noise + good, "noise+good"
        return good + noise, "good+noise"
    if r < 0.88:  # cut short
        return good[: rng.randrange(len(good))], "short"
    if r < 0.94:
        return rng.choice([b"\x00\x00", b"\x08\x01" + good[2:], b"\xff\xff",
                           struct.pack(">H", 4096) + good[2:]]), "badlen"
    return rng.randbytes(rng.randint(0, 80)), "random"


PIN_EXTRA = 0.05  # share of the response cases that add 26/52/53 to a financial answer


def _pin_answer(seed: Seed, rng: random.Random, mak: bytes | None) -> tuple[bytes, str, dict]:
    """The seed's answer with fields 26, 52 and/or 53 added, which no response carries
    (wire-format §3): MAC'd again under the terminal's MAK ("pin_remac": the host itself
    sent them) or with the host's MAC left as it was ("pin_added": changed on the way).
    Returns (frame, kind, the fields as sent)."""
    f = dict(seed.rfields)
    nos = rng.choice([(52,), (53,), (52, 53), (26, 52, 53), (26,)])
    for no in nos:
        f[no] = {26: "12", 53: "2600000000000000"}.get(no) or rng.choice(
            [seed.fields.get(52) or rng.randbytes(8), rng.randbytes(8), b"\0" * 8])
    kind = "pin_added"
    if 64 in f and mak is not None and rng.random() < 0.5:
        f[64] = b"\0" * 8
        body = pack(seed.rmti, dict(sorted(f.items())))
        f[64] = crypto.unionpay_mac(mak, mac_block(body))
        kind = "pin_remac"
    body = pack(seed.rmti, dict(sorted(f.items())))
    return frame(body, Tpdu(b"\0\0", b"\0\x03"), Header(software="000100")), kind, f


def _oracle_proc(mode: str, arg: str, lines: list[str], timeout: float) -> list[str]:
    proc = run(ORACLE, mode, arg, input="".join(x + "\n" for x in lines), errors="replace",
               timeout=timeout)
    out = proc.stdout.split("\n")[:-1]  # not splitlines(): \x1c, \u2028... are no breaks
    if proc.returncode != 0 or len(out) != len(lines):
        raise RuntimeError(f"{mode} oracle: exit {proc.returncode}, {len(out)} of "
                           f"{len(lines)} answers; {proc.stderr[-2000:]}")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mac_verifies(mak: bytes | None, mti: str, doc: dict[str, str]) -> bool:
    """Does the MAC of the answer the firmware accepted (re-packed from its fields: the
    encoding is canonical) verify under the MAK, by the host simulator's code?"""
    fields: dict[int, str | bytes] = {}
    for k, v in doc.items():
        no = int(k)
        fields[no] = bytes.fromhex(v) if FIELDS[no].fmt == "b" else v
    mac = fields.get(64)
    if mak is None or not isinstance(mac, bytes):
        return False
    try:
        body = pack(mti, dict(sorted(fields.items())))
    except SpecError:
        return False
    return crypto.unionpay_mac(mak, mac_block(body)) == mac


def fuzz_response(rng: random.Random, pool: Pool, n: int, holds: int) -> dict:
    cases: list[tuple[Seed, bytes, str, str]] = []
    every = pool.seeds + pool.signins
    sent: dict[int, dict] = {}  # case -> the fields of a pin_remac/pin_added answer
    for i in range(n):
        seed = rng.choice(pool.seeds if rng.random() < 0.8 else pool.signins)
        if not seed.signin and rng.random() < PIN_EXTRA:
            data, kind, sent[i] = _pin_answer(seed, rng, pool.cl.mak)
        else:
            data, kind = _response_case(rng, seed, every)
        after = "close" if rng.random() < 0.97 else "wait"
        if i < holds:
            after = "hold"
        cases.append((seed, data, kind, after))
    lines = []
    for seed, data, _kind, after in cases:
        case = {"resp": data.hex(), "after": after, "stan": seed.fields[11]}
        if seed.signin:
            case["signin"] = True
        else:
            case.update(mti=seed.mti, fields=_jsonable(seed.fields), mac=seed.mac,
                        mak=pool.cl.mak.hex() if pool.cl.mak else None)
        lines.append(json.dumps(case))
    t0 = time.monotonic()
    answers: list[str] = []
    # one fake-host port per 5,000 connections: each closed connection leaves a TIME_WAIT
    # entry, and ~28,000 of them to one port exhaust the local ephemeral ports
    for i in range(0, len(lines), 5000):
        answers += _oracle_proc("response", str(_free_port()), lines[i : i + 5000],
                                timeout=3600)
    seconds = time.monotonic() - t0
    outcomes: Counter[str] = Counter()
    figures = Counter()
    findings: list[str] = []
    for i, ((seed, data, kind, after), ans) in enumerate(zip(cases, answers, strict=True)):
        head = ans.split(" ", 4)
        tag = head[0]
        if tag in ("CRASH", "HANG"):
            findings.append(f"response {kind}/{after}: {ans[:160]} <- {data.hex()[:120]}")
            outcomes[tag] += 1
            continue
        if tag == "S":
            ok, outcome, mak, batch = head[1] == "1", head[2], head[3], head[4]
            outcomes["signin_" + outcome] += 1
            if ok:
                figures["signin_accepted"] += 1
                if mak != seed.mak.hex():
                    findings.append(f"sign-in installed keys the host did not send ({kind})")
                if data != seed.response:
                    figures["signin_accepted_mutated"] += 1
                    if batch != str(seed.rfields[60])[2:8]:
                        figures["signin_batch_changed"] += 1  # 0810 carries no MAC
            elif kind == "intact":
                findings.append(f"sign-in refused an intact answer: {ans}")
            continue
        outcome, rc, rmti, doc = head[1], head[2], head[3], head[4]
        outcomes[outcome] += 1
        unmaced_answer = seed.rmti in MACED and 64 not in seed.rfields  # e.g. 58, no MAK
        if kind == "intact" and after == "close" and outcome != (
                "mac_fail" if unmaced_answer else "ok"):
            findings.append(f"intact answer not accepted: {ans[:160]}")
        if kind.startswith("pin_"):
            # 26/52/53 in an answer: the terminal uses none of them. MAC'd by the host,
            # it is the host's answer (accepted as sent, a Result like any other);
            # added on the way, the MAC no longer verifies: refused
            want = _jsonable(sent[i])
            if kind == "pin_remac" and after == "close":
                if outcome == "ok" and json.loads(doc) == want:
                    figures["pin_extra_accepted"] += 1
                    figures["pin_extra_approvals"] += rc == "00"
                else:
                    extra = sorted(set(want) - set(_jsonable(seed.rfields)))
                    findings.append(f"host's answer with {extra} not taken: {ans[:160]}")
            elif kind == "pin_added" and seed.rmti in MACED:
                if outcome == "ok":
                    findings.append(f"accepted an answer with PIN fields added on the "
                                    f"way: {ans[:160]}")
                else:
                    figures["pin_extra_refused"] += 1
            continue
        if outcome != "ok":
            continue
        got = json.loads(doc)
        same = got == _jsonable(seed.rfields)
        if rmti in MACED:
            if same:
                name = "intact" if kind == "intact" else "mutated_intact_body"
                figures["accepted_" + name] += 1
            elif _mac_verifies(pool.cl.mak, rmti, got):
                # changed, yet the MAC verifies: the UnionPay MAC XORs the 8-byte blocks
                # before one DES, so changes that cancel in the XOR pass (see
                # docs/reliability-fuzz.md); counted, as the brief asks
                figures["accepted_changed_mac_verifies"] += 1
                if rc == "00":
                    figures["approvals_accepted_changed_mac_verifies"] += 1
            else:  # a MAC'd answer accepted whose MAC does not verify: a firmware bug
                findings.append(f"accepted a forged {rmti} ({kind}): {doc[:160]}")
            if rc == "00":
                figures["approvals_accepted"] += 1
                if kind != "intact":
                    figures["approvals_accepted_mutated_frame"] += 1
        else:
            figures["accepted_unmaced" + ("_changed" if not same else "")] += 1
    return {"cases": len(cases), "seconds": round(seconds, 1), "outcomes": dict(outcomes),
            **dict(figures), "findings": findings[:20], "crashes": len(findings)}


# ---------------------------------------------------------------- hostsim (c)


class _Writer:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> None:
        self.data += b

    async def drain(self) -> None:
        return None


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage()[:200])


def _request_case(rng: random.Random, pool: Pool, src: list | None = None) -> bytes:
    """A request frame with LEN: mutated from a valid one, or random. src, if given, gets
    the seed a mutation started from (None for a random frame)."""
    seeds = [s.request for s in pool.seeds + pool.signins]
    r = rng.random()
    if src is not None:
        src.append(None)
    if r < 0.05:
        body = rng.randbytes(rng.randint(0, 60))
        return struct.pack(">H", len(body)) + body
    if r < 0.15:
        nos = rng.sample(sorted(FIELDS), rng.randint(0, 12))
        mti = rng.choice(["0100", "0200", "0400", "0500", "0800", "0820", "0300",
                          f"{rng.randint(0, 9999):04d}"])
        try:
            body = pack(mti, {no: random_value(rng, no) for no in sorted(nos)})
        except SpecError:
            body = rng.randbytes(30)
        return frame(body, Tpdu(), Header(software="000100"))
    i = rng.randrange(len(seeds))
    if src is not None:
        src[-1] = (pool.seeds + pool.signins)[i]
    data = mutate(rng, seeds[i])
    if rng.random() < 0.2:
        data = mutate(rng, data)
    return data


PIN_REQUESTS = 0.1  # share of the direct hostsim cases that are _pin_request_case's


def _pin_request_case(rng: random.Random, pool: Pool, stan: int) -> tuple[bytes, Seed]:
    """A PIN request of the pool with its PIN fields changed and MAC'd again under the
    terminal's MAK (as a terminal with a bug would send it), under a new F11: a random or
    zero 52, a block for another PIN or PAN, 53 or 26 changed, one of 26/52/53 dropped,
    22.2 = 2 or 3 with the fields kept, the right or a wrong PIN again; a third of them
    then mutated (the MAC fails then, mostly)."""
    seed = rng.choice([s for s in pool.seeds if 52 in s.fields])
    f = dict(seed.fields)
    pan = str(f[2])
    what = rng.randrange(10)
    if what == 0:
        f[52] = rng.randbytes(8)
    elif what == 1:
        f[52] = b"\0" * 8
    elif what == 2:
        f[52] = pool.cl.pin_fields(rng.choice(list(TEST_CARDS)), card_pin(pan) or "1234")[52]
    elif what == 3:
        f[53] = rng.choice(["0000000000000000", "2600000000000001", "1600000000000000"])
    elif what == 4:
        f[26] = rng.choice(["00", "04", "06", "13", "99"])
    elif what == 5:
        f.pop(rng.choice([26, 52, 53]))
    elif what == 6:
        f[22] = str(f[22])[:2] + rng.choice("2309")
    elif what == 7:
        f.update(pool.cl.pin_fields(pan, card_pin(pan) or "1234"))
    else:
        pin = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
        f.update(pool.cl.pin_fields(pan, pin))
    f[11] = f"{stan:06d}"
    data = pool.cl.encode(seed.mti, dict(sorted(f.items())), True)
    if rng.random() < 0.33:
        data = mutate(rng, data)
    return data, seed


def pin_count_problem(payload: bytes, mak: bytes | None, rc: str | None, delta: int,
                      pan: str | None = None) -> str | None:
    """Why a card's wrong-PIN count may not have moved (+1: one more wrong, or locked; -1:
    cleared by a right PIN) for this request (TPDU + header + body) answered rc; None when
    it may. Only a well-formed 0100/0200 whose MAC verifies under the terminal's MAK and
    that carries a PIN (22.2 = 1 with 26/52/53, 53 right) is PIN-checked
    (docs/host-simulator.md: MAC, format, duplicate, then the PIN); a count that went up
    is answered 55 or 75, one cleared is not."""
    try:
        _t, _h, body = split_frame(payload)
        mti, f = unpack(body)
    except (SpecError, ValueError, IndexError) as e:
        return f"malformed request ({e})"
    if mti not in ("0100", "0200"):
        return f"MTI {mti}"
    mac = f.get(64)
    if mak is None or not isinstance(mac, bytes) or crypto.unionpay_mac(
            mak, mac_block(body)) != mac:
        return "the request's MAC does not verify"
    try:
        if not pin_entered(f):
            return "no PIN in the request"
    except FormatError as e:
        return f"PIN fields malformed ({e})"
    if pan is not None and f.get(2) != pan:
        return f"the count of {pan[-4:]} moved for a request of {str(f.get(2))[-4:]}"
    if delta > 0 and rc not in ("55", "75"):
        return f"a wrong PIN answered {rc}"
    if delta < 0 and rc in ("55", "75"):
        return f"a PIN count cleared by an answer {rc}"
    return None


def _pin_tries(led: Ledger) -> dict[str, tuple[int, int]]:
    return {r[0]: (r[1], r[2]) for r in led.db.execute(
        "SELECT pan, wrong, locked FROM pin_tries")}


async def _hostsim_direct(rng: random.Random, pool: Pool, n: int, folder: Path) -> dict:
    led = Ledger(folder / "parser.db")
    led.db.execute("PRAGMA synchronous=OFF")
    led.seed_default()
    # the terminal signed in (the pool's keys), so MAC'd requests get past the MAC check
    # and PIN blocks are read under the PIK they were made with
    assert pool.cl.pik is not None and pool.cl.mak is not None
    led.set_keys(DEFAULT_TID, pool.cl.pik, pool.cl.mak)
    sim = HostSim(led)
    hlog = logging.getLogger("hostsim")
    counter = _Count()
    hlog.addHandler(counter)
    old_level, old_prop = hlog.level, hlog.propagate
    hlog.setLevel(logging.ERROR)
    hlog.propagate = False
    figures: Counter[str] = Counter()
    findings: list[str] = []
    try:
        for i in range(n):
            src: list = []
            if rng.random() < PIN_REQUESTS:
                data, seed = _pin_request_case(rng, pool, 900_000 + i)
                figures["pin_changed"] += 1
            else:
                data = _request_case(rng, pool, src)
                seed = src[0]
            if seed is not None and 52 in seed.fields:
                # a mutation of a PIN request: the pool's keys again (a sign-in case may
                # have signed the terminal in anew) and its F11 new to the host again, so
                # that a body left intact gets past the MAC and duplicate checks to the PIN
                figures["pin_requests"] += 1
                led.set_keys(DEFAULT_TID, pool.cl.pik, pool.cl.mak)
                with led.tx() as db:
                    db.execute("DELETE FROM txns WHERE tid = ? AND voucher = ?",
                               (DEFAULT_TID, seed.fields[11]))
            tries = _pin_tries(led)
            if len(data) < 2:
                figures["short"] += 1
                continue
            length = struct.unpack(">H", data[:2])[0]
            payload = data[2:]
            if length == 0 or length > 2048:  # _serve closes before _frame
                figures["bad_len"] += 1
                continue
            payload = payload[:length]
            if len(payload) < length:  # _serve waits for the rest, then the peer closes
                figures["short"] += 1
                continue
            w = _Writer()
            before = len(counter.records)
            try:
                keep = await asyncio.wait_for(sim._frame("fuzz:1", payload, w), 10)
            except Exception as e:  # what _serve would log as "unexpected error"
                findings.append(f"hostsim: {type(e).__name__}: {e} <- {data.hex()[:120]}")
                continue
            figures["answered" if w.data else "silent"] += 1
            figures["kept" if keep else "closed"] += 1
            if len(counter.records) > before:
                findings.append(f"hostsim logged an error: {counter.records[-1]} <- "
                                f"{data.hex()[:120]}")
            rc = None
            if w.data:  # what it sent must itself be a valid frame
                try:
                    (ln,) = struct.unpack(">H", w.data[:2])
                    t, h, body = split_frame(bytes(w.data[2 : 2 + ln]))
                    rc = unpack(body)[1].get(39)
                except (SpecError, struct.error) as e:
                    findings.append(f"hostsim answered an invalid frame ({e})")
            after = _pin_tries(led)
            for pan in set(tries) | set(after):  # a card's PIN count moved: by what?
                was, now = tries.get(pan, (0, 0)), after.get(pan, (0, 0))
                if was == now:
                    continue
                delta = 1 if now > was else -1
                why = pin_count_problem(payload, pool.cl.mak, str(rc), delta, pan)
                if why:
                    findings.append(f"hostsim: PIN count {was} -> {now}: {why} <- "
                                    f"{data.hex()[:120]}")
                else:
                    figures["pin_counted"] += 1
                if now[1]:  # locked: unlocked again (admin pin reset), to go on checking
                    figures["pin_locked"] += 1
                    led.reset_pin_tries(pan)
    finally:
        hlog.removeHandler(counter)
        hlog.setLevel(old_level)
        hlog.propagate = old_prop
        led.close()
    return {"cases": n, **dict(figures), "findings": findings[:20], "crashes": len(findings)}


def _recv_frame(sock: socket.socket) -> bytes | None:
    """One answer frame, or None when the server closed."""
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        buf += chunk
    return buf


def _hostsim_tcp(rng: random.Random, pool: Pool, n: int, folder: Path) -> dict:
    db = folder / "tcp" / "host.db"
    figures: Counter[str] = Counter()
    findings: list[str] = []
    # the simulator as the terminal meets it: TLS (hostsim/tls.py), the frames inside
    ctx = client_context(test_pki().ca_pem)
    with running_hostsim(db) as (proc, port):
        term = PosClient("127.0.0.1", port, timeout=5)
        term.voucher = 500_000
        with term:
            assert term.sign_in().rc == "00"
        sock = None
        for _ in range(n):
            data = _request_case(rng, pool)
            # LEN always right (0 when nothing is left): the server answers or closes
            data = struct.pack(">H", min(max(len(data) - 2, 0), 2048)) + data[2:2050]
            if sock is None:
                sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                                       server_hostname="127.0.0.1")
                figures["connections"] += 1
            try:
                sock.sendall(data)
                ans = _recv_frame(sock)
            except TimeoutError:
                findings.append(f"hostsim over TCP: no answer and no close in 5 s <- "
                                f"{data.hex()[:120]}")
                ans = None
            except OSError:
                ans = None
            if ans is None:
                figures["closed"] += 1
                sock.close()
                sock = None
            else:
                figures["answered"] += 1
            if proc.poll() is not None:
                findings.append("hostsim process died")
                break
        if sock is not None:
            sock.close()
        with PosClient("127.0.0.1", port, timeout=5) as again:  # still serving
            again.voucher = 700_000
            if again.sign_in().rc != "00":
                findings.append("hostsim did not sign a terminal in after the fuzz")
    log = db.with_suffix(".log").read_text(errors="replace")
    for marker in ("unexpected error", "Traceback", "error handling"):
        if marker in log:
            findings.append(f"hostsim log has {marker!r}")
    return {"cases": n, **dict(figures), "findings": findings[:20], "crashes": len(findings)}


# ---------------------------------------------------------------------- config


VALID = {"tid": "TERM0001", "mid": "898310048990001", "merchant_name": "测试商户",
         "host": "127.0.0.1", "port": 5000, "nii": "0003",
         "tmk": "0123456789ABCDEFFEDCBA9876543210", "operator": "001",
         "connect_timeout_s": 10, "response_timeout_s": 60, "reversal_retries": 3,
         "validity_days": 30, "language": "zh", "wifi_ssid": "", "wifi_password": ""}


def _random_json(rng: random.Random, depth: int = 0):
    r = rng.randrange(12 if depth < 3 else 8)
    if r == 0:
        return None
    if r == 1:
        return rng.choice([True, False])
    if r == 2:
        return rng.choice([0, -1, 1, 65535, 65536, 2**31, 2**63, -(2**63), 10**30])
    if r == 3:
        return rng.choice([0.5, -0.0, 1e308, 5000.0, 1e-300])
    if r == 4:
        return "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(0, 70)))
    if r == 5:
        return "".join(chr(rng.choice([rng.randrange(0x20, 0x7F), rng.randrange(0x80, 0x800),
                                       rng.randrange(0x4E00, 0x9FFF), rng.randrange(0, 0x20),
                                       0x1F600, 0xFFFF]))
                       for _ in range(rng.randint(0, 40)))
    if r == 6:
        return "".join(rng.choice("0123456789ABCDEFabcdefg") for _ in range(rng.choice(
            [0, 3, 4, 8, 15, 31, 32, 33, 64])))
    if r == 7:
        return rng.randint(-10**6, 10**6)
    if r in (8, 9):
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(list(VALID) + ["x", ""]): _random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def _config_case(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.02:
        return "-"
    if r < 0.15:  # valid, a random subset of keys
        keys = rng.sample(list(VALID), rng.randint(0, len(VALID)))
        return json.dumps({k: VALID[k] for k in keys}, ensure_ascii=rng.random() < 0.5
                          ).encode().hex()
    if r < 0.55:  # one to three keys with random values
        cfg = dict(VALID)
        for _ in range(rng.randint(1, 3)):
            cfg[rng.choice(list(VALID) + ["unknown", "TID"])] = _random_json(rng)
        try:
            raw = json.dumps(cfg, ensure_ascii=rng.random() < 0.5).encode()
        except ValueError:
            raw = b"{}"
        return raw.hex()
    if r < 0.65:  # not an object
        return json.dumps(_random_json(rng)).encode().hex()
    if r < 0.80:  # valid JSON bytes, damaged
        raw = bytearray(json.dumps(VALID, ensure_ascii=False).encode())
        for _ in range(rng.randint(1, 4)):
            if not raw:
                break
            op = rng.randrange(4)
            i = rng.randrange(len(raw))
            if op == 0:
                raw[i] = rng.randrange(256)
            elif op == 1:
                del raw[i:]
            elif op == 2:
                raw[i:i] = rng.randbytes(rng.randint(1, 6))
            else:
                del raw[i]
        return bytes(raw).hex()
    if r < 0.90:  # garbage
        return rng.randbytes(rng.randint(0, 300)).hex()
    special = [b"", b" \n", b"\xef\xbb\xbf" + json.dumps(VALID).encode(), b"[" * 5000,
               b'{"a":' * 3000, b"{" + b'"port": 1,' * 2000 + b'"tid":"TERM0001"}',
               b'{"port": NaN}', b'{"port": Infinity}', b'{"port": 1e999}',
               b'{"tid": "TERM\\u0000001"}', b'{"tid": "\\ud800\\ud800\\ud800\\ud80"}',
               b'{"merchant_name": "\xff\xfe\xfd"}', b'{"port": 5000, "port": "x"}',
               b'{"tmk": "' + b"\xe4\xb8\xad" * 32 + b'"}', b"null", b"1" * 5000,
               b'"' + b"a" * 100000 + b'"', b'{"host": "' + b"h" * 100000 + b'"}']
    return rng.choice(special).hex()


def fuzz_config(rng: random.Random, n: int, folder: Path) -> dict:
    lines = [_config_case(rng) or "=" for _ in range(n)]
    lines.append(json.dumps(VALID).encode().hex())  # control: must load
    sub = folder / "config"
    sub.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    answers = _oracle_proc("config", str(sub), lines, timeout=1800)
    counts = Counter(a.split(" ", 1)[0] for a in answers)
    findings = [f"config: {a[:160]} <- {bytes.fromhex(x.strip('='))[:60]!r}" for x, a
                in zip(lines, answers, strict=True) if x != "-" and a.split(" ", 1)[0]
                not in ("OK", "CE")]
    findings += [f"config: {a[:160]} <- missing file" for x, a in zip(lines, answers,
                 strict=True) if x == "-" and not a.startswith("OK ")]
    if not answers[-1].startswith("OK "):
        findings.append(f"config: the documented defaults do not load: {answers[-1]}")
    return {"cases": len(lines), "ok": counts["OK"], "config_error": counts["CE"],
            "seconds": round(time.monotonic() - t0, 1), "findings": findings[:20],
            "crashes": len(findings)}


# --------------------------------------------------------------------- journal


def _journal_case(rng: random.Random) -> tuple[dict, set[int], bool]:
    """(case, slots that may be damaged, extra records allowed). The journal's files
    (docs/journal.md): sealed chunks c<k> (32 records), the index, the tail files t/<slot>
    of the chunk being filled, and notes n<k>/<i> (a record's version after a void)."""
    n = rng.choice([1, 5, 31, 32, 33, 40, 64, 65, 80, 100, rng.randint(1, 100)])
    sealed = n // 32  # chunks written whole; the slots after them are tail files
    voids = sorted(rng.sample(range(n), min(n, rng.choice([0, 0, 1, 3]))))
    ops = []
    touched: set[int] = set()
    extra = False

    def slots_of(c: int, lo: int, hi: int) -> set[int]:
        first = c * 32 + lo // 128
        last = c * 32 + (hi - 1) // 128
        return set(range(first, min(last, c * 32 + 31) + 1))

    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.randrange(16)
        if op >= 12:  # a tail file or a note (one record each)
            if op >= 14 and voids:
                slot = rng.choice(voids)
                name = f"n{slot // 32:02d}/{slot % 32:02d}"
                kinds = ("flip", "rand", "trunc", "forge")  # damaged, never "lost"
            elif n > sealed * 32:
                slot = rng.randrange(sealed * 32, n)
                name = f"t/{slot:04d}"
                kinds = ("flip", "rand", "trunc", "delete", "forge", "append")
            else:
                continue
            kind = rng.choice(kinds)
            touched.add(slot)
            if kind == "flip":
                ops.append(["flip", name, rng.randrange(128), 1 << rng.randrange(8)])
            elif kind == "rand":
                ops.append(["rand", name, rng.randrange(128), rng.randbytes(
                    rng.randint(1, 100)).hex()])
            elif kind == "trunc":
                ops.append(["trunc", name, rng.randrange(1, 128)])
            elif kind == "forge":
                ops.append(["forge", name, slot, rng.randbytes(124).hex(), 0])
            elif kind == "append":
                ops.append(["append", name, rng.randbytes(rng.randint(1, 50)).hex()])
            else:
                ops.append(["delete", name])
            continue
        if not sealed and op <= 6:
            continue  # no chunk file yet
        c = rng.randrange(max(sealed, 1))
        size = 32 * 128
        name = f"c{c:02d}"
        if op in (0, 1):  # bad CRC: a bit flip in a record
            at = rng.randrange(size)
            ops.append(["flip", name, at, 1 << rng.randrange(8)])
            touched |= slots_of(c, at, at + 1)
        elif op == 2:  # random bytes in a chunk
            at = rng.randrange(size)
            raw = rng.randbytes(rng.randint(1, 300))
            ops.append(["rand", name, at, raw.hex()])
            touched |= slots_of(c, at, min(size, at + len(raw)))
            extra = extra or at + len(raw) > size  # ran past the end: garbage appended
        elif op == 3:  # truncated chunk
            cut = rng.randrange(size)
            ops.append(["trunc", name, cut])
            touched |= set(range(c * 32 + cut // 128, min(n, c * 32 + 32)))
        elif op == 4:  # chunk gone
            ops.append(["delete", name])
            touched |= set(range(c * 32, min(n, c * 32 + 32)))
        elif op == 5:  # garbage after the last record of a chunk
            ops.append(["append", name, rng.randbytes(rng.randint(1, 300)).hex()])
            extra = True
            touched |= set(range(c * 32, min(n, c * 32 + 32)))
        elif op == 6:  # forged record, valid CRC
            slot = c * 32 + rng.randrange(32)
            ops.append(["forge", name, slot, rng.randbytes(124).hex()])
            touched.add(slot)
        elif op == 7:  # index: bit flip
            ops.append(["flip", "ix", rng.randrange(max(sealed * 512, 1)),
                        1 << rng.randrange(8)])
        elif op == 8:  # index: random bytes
            ops.append(["rand", "ix", rng.randrange(max(sealed * 512, 1)), rng.randbytes(
                rng.randint(1, 200)).hex()])
        elif op == 9:  # index truncated
            ops.append(["trunc", "ix", rng.randrange(max(sealed * 512, 1))])
        elif op == 10:  # index gone
            ops.append(["delete", "ix"])
        else:  # index: garbage appended
            ops.append(["append", "ix", rng.randbytes(rng.randint(1, 100)).hex()])
    case = {"n": n, "n2": rng.choice([0, 0, 3]), "voids": voids, "ops": ops}
    return case, touched, extra


def fuzz_journal(rng: random.Random, n: int, folder: Path) -> dict:
    cases = [_journal_case(rng) for _ in range(n)]
    cases.append(({"n": 40, "n2": 0, "ops": []}, set(), False))  # control
    sub = folder / "journal"
    sub.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    answers = _oracle_proc("journal", str(sub), [json.dumps(c) for c, _, _ in cases],
                           timeout=1800)
    findings: list[str] = []
    figures: Counter[str] = Counter()
    for (case, touched, extra), ans in zip(cases, answers, strict=True):
        if not ans.startswith("J "):
            findings.append(f"journal {case['ops']}: {ans[:160]}")
            continue
        _, get, vou, newest, auth, add, logs = ans.split(" ", 6)
        why = []
        forged = {op[2] for op in case["ops"] if op[0] == "forge"}
        for slot, ch in enumerate(get[: case["n"]]):
            figures["slot_" + ch] += 1
            if slot in touched:
                if ch in "eX" or (ch == "M" and slot not in forged):
                    why.append(f"damaged slot {slot}: get -> {ch}")
            elif ch != ".":
                why.append(f"intact slot {slot}: get -> {ch}")
        for slot, ch in enumerate(vou[: case["n"]]):
            if slot not in touched and ch != ".":
                why.append(f"intact slot {slot}: find_voucher -> {ch}")
            elif ch == "X":
                why.append(f"slot {slot}: find_voucher crashed")
        if "+" in get and not extra:
            why.append("records appeared")
        if newest == "X" or "X" in auth:
            why.append(f"newest {newest} auth {auth}")
        if add != ".":
            why.append(f"the journal did not take a new record ({add})")
        if why:
            findings.append(f"journal {json.dumps(case['ops'])[:200]}: {'; '.join(why)[:300]}"
                            f" logs {logs[:200]}")
    return {"cases": len(cases), "seconds": round(time.monotonic() - t0, 1),
            **dict(figures), "findings": findings[:20], "crashes": len(findings)}


# ------------------------------------------------------------------------ main


def main(full: bool = False, seed: int = 8583, only: tuple[str, ...] = ()) -> dict:
    sizes = FULL if full else BOUNDED
    rng = random.Random(seed)
    t0 = time.monotonic()
    out: dict = {"full": full, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=ROOT / ".sim"
                                     if (ROOT / ".sim").is_dir() else None) as tmp:
        folder = Path(tmp)
        pool = Pool(folder, rng).build()
        out["seeds"] = len(pool.seeds) + len(pool.signins)
        out["pins"] = dict(pool.pins)

        def want(name: str) -> bool:
            return not only or name in only

        if want("codec"):
            out["codec"] = fuzz_codec(rng, pool, sizes["codec"])
        if want("response"):
            out["response"] = fuzz_response(rng, pool, sizes["response"],
                                            HOLD["full" if full else "bounded"])
        if want("hostsim"):
            t = time.monotonic()
            out["hostsim"] = asyncio.run(_hostsim_direct(rng, pool, sizes["hostsim"], folder))
            out["hostsim"]["seconds"] = round(time.monotonic() - t, 1)
            t = time.monotonic()
            out["hostsim_tcp"] = _hostsim_tcp(rng, pool, sizes["hostsim_tcp"], folder)
            out["hostsim_tcp"]["seconds"] = round(time.monotonic() - t, 1)
        if want("config"):
            out["config"] = fuzz_config(rng, sizes["config"], folder)
        if want("journal"):
            out["journal"] = fuzz_journal(rng, sizes["journal"], folder)
        pool.ledger.close()
    parts = [v for k, v in out.items() if isinstance(v, dict) and k != "pins"]
    out["cases"] = sum(p["cases"] for p in parts)
    out["crashes"] = sum(p["crashes"] for p in parts)
    out["findings"] = [f for p in parts for f in p["findings"]]
    out["seconds"] = round(time.monotonic() - t0, 1)
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--seed", type=int, default=8583)
    ap.add_argument("--only", nargs="*", default=())
    a = ap.parse_args()
    res = main(a.full, a.seed, tuple(a.only))
    json.dump(res, sys.stdout, indent=1, ensure_ascii=False)
    print()
    sys.exit(1 if res["findings"] else 0)
