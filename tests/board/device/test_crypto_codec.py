# Crypto and codec on the board itself (native/viper DES compiled for its architecture):
# DES/3DES known answers, key check values, working-key unwrap, the wire-format.md §7
# MAC (358810F5) and the §7 frame packed and unpacked byte for byte.
import time
from binascii import hexlify, unhexlify

import boardtest
from codec import frame
from codec.iso8583 import pack, unpack
from crypto import keys, mac
from crypto.des import DES, TDES

TMK = unhexlify("0123456789ABCDEFFEDCBA9876543210")
MAK = unhexlify("1C2D3E4F5A6B7C8D")
PIK = unhexlify("A1B2C3D4E5F60718293A4B5C6D7E8F90")
MAK_UNDER_TMK = unhexlify("CC6DADB23ECB1B6E08D7B4FB629D0885")
PIK_UNDER_TMK = unhexlify("FD7AF640961CDB8B5CCFBE13B358FE6E")
F62 = PIK_UNDER_TMK + unhexlify("76CDB553") + MAK_UNDER_TMK + unhexlify("8D4885EA")
# wire-format.md §7: a pre-auth void request without LEN (TPDU, header, MTI .. F64)
VECTOR = unhexlify(
    "6000030000" "603100000100" "0100" "7024048004c08019"
    "19" "62220212345678901230" "200000" "000000012345" "000042" "2812" "0120" "06"
    "413142324333" "5445524d30303031" "383938333130303438393930303031" "313536"
    "0013" "11000001000000" "0016" "0000010000171125" "3335383831304635"
)
BODY = VECTOR[11:]
MAB = BODY[:-8]
VOID = {
    2: "6222021234567890123", 3: "200000", 4: "000000012345", 11: "000042", 14: "2812",
    22: "012", 25: "06", 38: "A1B2C3", 41: "TERM0001", 42: "898310048990001", 49: "156",
    60: "1100000100000", 61: "0000010000171125", 64: b"358810F5",
}


def h(b):
    return hexlify(b).decode().upper()


def test_des_known_answers():
    for k, p, c in (
        ("133457799BBCDFF1", "0123456789ABCDEF", "85E813540F0AB405"),
        ("0123456789ABCDEF", "4E6F772069732074", "3FA40E8A984D4815"),
        ("7CA110454A1A6E57", "01A1D6D039776742", "690F5B0D9A26939B"),
    ):
        d = DES(unhexlify(k))
        assert h(d.encrypt(unhexlify(p))) == c, k
        assert h(d.decrypt(unhexlify(c))) == p, k


def test_tdes_and_unwrap():
    t = TDES(TMK)
    assert t.encrypt(MAK + bytes(8)) == MAK_UNDER_TMK
    assert t.decrypt(PIK_UNDER_TMK) == PIK
    assert h(keys.kcv(MAK)) == "8D4885EA" and h(keys.kcv(PIK)) == "76CDB553"
    assert keys.unwrap_working_keys(TMK, F62) == (PIK, MAK)
    bad = bytearray(F62)
    bad[-1] ^= 1
    boardtest.raises(keys.KeyCheckError, keys.unwrap_working_keys, TMK, bytes(bad))


def test_mac_vector():
    assert mac.unionpay_mac(MAK, MAB) == b"358810F5"
    assert mac.verify_mac(MAK, MAB, b"358810F5")
    assert not mac.verify_mac(MAK, MAB, b"358810F4")


def test_codec_vector():
    assert pack("0100", VOID) == BODY
    mti, fields = unpack(BODY)
    assert mti == "0100" and fields == VOID, fields
    out = frame.encode(BODY)
    assert out[2:] == VECTOR and (out[0] << 8 | out[1]) == len(VECTOR)


def test_des_speed():
    # Not a benchmark (make bench is): a sanity bound that catches native code that fell
    # back to something pathological. 3DES MAC over a 1 KB message.
    msg = bytes(1024)
    t0 = time.ticks_ms()
    for _ in range(5):
        mac.unionpay_mac(MAK, msg)
    ms = time.ticks_diff(time.ticks_ms(), t0)
    print("mac 5 x 1 KB: %d ms" % ms)
    assert ms < 5000, ms


boardtest.run(globals())
