# Unit tests of firmware/crypto on MicroPython: known answers, the wire-format.md §7
# vector, key checks, and that a DES/3DES block allocates nothing on the heap.
from binascii import hexlify, unhexlify

import micropython
import mptest

from crypto import keys, mac
from crypto.des import DES, TDES

TMK = unhexlify("0123456789ABCDEFFEDCBA9876543210")
MAK = unhexlify("1C2D3E4F5A6B7C8D")
PIK = unhexlify("A1B2C3D4E5F60718293A4B5C6D7E8F90")
MAK_UNDER_TMK = unhexlify("CC6DADB23ECB1B6E08D7B4FB629D0885")
PIK_UNDER_TMK = unhexlify("FD7AF640961CDB8B5CCFBE13B358FE6E")
F62 = PIK_UNDER_TMK + unhexlify("76CDB553") + MAK_UNDER_TMK + unhexlify("8D4885EA")
# §7 pre-auth void request without LEN: TPDU, header, then MTI .. F64
FRAME = unhexlify(
    "6000030000" "603100000100" "0100" "7024048004c08019"
    "19" "62220212345678901230" "200000" "000000012345" "000042" "2812" "0120" "06"
    "413142324333" "5445524d30303031" "383938333130303438393930303031" "313536"
    "0013" "11000001000000" "0016" "0000010000171125" "3335383831304635"
)
MAB = FRAME[11:-8]


def h(b):
    return hexlify(b).decode().upper()


def test_des_known_answers():
    # (key, plain, cipher): the classic worked example, FIPS 81 / NBS validation vectors
    for k, p, c in (
        ("133457799BBCDFF1", "0123456789ABCDEF", "85E813540F0AB405"),
        ("0123456789ABCDEF", "4E6F772069732074", "3FA40E8A984D4815"),
        ("0101010101010101", "95F8A5E5DD31D900", "8000000000000000"),
        ("0101010101010101", "0000000000000000", "8CA64DE9C1B123A7"),
        ("FEFEFEFEFEFEFEFE", "FFFFFFFFFFFFFFFF", "7359B2163E4EDC58"),
        ("7CA110454A1A6E57", "01A1D6D039776742", "690F5B0D9A26939B"),
    ):
        d = DES(unhexlify(k))
        assert h(d.encrypt(unhexlify(p))) == c, k
        assert h(d.decrypt(unhexlify(c))) == p, k


def test_parity_bits_ignored():
    a = DES(unhexlify("133457799BBCDFF1")).encrypt(b"12345678")
    b = DES(unhexlify("123556789ABDDEF0")).encrypt(b"12345678")  # each byte ^ 1
    assert a == b


def test_tdes_two_key_and_three_key():
    t = TDES(TMK)
    assert t.encrypt(MAK + bytes(8)) == MAK_UNDER_TMK
    assert t.encrypt(PIK) == PIK_UNDER_TMK
    assert t.decrypt(PIK_UNDER_TMK) == PIK
    assert TDES(TMK + TMK[:8]).encrypt(PIK) == PIK_UNDER_TMK  # K3 = K1
    # K1 = K2 = K3 degenerates to single DES
    k = unhexlify("133457799BBCDFF1")
    assert h(TDES(k * 2).encrypt(unhexlify("0123456789ABCDEF"))) == "85E813540F0AB405"
    assert h(TDES(k * 3).encrypt(unhexlify("0123456789ABCDEF"))) == "85E813540F0AB405"


def test_block_api_buffers():
    d = DES(unhexlify("133457799BBCDFF1"))
    src = bytearray(unhexlify("0123456789ABCDEF"))
    dst = bytearray(8)
    d.encrypt_block(src, dst)
    assert h(dst) == "85E813540F0AB405"
    d.encrypt_block(memoryview(src), memoryview(dst))
    assert h(dst) == "85E813540F0AB405"
    d.decrypt_block(dst, dst)  # in place
    assert dst == src
    buf = bytearray(24)
    d.encrypt_block(src, memoryview(buf)[8:16])
    assert h(buf[8:16]) == "85E813540F0AB405" and buf[:8] == bytes(8) and buf[16:] == bytes(8)


def test_ecb_multi_block():
    t = TDES(TMK)
    data = bytes(range(64))
    c = t.encrypt(data)
    assert len(c) == 64 and t.decrypt(c) == data
    for i in range(0, 64, 8):
        assert t.encrypt(data[i:i + 8]) == c[i:i + 8]
    assert t.encrypt(b"") == b""


