"""Cross-check the firmware's DES/3DES, KCV, UnionPay MAC and PIN block against pycryptodome.

Several hundred seeded random cases go through tests/device/crypto_oracle.py in one
`micropython` process and are compared with host_tools/hostsim/crypto.py.
"""

import random

import pytest
from Crypto.Cipher import DES, DES3

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


def _pinblock_ref(pik: bytes, pan: str, pin: str) -> bytes:
    """ISO 9564-1 format 0 (wire-format.md §8), spelled out from the standard: the PIN
    field XOR the PAN field (12 rightmost digits without the check digit), 3DES-ECB."""
    pin_field = bytes.fromhex(f"0{len(pin):X}{pin}".ljust(16, "F"))
    pan_field = bytes.fromhex("0000" + pan[:-1][-12:].rjust(12, "0"))
    clear = bytes(a ^ b for a, b in zip(pin_field, pan_field, strict=True))
    return DES3.new(pik, DES3.MODE_ECB).encrypt(clear)


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
    for _ in range(200):
        pik = DES3.adjust_key_parity(rb(16))
        pan = "".join(rng.choice("0123456789") for _ in range(rng.randint(13, 19)))
        pin = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
        cases.append((f"pinblock {pik.hex()} {pan} {pin}", _pinblock_ref(pik, pan, pin)))
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


@pytest.mark.parametrize("op", ["des_enc", "des_dec", "tdes_enc", "tdes_dec", "mac", "kcv",
                                "pinblock"])
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


def test_the_reference_pin_block_is_the_section8_vector():
    pik = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")
    assert _pinblock_ref(pik, "6222021234567890123", "123456").hex().upper() == "2E31BB08A843460C"
    assert _pinblock_ref(pik, "6222021234567890123", "8888").hex().upper() == "75C2E1F5B0FD8BCC"


def test_oracle_reports_errors():
    proc = run_mp(ORACLE, input="des_enc 0011 0000000000000000\nmac 00 -\ntdes_enc "
                  + "00" * 16 + " 00\npinblock " + "01" * 16 + " 6222021234567890123 123\n")
    assert proc.returncode == 0, proc.stderr
    assert [ln.split(":")[0] for ln in proc.stdout.splitlines()] == ["ERR ValueError"] * 4


# FIPS 46-3: the eight S-boxes (4 rows of 16 each) and the permutation P, 1-based bits.
FIPS_S = (
    (14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12,
     11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1,
     7, 5, 11, 3, 14, 10, 0, 6, 13),
    (15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1,
     10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15,
     4, 2, 11, 6, 7, 12, 0, 5, 14, 9),
    (10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14,
     12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8,
     7, 4, 15, 14, 3, 11, 5, 2, 12),
    (7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2,
     12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1,
     13, 8, 9, 4, 5, 11, 12, 7, 2, 14),
    (2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15,
     10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14,
     2, 13, 6, 15, 0, 9, 10, 4, 5, 3),
    (12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13,
     14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5,
     15, 10, 11, 14, 1, 7, 6, 0, 8, 13),
    (4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5,
     12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4,
     10, 7, 9, 5, 0, 15, 14, 2, 3, 12),
    (13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6,
     11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10,
     8, 13, 15, 12, 9, 0, 3, 5, 6, 11),
)
FIPS_P = (16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3,
          9, 19, 13, 30, 6, 22, 11, 4, 25)


def test_sp_table_derives_from_the_standard():
    """crypto/des.py's _SP constant is S-box + P for each 6-bit input, rotated left by one
    bit, 4 bytes big-endian: derived here from the standard's tables, not copied."""
    import ast

    from host_tools.runtime import FIRMWARE

    tree = ast.parse((FIRMWARE / "crypto" / "des.py").read_text())
    (sp,) = [ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
             and getattr(n.targets[0], "id", "") == "_SP"]
    out_bit = {FIPS_P[j]: (32 - j) % 32 for j in range(32)}  # P[j] -> bit 31 - j, rotl 1
    want = bytearray()
    for i, box in enumerate(FIPS_S):
        for b in range(64):
            s = box[((b >> 4) & 2 | b & 1) * 16 + (b >> 1 & 15)]  # row = b1 b6, column b2..b5
            v = sum(1 << out_bit[4 * i + k + 1] for k in range(4) if s & (8 >> k))
            want += v.to_bytes(4, "big")
    assert sp == bytes(want)
