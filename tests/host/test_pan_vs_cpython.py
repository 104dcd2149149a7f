"""Cross-check firmware/journal/pan.py (and crypto/mac.py's HMAC-SHA256) against CPython:
HMAC-SHA256 against the hmac module, the keyed PAN hash and the encrypted-PAN format as
docs/journal.md documents them (the host opens a blob encrypted on the device with
pycryptodome, and encrypts one the device must open), through tests/device/pan_oracle.py
in one `micropython` process."""

import hashlib
import hmac
import random
import zlib

from Crypto.Cipher import DES3

from tests.mp import DEVICE_TESTS, run_mp

ORACLE = DEVICE_TESTS / "pan_oracle.py"


def _pan_key(tmk: bytes) -> bytes:
    d = hashlib.sha256(b"pan-seal" + tmk).digest()
    strip = lambda b: bytes(x & 0xFE for x in b)  # noqa: E731
    k2 = next(d[i : i + 8] for i in (8, 16, 24) if strip(d[i : i + 8]) != strip(d[:8]))
    return d[:8] + k2


def _open(tmk: bytes, blob: bytes) -> str:
    """A blob as the firmware encrypts it: 24 bytes, the PAN in F-padded BCD."""
    iv, ct = blob[:8], blob[8:]
    p = DES3.new(_pan_key(tmk), DES3.MODE_CBC, iv=iv).decrypt(ct)
    assert len(p) == 16 and int.from_bytes(p[12:], "big") == zlib.crc32(p[:12])
    digits = p[1:11].hex().upper()
    assert digits[p[0]:] == "F" * (20 - p[0])
    return digits[: p[0]]


def _encrypt(tmk: bytes, pan: str, rng: random.Random, old: bool = False) -> bytes:
    """Encrypted as the firmware does, or (old) as the previous firmware did: 32 bytes, the
    PAN in ASCII with a random fill to 20 bytes."""
    if old:
        p = bytes([len(pan)]) + pan.encode() + rng.randbytes(19 - len(pan))
    else:
        p = bytes([len(pan)]) + bytes.fromhex((pan + "F" * 20)[:20]) + rng.randbytes(1)
    p += zlib.crc32(p).to_bytes(4, "big")
    iv = rng.randbytes(8)
    return iv + DES3.new(_pan_key(tmk), DES3.MODE_CBC, iv=iv).encrypt(p)


def _pan(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(12, 19)))


def test_pan_functions_match_cpython():
    rng = random.Random(20250301)
    reqs, checks = [], []
    for n in list(range(0, 70, 7)) + [rng.randint(0, 300) for _ in range(60)]:
        key = rng.randbytes(rng.choice((0, 1, 16, 32, 63, 64, 65, 100, 200)))
        msg = rng.randbytes(n)
        reqs.append(f"hmac {key.hex() or '-'} {msg.hex() or '-'}")
        checks.append(("eq", hmac.new(key, msg, hashlib.sha256).hexdigest()))
    for _ in range(60):
        tmk, pan = rng.randbytes(16), _pan(rng)
        hkey = hashlib.sha256(b"pan-hash" + tmk).digest()
        reqs.append(f"hash {tmk.hex()} {pan}")
        checks.append(("eq", hmac.new(hkey, pan.encode(), hashlib.sha256).hexdigest()[:16]))
        reqs.append(f"encrypt {tmk.hex()} {pan}")
        checks.append(("opens", (tmk, pan)))
        reqs.append(f"decrypt {tmk.hex()} {_encrypt(tmk, pan, rng).hex()}")
        checks.append(("eq", pan))
        reqs.append(f"decrypt {tmk.hex()} {_encrypt(tmk, pan, rng, old=True).hex()}")
        checks.append(("eq", pan))
    proc = run_mp(ORACLE, input="\n".join(reqs) + "\n", timeout=120)
    assert proc.returncode == 0, proc.stderr
    answers = proc.stdout.splitlines()
    assert len(answers) == len(reqs), proc.stdout[-500:] + proc.stderr
    for req, (kind, want), got in zip(reqs, checks, answers, strict=True):
        if kind == "eq":
            assert got == want, req
        else:
            tmk, pan = want
            assert _open(tmk, bytes.fromhex(got)) == pan, req