def test_bad_lengths():
    mptest.raises(ValueError, DES, bytes(7))
    mptest.raises(ValueError, DES, bytes(16))
    mptest.raises(ValueError, TDES, bytes(8))
    mptest.raises(ValueError, TDES, bytes(15))
    d = DES(bytes(8))
    mptest.raises(ValueError, d.encrypt, bytes(7))
    mptest.raises(ValueError, d.decrypt, bytes(9))
    mptest.raises(ValueError, d.encrypt_block, bytes(7), bytearray(8))
    mptest.raises(ValueError, d.encrypt_block, bytes(8), bytearray(4))
    mptest.raises(ValueError, mac.unionpay_mac, bytes(16), b"x")


def test_kcv():
    assert h(keys.kcv(MAK)) == "8D4885EA"
    assert h(keys.kcv(PIK)) == "76CDB553"
    assert h(keys.kcv(unhexlify("0123456789ABCDEF"))) == "D5D44FF7"


def test_unwrap_vector():
    pik, mak = keys.unwrap_working_keys(TMK, F62)
    assert pik == PIK and mak == MAK


def _check_fails(tmk, f62, word):
    e = mptest.raises(keys.KeyCheckError, keys.unwrap_working_keys, tmk, f62)
    assert word in str(e), str(e)


def test_unwrap_rejects():
    _check_fails(TMK, F62[:39], "40 bytes")
    _check_fails(TMK, F62 + b"\0", "40 bytes")
    _check_fails(TMK[:8], F62, "TMK")
    bad = bytearray(F62)
    bad[19] ^= 1  # PIK check value
    _check_fails(TMK, bytes(bad), "PIK")
    bad = bytearray(F62)
    bad[39] ^= 0x80  # MAK check value
    _check_fails(TMK, bytes(bad), "MAK check value")
    bad = bytearray(F62)
    bad[30] ^= 1  # second 8 bytes of the MAK block no longer decrypt to zeros
    _check_fails(TMK, bytes(bad), "zero")
    # a wrong TMK fails on the PIK first
    _check_fails(bytes(16), F62, "PIK")
    # a MAK block whose clear text is MAK + nonzero, with matching check values
    t = TDES(TMK)
    f = PIK_UNDER_TMK + keys.kcv(PIK) + t.encrypt(MAK + b"\0" * 7 + b"\1") + keys.kcv(MAK)
    _check_fails(TMK, f, "zero")


def test_mac_vector():
    assert FRAME[11:13] == b"\x01\x00" and len(MAB) % 8 != 0
    assert mac.unionpay_mac(MAK, MAB) == b"358810F5"
    assert mac.unionpay_mac(MAK, memoryview(MAB)) == b"358810F5"
    assert mac.unionpay_mac(bytearray(MAK), MAB) == b"358810F5"
    # explicit zero padding gives the same MAC
    assert mac.unionpay_mac(MAK, MAB + bytes(8 - len(MAB) % 8)) == b"358810F5"
    assert mac.verify_mac(MAK, MAB, b"358810F5")
    assert not mac.verify_mac(MAK, MAB, b"358810F4")
    assert not mac.verify_mac(MAK, MAB, b"358810f5")
    assert not mac.verify_mac(MAK, MAB, b"358810F")
    assert not mac.verify_mac(MAK, MAB[:-1], b"358810F5")
    assert not mac.verify_mac(unhexlify("1C2D3E4F5A6B7C8E"), MAB, b"358810F5")


def test_mac_empty_and_key_change():
    a = mac.unionpay_mac(MAK, b"")
    b = mac.unionpay_mac(bytes(8), b"")
    assert a != b and len(a) == 8
    assert mac.unionpay_mac(MAK, b"") == a


def _alloc(fn, src, dst, n=1000):
    fn(src, dst)  # warm-up
    before = micropython.mem_total()
    for _ in range(n):
        fn(src, dst)
    return micropython.mem_total() - before


def test_block_allocates_nothing():
    if not hasattr(micropython, "mem_total"):
        raise mptest.Skip("no micropython.mem_total on this port")
    src = bytearray(unhexlify("0123456789ABCDEF"))
    dst = bytearray(8)
    mv = memoryview(dst)
    for c in (DES(MAK), TDES(TMK), TDES(TMK + MAK)):
        for fn in (c.encrypt_block, c.decrypt_block):
            delta = _alloc(fn, src, dst)
            assert delta == 0, "%d bytes per 1000 blocks" % delta
            delta = _alloc(fn, b"ABCDEFGH", mv)
            assert delta == 0, "%d bytes per 1000 blocks (memoryview)" % delta
    # the MAC itself allocates only its 8-byte result once the MAK's schedule is cached
    mac.unionpay_mac(MAK, MAB)
    before = micropython.mem_total()
    for _ in range(100):
        mac.unionpay_mac(MAK, MAB)
    per_mac = (micropython.mem_total() - before) // 100
    print("heap bytes per MAC:", per_mac)
    assert per_mac <= 64, per_mac  # the bytes result (8 + header)


mptest.run(globals())
