"""Cross-check the firmware's DES/3DES, KCV and UnionPay MAC against pycryptodome.

Several hundred seeded random cases go through tests/device/crypto_oracle.py in one
`micropython` process and are compared with host_tools/hostsim/crypto.py.
"""

import random

import pytest
from Crypto.Cipher import DES

from host_tools.hostsim import crypto as ref
from tests.mp import DEVICE_TESTS, run_mp

ORACLE = DEVICE_TESTS / "crypto_oracle.py"


def _strip_parity(key: bytes) -> bytes:
    return bytes(b & 0xFE for b in key)


def _tdes_ref(key: bytes, data: bytes, encrypt: bool) -> bytes:
    """hostsim's 3DES, or EDE spelled out with single DES for keys DES3 refuses.

    pycryptodome rejects a key whose halves are equal once parity is ignored (it would be
    single DES); keys that differ only in parity bits are such keys and we test them.
    """
    k1, k2 = key[:8], key[8:16]
    k3 = key[16:24] or k1
    if len(key) == 16 and _strip_parity(k1) != _strip_parity(k2):
        return (ref.tdes_ecb_encrypt if encrypt else ref.tdes_ecb_decrypt)(key, data)
    e = [DES.new(k, DES.MODE_ECB) for k in (k1, k2, k3)]
    if encrypt:
        return e[2].encrypt(e[1].decrypt(e[0].encrypt(data)))
    return e[0].decrypt(e[1].encrypt(e[2].decrypt(data)))


def _kcv_ref(key: bytes) -> bytes:
    if len(key) == 8:
        return ref.kcv(key)
    return _tdes_ref(key, bytes(8), True)[:4]


def _vary_parity(rng: random.Random, key: bytes) -> bytes:
    return bytes(b ^ (rng.getrandbits(1)) for b in key)


def _cases():
    rng = random.Random(20240601)
    rb = rng.randbytes
    cases = []  # (request line, expected answer)
    for _ in range(150):
        k = rb(8)
        data = rb(8 * rng.randint(1, 6))
        k2 = _vary_parity(rng, k)  # same DES key as far as DES is concerned
        cases.append((f"des_enc {k2.hex()} {data.hex()}", ref.des_ecb_encrypt(k, data)))
        cases.append((f"des_dec {k.hex()} {data.hex()}", ref.des_ecb_decrypt(k2, data)))
    for i in range(150):
        k = rb(16) if i % 5 else rb(24)
        if i % 25 == 1:  # halves equal but for parity: degenerates to single DES
            k = k[:8] + _vary_parity(rng, k[:8])
        data = rb(8 * rng.randint(1, 4))
        cases.append((f"tdes_enc {k.hex()} {data.hex()}", _tdes_ref(k, data, True)))
        cases.append((f"tdes_dec {k.hex()} {data.hex()}", _tdes_ref(k, data, False)))
    for n in list(range(101)) + [rng.randint(101, 600) for _ in range(50)]:
        k, mab = rb(8), rb(n)
        cases.append((f"mac {k.hex()} {mab.hex() or '-'}", ref.unionpay_mac(k, mab)))
    for i in range(60):
        k = rb((8, 16, 24)[i % 3])
        cases.append((f"kcv {k.hex()}", _kcv_ref(k)))
    # fixed points: all-zero and all-one keys and data, weak keys
    for k in ("0101010101010101", "FEFEFEFEFEFEFEFE", "1F1F1F1F0E0E0E0E", "0000000000000000"):
        for d in ("0000000000000000", "FFFFFFFFFFFFFFFF"):
            kb, db = bytes.fromhex(k), bytes.fromhex(d)
            cases.append((f"des_enc {k} {d}", ref.des_ecb_encrypt(kb, db)))
    return cases


def _expected_line(req: str, value: bytes) -> str:
    return value.decode() if req.startswith("mac ") else value.hex().upper()


@pytest.fixture(scope="module")
def oracle_results():
    cases = _cases()
    proc = run_mp(ORACLE, input="".join(req + "\n" for req, _ in cases), timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(cases), proc.stdout[-2000:] + proc.stderr
    return cases, lines


def test_case_count(oracle_results):
    cases, _ = oracle_results
    assert len(cases) >= 500


@pytest.mark.parametrize("op", ["des_enc", "des_dec", "tdes_enc", "tdes_dec", "mac", "kcv"])
def test_firmware_matches_pycryptodome(oracle_results, op):
    cases, lines = oracle_results
    bad = [
        (req, got, _expected_line(req, want))
        for (req, want), got in zip(cases, lines, strict=True)
        if req.split()[0] == op and got != _expected_line(req, want)
    ]
    checked = sum(1 for req, _ in cases if req.split()[0] == op)
    assert checked > 0
    assert not bad, f"{len(bad)}/{checked} mismatches, first: {bad[:3]}"


def test_oracle_reports_errors():
    proc = run_mp(ORACLE, input="des_enc 0011 0000000000000000\nmac 00 -\ntdes_enc "
                  + "00" * 16 + " 00\n")
    assert proc.returncode == 0, proc.stderr
    assert [ln.split(":")[0] for ln in proc.stdout.splitlines()] == ["ERR ValueError"] * 3
